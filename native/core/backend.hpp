// The seam between the engine and whatever runs the forward pass (CPU kernels, CUDA). A backend
// is chosen once per engine; it owns its preallocated working memory and packed weights.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "book.hpp"
#include "gnn_model.hpp"

namespace hawkgraph {

// Raw network outputs for one book: the engine derives probabilities and the direction.
struct ForwardOutput {
  float logits[3];
  float magnitude;   // sigmoid already applied
  float volatility;  // relu already applied
  float* embedding;  // E floats (the LayerNorm output) supplied by the caller, or null: not wanted
};

class InferenceBackend {
 public:
  virtual ~InferenceBackend() = default;
  virtual std::string name() const = 0;
  virtual std::string precision() const = 0;
  // `x` holds 2 * levels rows of node features (fp32), levels <= model.levels.
  virtual void forward(const float* x, int levels, ForwardOutput* out) = 0;

  // Many books at once: book k's features start at x + k * book_stride floats and use
  // levels[k] levels. Backends that batch (threads, GPU) override this; the default loops.
  virtual void forward_batch(const float* x, size_t book_stride, const int* levels, int count,
                             ForwardOutput* outs) {
    for (int k = 0; k < count; ++k) forward(x + static_cast<size_t>(k) * book_stride, levels[k], &outs[k]);
  }

  // Backends that build node features themselves (the CUDA backend does it on the device) say so;
  // the engine then hands them validated books instead of host-built features.
  virtual bool consumes_books() const { return false; }
  // `order_flows` (optional) gives book k's per-node order flow (2 * levels values), else 0.
  virtual void forward_books(const BookView* books, int count, const double* const* order_flows,
                             ForwardOutput* outs) {
    (void)books;
    (void)count;
    (void)order_flows;
    (void)outs;
  }
  // Backends that stage books for a device run up to staging_capacity() books at once (0: they do
  // not stage). The engine then validates and stages each book in one pass, reading it once:
  // stage() puts book `slot` (validated) into the next run and returns the levels it uses;
  // run_staged() runs slots 0 .. count - 1 and writes their outputs.
  virtual int staging_capacity() const { return 0; }
  virtual int stage(int slot, const BookView& book, const double* order_flow) {
    (void)slot;
    (void)book;
    (void)order_flow;
    return 0;
  }
  virtual void run_staged(int count, ForwardOutput* outs) {
    (void)count;
    (void)outs;
  }
  // The device the backend runs on ("" for the CPU) and numbers worth showing in engine.info.
  virtual std::string device() const { return {}; }
  virtual std::vector<std::pair<std::string, double>> stats() const { return {}; }
};

}  // namespace hawkgraph
