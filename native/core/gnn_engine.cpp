#include "gnn_engine.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

#include "../cuda/cuda_backend.hpp"
#include "../cuda/gnn_cuda_staged.hpp"
#include "cpu/cpu_backend.hpp"
#include "cpu/thread_pool.hpp"
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
                                              config_.twin_fault_after, config_.twin_skip_kernels);
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
  if (backend_->staging_capacity() > 0 && config_.cpu.threads > 1) {
    host_pool_ = std::make_unique<cpu::ThreadPool>(std::min(config_.cpu.threads, 256));
  }
  const size_t rows = static_cast<size_t>(model_->nodes());
  features64_.resize(rows * kNodeFeatures);
  features32_.resize(rows * kNodeFeatures);
  embedding_.resize(model_->embed);
}

GnnEngine::~GnnEngine() = default;

int GnnEngine::node_features(const BookView& book, double* out) const {
  validate_book(book, model_->levels);
  return build_node_features(book, model_->levels, nullptr, out);
}

int GnnEngine::build_features32(const BookView& book, const double* order_flow, float* features32) {
  const int levels = build_node_features(book, model_->levels, order_flow, features64_.data());
  const size_t count = static_cast<size_t>(2 * levels) * kNodeFeatures;
  for (size_t i = 0; i < count; ++i) features32[i] = static_cast<float>(features64_[i]);
  return levels;
}

namespace {

// validate_book for book k of a batch: its error names it books[k].
void validate_batch_book(const BookView& book, size_t k, int model_levels) {
  try {
    validate_book(book, model_levels);
  } catch (const Error& err) {
    throw Error(err.code(), "books[" + std::to_string(k) + "]: " + err.what());
  }
}

// Softmax of the logits and the arg-max direction (first of equal maxima: down, flat, up).
struct Derived {
  double probs[3];
  int direction;
};

Derived derive(const float logits[3]) {
  Derived d{};
  const double top = std::max({logits[0], logits[1], logits[2]});
  double exps[3], total = 0;
  for (int c = 0; c < 3; ++c) total += exps[c] = std::exp(logits[c] - top);
  for (int c = 0; c < 3; ++c) {
    d.probs[c] = exps[c] / total;
    if (logits[c] > logits[d.direction]) d.direction = c;
  }
  return d;
}

}  // namespace

