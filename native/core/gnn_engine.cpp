#include "gnn_engine.hpp"

#include <algorithm>
#include <cmath>

#include "cpu/cpu_backend.hpp"
#include "error.hpp"
#include "features.hpp"

namespace hawkgraph {

GnnEngine::GnnEngine(std::shared_ptr<const GnnModel> model, const EngineConfig& config)
    : model_(std::move(model)), config_(config) {
  if (config_.backend == BackendKind::Cuda) {
    throw Error("ERR_BACKEND_UNAVAILABLE", "backend \"cuda\" has no inference kernels in this build; use \"cpu\" or \"auto\"");
  }
  backend_ = make_cpu_backend(*model_, config_.cpu);
  const size_t rows = static_cast<size_t>(model_->nodes());
  features64_.resize(rows * kNodeFeatures);
  features32_.resize(rows * kNodeFeatures);
  embedding_.resize(model_->embed);
}

int GnnEngine::node_features(const BookView& book, double* out) const {
  validate_book(book, model_->levels);
  return build_node_features(book, model_->levels, nullptr, out);
}

int GnnEngine::prepare_features(const BookView& book, const double* order_flow, float* features32) {
  validate_book(book, model_->levels);
  const int levels = build_node_features(book, model_->levels, order_flow, features64_.data());
  const size_t count = static_cast<size_t>(2 * levels) * kNodeFeatures;
  for (size_t i = 0; i < count; ++i) features32[i] = static_cast<float>(features64_[i]);
  return levels;
}

void GnnEngine::write_row(const ForwardOutput& out, int levels, double* row) const {
  namespace r = prediction_row;
  const double top = std::max({out.logits[0], out.logits[1], out.logits[2]});
  double exps[3], total = 0;
  for (int c = 0; c < 3; ++c) total += exps[c] = std::exp(out.logits[c] - top);
  int direction = 0;
  for (int c = 0; c < 3; ++c) {
    row[r::kLogits + c] = out.logits[c];
    row[r::kProbs + c] = exps[c] / total;
    if (out.logits[c] > out.logits[direction]) direction = c;
  }
  row[r::kDirection] = direction;
  row[r::kConfidence] = row[r::kProbs + direction];
  row[r::kMagnitude] = out.magnitude;
  row[r::kVolatility] = out.volatility;
  row[r::kLevelsUsed] = levels;
  for (int c = 0; c < model_->embed; ++c) row[r::kEmbedding + c] = out.embedding[c];
}

void GnnEngine::predict(const BookView& book, double* row) {
  const int levels = prepare_features(book, nullptr, features32_.data());
  ForwardOutput out{};
  out.embedding = embedding_.data();
  backend_->forward(features32_.data(), levels, &out);
  write_row(out, levels, row);
}

void GnnEngine::predict_batch(const BookView* books, int count, double* rows, const double* const* order_flows) {
  if (count <= 0) return;
  const size_t n = static_cast<size_t>(count);
  const size_t stride = static_cast<size_t>(model_->nodes()) * kNodeFeatures;
  const size_t E = static_cast<size_t>(model_->embed);
  if (batch_levels_.size() < n) {
    batch_features_.resize(n * stride);
    batch_levels_.resize(n);
    batch_outputs_.resize(n);
    batch_embeddings_.resize(n * E);
  }
  for (size_t k = 0; k < n; ++k) {
    try {
      batch_levels_[k] = prepare_features(books[k], order_flows ? order_flows[k] : nullptr,
                                          batch_features_.data() + k * stride);
    } catch (const Error& err) {
      throw Error(err.code(), "books[" + std::to_string(k) + "]: " + err.what());
    }
    batch_outputs_[k] = ForwardOutput{};
    batch_outputs_[k].embedding = batch_embeddings_.data() + k * E;
  }
  backend_->forward_batch(batch_features_.data(), stride, batch_levels_.data(), count, batch_outputs_.data());
  const int width = row_width();
  for (size_t k = 0; k < n; ++k) write_row(batch_outputs_[k], batch_levels_[k], rows + k * width);
}

}  // namespace hawkgraph
