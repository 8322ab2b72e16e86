// The one protocol between the engine and whatever runs the forward pass. A backend takes
// validated books and builds its own inputs from them (the CPU backend host feature rows, the
// CUDA backends staged input records the device turns into features), runs them, and describes
// itself for engine.info. The engine never sees features or staging areas; the core never names a
// backend: backends/registry.hpp implements BackendProvider and is the only code that does.
// Plain C++; no Node headers, no backend headers.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "book.hpp"
#include "error.hpp"
#include "gnn_model.hpp"

namespace hawkgraph {

// Number formats a backend may run the large layers in (fp32 accumulation throughout).
enum class Precision { Fp32, Fp16, Bf16 };
inline const char* precision_name(Precision p) {
  return p == Precision::Fp32 ? "fp32" : p == Precision::Fp16 ? "fp16" : "bf16";
}

// Raw network outputs for one book: the engine derives probabilities and the direction.
struct ForwardOutput {
  float logits[3];
  float magnitude;   // sigmoid already applied
  float volatility;  // relu already applied
  float* embedding;  // E floats (the LayerNorm output) supplied by the caller, or null: not wanted
};

// What engine.info shows of a backend. Host details (kernels, folds, macs) are those of a backend
// that runs its layers on host kernels, empty otherwise.
struct BackendDescription {
  std::string name;       // "cpu", "cuda", "cuda-host-twin"
  std::string precision;  // "fp32", "fp16", "bf16"
  std::string device;     // "" for host backends
  std::vector<std::pair<std::string, double>> stats;  // plan and counters worth showing
  // Host threads the backend runs on: forward threads (CPU) or the threads that validate and
  // stage a batch (staged backends); 0: not shown.
  int threads = 0;
  std::string kernels;  // the host kernel table ("amx", "avx512", ...), "" when none
  bool folds = false;
  double macs_folded = 0;      // multiply-adds of one full-depth forward pass, folded
  double macs_as_written = 0;  // and as the model is written
};

class InferenceBackend {
 public:
  virtual ~InferenceBackend() = default;

  virtual BackendDescription describe() const = 0;

  // One validated book through its single-book path (predict()): builds its inputs, runs, writes
  // `out`. `order_flow` (optional) is its per-node order flow (2 * levels values), else 0.
  // Returns the levels used. Allocates nothing.
  virtual int forward_book(const BookView& book, const double* order_flow, ForwardOutput* out) = 0;

  // Batches: the backend holds a staging area of slots. prepare_batch(count) makes room (growing
  // only past the largest batch seen) and returns how many slots one run takes, between 1 and
  // count; a larger batch runs in runs of that many. stage() builds slot `slot`'s inputs from a
  // validated book and returns the levels it uses; stage_threads() says how many host threads may
  // call it at once (for distinct slots), so the engine validates and stages each book in one
  // pass while it is in cache. run_staged() runs slots 0 .. count - 1 and writes their outputs.
  virtual int prepare_batch(int count) = 0;
  virtual int stage_threads() const = 0;
  virtual int stage(int slot, const BookView& book, const double* order_flow) = 0;
  virtual void run_staged(int count, ForwardOutput* outs) = 0;

  // A backend for the same model on another thread (an engine's stream, a swap's second run) over
  // these prepared weights, shared read-only, with buffers of its own; null where the backend
  // cannot share them (its provider then builds another from the model).
  virtual std::unique_ptr<InferenceBackend> sibling() const { return nullptr; }
};

// Where an engine gets its backends: the one it starts on, and the one it continues on after a
// failure mid-run. Implemented by the registry (backends/registry.hpp), which owns the choice and
// the fallback rule; shared (immutable) by an engine and its siblings.
class BackendProvider {
 public:
  virtual ~BackendProvider() = default;

  struct Choice {
    std::unique_ptr<InferenceBackend> backend;
    std::string fallback_reason;  // why it is not the backend asked for ("" when it is)
  };
  // Throws hawkgraph::Error when no backend may run the model.
  virtual Choice create(const GnnModel& model) const = 0;
  // Whether create() may start threads (a CPU pool, a device runtime's). Work that creates none may
  // run at background priority; threads started there would inherit it.
  virtual bool starts_threads() const = 0;
  // `failed` threw `failure` during a run: the backend to run that call again on (and every call
  // after it), or null when the failure is the caller's to see.
  virtual std::unique_ptr<InferenceBackend> replace(const GnnModel& model, const InferenceBackend& failed,
                                                    const Error& failure) const = 0;
};

}  // namespace hawkgraph
