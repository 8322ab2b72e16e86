#include "gnn_engine.hpp"

#include <algorithm>
#include <cmath>

#include "../cuda/cuda_backend.hpp"
#include "../cuda/gnn_cuda_staged.hpp"
#include "cpu/cpu_backend.hpp"
#include "error.hpp"
#include "features.hpp"

namespace hawkgraph {

GnnEngine::GnnEngine(std::shared_ptr<const GnnModel> model, const EngineConfig& config)
    : model_(std::move(model)), config_(config) {
  switch (config_.backend) {
    case BackendKind::Cpu:
      backend_ = make_cpu_backend(*model_, config_.cpu);
      break;
    case BackendKind::CudaHostTwin:
      backend_ = cuda::make_host_twin_backend(*model_, config_.cuda_fp16 ? cuda::Precision::Fp16 : cuda::Precision::Fp32,
                                              config_.twin_fault_after);
      break;
    case BackendKind::Cuda:
    case BackendKind::Auto:
      try {
        cuda::CudaBackendOptions options;
        options.precision = config_.cuda_fp16 ? cuda::Precision::Fp16 : cuda::Precision::Fp32;
        options.single_book = config_.cuda_single;
        backend_ = cuda::make_cuda_backend(*model_, options);
      } catch (const Error& e) {
        if (config_.backend == BackendKind::Cuda && !config_.fallback_cpu) throw;
        fallback_reason_ = e.what();
        backend_ = make_cpu_backend(*model_, config_.cpu);
      }
      break;
  }
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

bool GnnEngine::fall_back(const Error& failure) {
  if (!config_.fallback_cpu || failure.code().rfind("ERR_CUDA", 0) != 0 ||
      (backend_->name() != "cuda" && backend_->name() != "cuda-host-twin")) {
    return false;
  }
  fallback_reason_ = failure.what();
  ++fallbacks_;
  backend_ = make_cpu_backend(*model_, config_.cpu);
  return true;
}

void GnnEngine::predict(const BookView& book, double* row) {
  if (backend_->consumes_books()) {
    validate_book(book, model_->levels);
    ForwardOutput out{};
    out.embedding = embedding_.data();
    try {
      backend_->forward_books(&book, 1, nullptr, &out);
    } catch (const Error& e) {
      if (!fall_back(e)) throw;
      predict(book, row);
      return;
    }
    write_row(out, levels_used(book, model_->levels), row);
    return;
  }
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
  const bool books_in = backend_->consumes_books();
  for (size_t k = 0; k < n; ++k) {
    try {
      if (books_in) {
        validate_book(books[k], model_->levels);
        batch_levels_[k] = levels_used(books[k], model_->levels);
      } else {
        batch_levels_[k] = prepare_features(books[k], order_flows ? order_flows[k] : nullptr,
                                          batch_features_.data() + k * stride);
      }
    } catch (const Error& err) {
      throw Error(err.code(), "books[" + std::to_string(k) + "]: " + err.what());
    }
    batch_outputs_[k] = ForwardOutput{};
    batch_outputs_[k].embedding = batch_embeddings_.data() + k * E;
  }
  if (books_in) {
    try {
      backend_->forward_books(books, count, order_flows, batch_outputs_.data());
    } catch (const Error& e) {
      if (!fall_back(e)) throw;
      predict_batch(books, count, rows, order_flows);
      return;
    }
  } else {
    backend_->forward_batch(batch_features_.data(), stride, batch_levels_.data(), count, batch_outputs_.data());
  }
  const int width = row_width();
  for (size_t k = 0; k < n; ++k) write_row(batch_outputs_[k], batch_levels_[k], rows + k * width);
}

}  // namespace hawkgraph
