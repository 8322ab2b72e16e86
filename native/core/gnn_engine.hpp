// The inference engine: one model, one backend, preallocated feature and output buffers. It turns
// a validated book into features, runs the backend and derives probabilities and the direction.
// Not thread-safe: one caller at a time (the addon calls it from the JS thread).
#pragma once

#include <memory>
#include <vector>

#include "backend.hpp"
#include "book.hpp"
#include "cpu/cpu_backend.hpp"
#include "gnn_model.hpp"

namespace hawkgraph {

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

enum class BackendKind { Cpu, Cuda };

// Everything that chooses how an engine runs. Options added later (precision, threads, kernels,
// device) belong here, so sibling() can build an identical engine for another thread.
struct EngineConfig {
  BackendKind backend = BackendKind::Cpu;
  // The CPU backend's precision, threads, kernel table and folds (also used by a CUDA fallback).
  CpuOptions cpu;
};

class GnnEngine {
 public:
  GnnEngine(std::shared_ptr<const GnnModel> model, const EngineConfig& config);

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

  // The node features the model would see: 2 * levels rows of 8 doubles. Returns levels used.
  int node_features(const BookView& book, double* out) const;

 private:
  std::shared_ptr<const GnnModel> model_;
  EngineConfig config_;
  std::unique_ptr<InferenceBackend> backend_;
  std::vector<double> features64_;
  std::vector<float> features32_;
  std::vector<float> embedding_;
  // Batch arenas, grown on demand.
  std::vector<float> batch_features_;
  std::vector<int> batch_levels_;
  std::vector<ForwardOutput> batch_outputs_;
  std::vector<float> batch_embeddings_;

  // Fills one prediction row from the raw outputs.
  void write_row(const ForwardOutput& out, int levels, double* row) const;
  // Validates and builds fp32 features for one book; returns levels used.
  int prepare_features(const BookView& book, const double* order_flow, float* features32);
};

}  // namespace hawkgraph