void GnnEngine::write_row(const ForwardOutput& out, int levels, double* row) const {
  namespace r = prediction_row;
  const Derived d = derive(out.logits);
  for (int c = 0; c < 3; ++c) {
    row[r::kLogits + c] = out.logits[c];
    row[r::kProbs + c] = d.probs[c];
  }
  row[r::kDirection] = d.direction;
  row[r::kConfidence] = d.probs[d.direction];
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
  validate_book(book, model_->levels);
  if (backend_->consumes_books()) {
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
  const int levels = build_features32(book, nullptr, features32_.data());
  ForwardOutput out{};
  out.embedding = embedding_.data();
  backend_->forward(features32_.data(), levels, &out);
  write_row(out, levels, row);
}

void GnnEngine::run_batch(const BookView* books, int count, const double* const* order_flows, float* embeddings) {
  const size_t n = static_cast<size_t>(count);
  const size_t stride = static_cast<size_t>(model_->nodes()) * kNodeFeatures;
  const size_t E = static_cast<size_t>(model_->embed);
  const bool books_in = backend_->consumes_books();
  if (batch_levels_.size() < n) {
    batch_levels_.resize(n);
    batch_outputs_.resize(n);
  }
  if (!books_in && batch_features_.size() < n * stride) batch_features_.resize(n * stride);
  for (size_t k = 0; k < n; ++k) {
    batch_outputs_[k] = ForwardOutput{};
    batch_outputs_[k].embedding = embeddings ? embeddings + k * E : nullptr;
  }
  auto validate = [&](size_t k) { validate_batch_book(books[k], k, model_->levels); };
  auto flow = [&](size_t k) { return order_flows ? order_flows[k] : static_cast<const double*>(nullptr); };
  try {
    if (books_in && count <= backend_->staging_capacity()) {
      // A bad book throws before anything runs; the staging area is the backend's scratch.
      validate_and_stage(books, count, order_flows);
      backend_->run_staged(count, batch_outputs_.data());
    } else if (books_in) {
      for (size_t k = 0; k < n; ++k) {
        validate(k);
        batch_levels_[k] = levels_used(books[k], model_->levels);
      }
      backend_->forward_books(books, count, order_flows, batch_outputs_.data());
    } else {
      for (size_t k = 0; k < n; ++k) {
        validate(k);
        batch_levels_[k] = build_features32(books[k], flow(k), batch_features_.data() + k * stride);
      }
      backend_->forward_batch(batch_features_.data(), stride, batch_levels_.data(), count, batch_outputs_.data());
    }
  } catch (const Error& e) {
    if (!books_in || !fall_back(e)) throw;
    run_batch(books, count, order_flows, embeddings);
  }
}

namespace {

// Books per item of the parallel staging loop: enough that claiming an item costs little.
constexpr int kStageBlock = 64;

struct StageJob {
  InferenceBackend* backend;
  const BookView* books;
  const double* const* order_flows;
  int* levels;
  int count;
  int model_levels;
  std::atomic<int> first_bad{std::numeric_limits<int>::max()};

  // Each book is validated and staged in one pass, while it is in cache. A failure is only
  // recorded here (exceptions must not leave a pool worker): the caller reports the first one.
  static void call(void* ctx, int, int item) {
    auto* j = static_cast<StageJob*>(ctx);
    const int end = std::min(j->count, (item + 1) * kStageBlock);
    for (int k = item * kStageBlock; k < end; ++k) {
      if (k > j->first_bad.load(std::memory_order_relaxed)) return;
      try {
        validate_book(j->books[k], j->model_levels);
        j->levels[k] = j->backend->stage(k, j->books[k], j->order_flows ? j->order_flows[k] : nullptr);
      } catch (...) {
        int seen = j->first_bad.load(std::memory_order_relaxed);
        while (k < seen && !j->first_bad.compare_exchange_weak(seen, k)) {
        }
        return;
      }
    }
  }
};

}  // namespace

void GnnEngine::validate_and_stage(const BookView* books, int count, const double* const* order_flows) {
  StageJob job{backend_.get(), books, order_flows, batch_levels_.data(), count, model_->levels};
  const int items = (count + kStageBlock - 1) / kStageBlock;
  if (host_pool_ && items > 1) {
    host_pool_->run(items, &StageJob::call, &job);
  } else {
    for (int i = 0; i < items; ++i) StageJob::call(&job, 0, i);
  }
  const int bad = job.first_bad.load();
  if (bad >= count) return;
  // Validating the first refused book again throws its error, named.
  validate_batch_book(books[bad], static_cast<size_t>(bad), model_->levels);
  throw Error("ERR_INTERNAL", "books[" + std::to_string(bad) + "] could not be staged");
}

void GnnEngine::predict_batch(const BookView* books, int count, double* rows, const double* const* order_flows) {
  if (count <= 0) return;
  const size_t n = static_cast<size_t>(count), E = static_cast<size_t>(model_->embed);
  if (batch_embeddings_.size() < n * E) batch_embeddings_.resize(n * E);
  run_batch(books, count, order_flows, batch_embeddings_.data());
  const int width = row_width();
  for (size_t k = 0; k < n; ++k) write_row(batch_outputs_[k], batch_levels_[k], rows + k * width);
}

void GnnEngine::predict_batch(const BookView* books, int count, const PredictionColumns& out) {
  if (count <= 0) return;
  run_batch(books, count, nullptr, out.embedding);
  for (size_t k = 0; k < static_cast<size_t>(count); ++k) {
    const ForwardOutput& o = batch_outputs_[k];
    const Derived d = derive(o.logits);
    for (int c = 0; c < 3; ++c) {
      out.logits[3 * k + c] = o.logits[c];
      out.probs[3 * k + c] = d.probs[c];
    }
    out.direction[k] = static_cast<uint8_t>(d.direction);
    out.confidence[k] = d.probs[d.direction];
    out.magnitude[k] = o.magnitude;
    out.volatility[k] = o.volatility;
    out.levels_used[k] = batch_levels_[k];
  }
}

}  // namespace hawkgraph
