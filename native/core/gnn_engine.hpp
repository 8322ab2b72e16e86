// The inference engine: one model, one backend, preallocated feature and output buffers. It turns
// a validated book into features, runs the backend and derives probabilities and the direction.
// Not thread-safe: one caller at a time (the addon calls it from the JS thread).
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "backend.hpp"
#include "book.hpp"
#include "cpu/cpu_backend.hpp"
#include "error.hpp"
#include "gnn_model.hpp"

namespace hawkgraph {

namespace cpu {
class ThreadPool;
}

// Layout of one prediction as a row of doubles (shared with the JS layer, which reads it).
namespace prediction_row {
constexpr int kDirection = 0;   // 0 down, 1 flat, 2 up
constexpr int kLogits = 1;      // 3 values
constexpr int kProbs = 4;       // 3 values
constexpr int kConfidence = 7;
constexpr int kMagnitude = 8;
constexpr int kVolatility = 9;
constexpr int kLevelsUsed = 10;
constexpr int kEmbedding = 11;  // E values
constexpr int width(int embed) { return kEmbedding + embed; }
}  // namespace prediction_row

// A batch's results as struct-of-arrays, written in place (the JS result's typed arrays): book k's
// values at [k] (logits and probs at [3k .. 3k + 2], the embedding at [E k .. E k + E - 1]).
struct PredictionColumns {
  uint8_t* direction;  // 0 down, 1 flat, 2 up
  double* logits;
  double* probs;
  double* confidence;
  double* magnitude;
  double* volatility;
  int32_t* levels_used;
  float* embedding;  // null: not wanted (then no backend copies it)
};

// Auto: CUDA when a usable device is found, else the CPU. CudaHostTwin: the CUDA kernels' math
// run on the host (native/cuda/gnn_cuda_staged.hpp), for tests on machines without a GPU.
enum class BackendKind { Cpu, Cuda, Auto, CudaHostTwin };

// Everything that chooses how an engine runs. Options added later (precision, threads, kernels,
// device) belong here, so sibling() can build an identical engine for another thread.
struct EngineConfig {
  BackendKind backend = BackendKind::Cpu;
  // The CPU backend's precision, threads, kernel table and folds (also used by a CUDA fallback).
  CpuOptions cpu;
  // CUDA: fp16 tensor-core kernels (its default) or fp32 ones.
  bool cuda_fp16 = true;
  // CUDA: on a failure at creation or mid-run, continue on the CPU instead of throwing.
  bool fallback_cpu = false;
  // CUDA single predictions: 0 measure both paths at creation and keep the faster,
  // 1 the persistent kernel, 2 graph replays.
  int cuda_single = 0;
  // CudaHostTwin only (tests): the twin's run number from which it fails as a lost device would.
  int twin_fault_after = -1;
  // CudaHostTwin only (benchmarks): skip the kernels' math, so a batch costs only the host side of
  // the CUDA path (validation, staging, unpacking, results); outputs are then zeros.
  bool twin_skip_kernels = false;
};

class GnnEngine {
 public:
  GnnEngine(std::shared_ptr<const GnnModel> model, const EngineConfig& config);
  ~GnnEngine();

  // A new engine on the same (shared, immutable) model with the same config and its own
  // buffers: for a second thread, since one engine serves one thread at a time.
  std::unique_ptr<GnnEngine> sibling() const { return std::make_unique<GnnEngine>(model_, config_); }
  const EngineConfig& config() const { return config_; }

  const GnnModel& model() const { return *model_; }
  const InferenceBackend& backend() const { return *backend_; }
  int row_width() const { return prediction_row::width(model_->embed); }

  // Validates the book, runs the model and writes one prediction row (row_width() doubles).
  // Throws hawkgraph::Error for a bad book; `row` is then left untouched.
  void predict(const BookView& book, double* row);

  // Validates every book first (a bad one throws "books[k]: ..." and nothing is computed), then
  // runs them through the backend's batch path. Writes count rows of row_width() doubles.
  // Batch buffers grow to the largest batch seen and are reused. `order_flows` (optional, the
  // streaming path) gives book k's per-node order flow (2 * levels values); nullptr means 0.
  void predict_batch(const BookView* books, int count, double* rows, const double* const* order_flows = nullptr);
  // The same into struct-of-arrays columns (predictBatch from JS): no rows, and the embedding
  // written straight into out.embedding by the backend, or not at all when it is null.
  void predict_batch(const BookView* books, int count, const PredictionColumns& out);

  // Why the engine runs on the CPU when CUDA was asked for or allowed ("" otherwise), and how
  // many times a CUDA failure mid-run moved it to the CPU (0 or 1).
  const std::string& fallback_reason() const { return fallback_reason_; }
  int fallbacks() const { return fallbacks_; }

  // The node features the model would see: 2 * levels rows of 8 doubles. Returns levels used.
  int node_features(const BookView& book, double* out) const;

 private:
  std::shared_ptr<const GnnModel> model_;
  EngineConfig config_;
  std::unique_ptr<InferenceBackend> backend_;
  // Backends that stage books (CUDA) with threads > 1: validates and stages a batch's books in
  // parallel (the host side of a large batch costs about as much as the device's).
  std::unique_ptr<cpu::ThreadPool> host_pool_;
  std::string fallback_reason_;
  int fallbacks_ = 0;
  std::vector<double> features64_;
  std::vector<float> features32_;
  std::vector<float> embedding_;
  // Batch arenas, grown on demand.
  std::vector<float> batch_features_;
  std::vector<int> batch_levels_;
  std::vector<ForwardOutput> batch_outputs_;
  std::vector<float> batch_embeddings_;

  // Validates the books and runs them, leaving raw outputs in batch_outputs_ and levels used in
  // batch_levels_. Embeddings go to `embeddings` + k * E, or nowhere when it is null.
  void run_batch(const BookView* books, int count, const double* const* order_flows, float* embeddings);
  // The staged path of run_batch: validates and stages every book, on host_pool_ when there is one.
  void validate_and_stage(const BookView* books, int count, const double* const* order_flows);
  // Fills one prediction row from the raw outputs.
  void write_row(const ForwardOutput& out, int levels, double* row) const;
  // Replaces a failed CUDA backend by the CPU one when the config allows it; false otherwise.
  bool fall_back(const Error& failure);
  // Builds fp32 features for one validated book; returns levels used.
  int build_features32(const BookView& book, const double* order_flow, float* features32);
};

}  // namespace hawkgraph
