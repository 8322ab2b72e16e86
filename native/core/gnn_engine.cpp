#include "gnn_engine.hpp"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <limits>

#include "error.hpp"
#include "features.hpp"
#include "thread_pool.hpp"

namespace hawkgraph {

ModelRun::ModelRun() = default;
ModelRun::~ModelRun() = default;

namespace {

// A backend with the staging pool it asks for (its threads start here, off the hot path).
void adopt_backend(ModelRun& run, std::unique_ptr<InferenceBackend> backend) {
  run.backend = std::move(backend);
  const int threads = run.backend->stage_threads();
  run.host_pool = threads > 1 ? std::make_unique<ThreadPool>(threads) : nullptr;
}

std::string metadata_or(const GnnModel& m, const std::string& key, const std::string& absent) {
  const auto it = m.metadata.find(key);
  return it == m.metadata.end() ? absent : it->second;
}

// A run of `model` on `backend`, staged for `reserve_books` where that is > 0.
std::unique_ptr<ModelRun> assemble_run(std::shared_ptr<const GnnModel> model, uint32_t serial, std::string fallback_reason,
                                       std::unique_ptr<InferenceBackend> backend, int reserve_books) {
  auto run = std::make_unique<ModelRun>();
  run->model = std::move(model);
  run->serial = serial;
  run->fallback_reason = std::move(fallback_reason);
  adopt_backend(*run, std::move(backend));
  if (reserve_books > 0) run->backend->prepare_batch(reserve_books);
  return run;
}

}  // namespace

std::unique_ptr<ModelRun> prepare_model_run(std::shared_ptr<const GnnModel> model, const BackendProvider& provider,
                                            uint32_t serial, int reserve_books) {
  BackendProvider::Choice choice = provider.create(*model);
  return assemble_run(std::move(model), serial, std::move(choice.fallback_reason), std::move(choice.backend), reserve_books);
}

std::unique_ptr<ModelRun> sibling_run(const ModelRun& run, const BackendProvider& provider, int reserve_books) {
  std::unique_ptr<InferenceBackend> backend = run.backend->sibling();
  if (!backend) return prepare_model_run(run.model, provider, run.serial, reserve_books);
  return assemble_run(run.model, run.serial, run.fallback_reason, std::move(backend), reserve_books);
}

namespace {

[[noreturn]] void refuse_model(const char* what, const std::string& field, const std::string& engine,
                               const std::string& model) {
  throw Error("ERR_MODEL_INCOMPATIBLE", "model " + field + " is " + model + " but this engine runs " + engine + "; " +
                                            what + " keeps the engine's " + field);
}

}  // namespace

void check_shadowable(const GnnModel& running, const GnnModel& next) {
  if (running.levels != next.levels) {
    refuse_model("a shadow", "levels", std::to_string(running.levels), std::to_string(next.levels));
  }
  const std::string flow = metadata_or(running, "order_flow", "none"), next_flow = metadata_or(next, "order_flow", "none");
  if (flow != next_flow) refuse_model("a shadow", "order_flow", flow, next_flow);
}

void check_swappable(const GnnModel& running, const GnnModel& next) {
  auto refuse = [](const std::string& field, const std::string& engine, const std::string& model) {
    refuse_model("a swap", field, engine, model);
  };
  const struct {
    const char* field;
    int engine, model;
  } sizes[] = {{"levels", running.levels, next.levels},
               {"node_features", running.node_features, next.node_features},
               {"hidden", running.hidden, next.hidden},
               {"heads", running.heads, next.heads}};
  for (const auto& s : sizes) {
    if (s.engine != s.model) refuse(s.field, std::to_string(s.engine), std::to_string(s.model));
  }
  const std::string flow = metadata_or(running, "order_flow", "none"), next_flow = metadata_or(next, "order_flow", "none");
  if (flow != next_flow) refuse("order_flow", flow, next_flow);
}

GnnEngine::GnnEngine(std::shared_ptr<const GnnModel> model, std::shared_ptr<const BackendProvider> provider,
                     uint32_t serial)
    : provider_(std::move(provider)) {
  run_ = prepare_model_run(std::move(model), *provider_, serial);
  embedding_.resize(run_->model->embed);
}

GnnEngine::GnnEngine(std::unique_ptr<ModelRun> run, std::shared_ptr<const BackendProvider> provider, int reserve_books)
    : provider_(std::move(provider)), run_(std::move(run)) {
  embedding_.resize(run_->model->embed);
  const size_t n = static_cast<size_t>(std::max(reserve_books, 0));
  batch_levels_.resize(n);
  batch_outputs_.resize(n);
  batch_embeddings_.resize(n * static_cast<size_t>(run_->model->embed));
}

GnnEngine::~GnnEngine() = default;

std::unique_ptr<ModelRun> GnnEngine::install(std::unique_ptr<ModelRun> next) {
  run_.swap(next);
  return next;
}

int GnnEngine::node_features(const BookView& book, double* out) const {
  validate_book(book, run_->model->levels);
  return build_node_features(book, run_->model->levels, nullptr, out);
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
  row[r::kModel] = run_->serial;
  for (int c = 0; c < run_->model->embed; ++c) row[r::kEmbedding + c] = out.embedding[c];
}

bool GnnEngine::recover(const Error& failure) {
  std::unique_ptr<InferenceBackend> next = provider_->replace(*run_->model, *run_->backend, failure);
  if (!next) return false;
  run_->fallback_reason = failure.what();
  fallback_untold_ = true;
  adopt_backend(*run_, std::move(next));
  return true;
}

void GnnEngine::tell_fallback() {
  fallback_untold_ = false;
  if (listener_ != nullptr) listener_->on_fallback(run_->fallback_reason);
}

void GnnEngine::predict(const BookView& book, double* row) {
  validate_book(book, run_->model->levels);
  ForwardOutput out{};
  out.embedding = embedding_.data();
  int levels = 0;
  // A backend the provider replaces runs the call again; the CPU one is never replaced.
  for (;;) {
    try {
      levels = run_->backend->forward_book(book, nullptr, &out);
      break;
    } catch (const Error& e) {
      if (!recover(e)) throw;
    }
  }
  write_row(out, levels, row);
  if (fallback_untold_) tell_fallback();
}

void GnnEngine::run_batch(const BookView* books, int count, const double* const* order_flows, float* embeddings) {
  const size_t n = static_cast<size_t>(count);
  const size_t E = static_cast<size_t>(run_->model->embed);
  if (batch_levels_.size() < n) {
    batch_levels_.resize(n);
    batch_outputs_.resize(n);
  }
  for (size_t k = 0; k < n; ++k) {
    batch_outputs_[k] = ForwardOutput{};
    batch_outputs_[k].embedding = embeddings ? embeddings + k * E : nullptr;
  }
  for (;;) {
    try {
      run_batch_once(books, count, order_flows);
      return;
    } catch (const Error& e) {
      if (!recover(e)) throw;
    }
  }
}

void GnnEngine::run_batch_once(const BookView* books, int count, const double* const* order_flows) {
  const int per_run = run_->backend->prepare_batch(count);
  if (count <= per_run) {
    // Each book is validated and staged in one pass; a bad book throws before anything runs.
    stage_books(books, 0, count, order_flows, true);
    run_->backend->run_staged(count, batch_outputs_.data());
    return;
  }
  // More books than one run takes: every book is validated before the first run.
  for (int k = 0; k < count; ++k) validate_batch_book(books[k], static_cast<size_t>(k), run_->model->levels);
  for (int first = 0; first < count; first += per_run) {
    const int m = std::min(per_run, count - first);
    stage_books(books, first, m, order_flows, false);
    run_->backend->run_staged(m, batch_outputs_.data() + first);
  }
}

namespace {

// Books per item of the parallel staging loop: enough that claiming an item costs little.
constexpr int kStageBlock = 64;

struct StageJob {
  InferenceBackend* backend;
  const BookView* books;             // the first book of this run
  const double* const* order_flows;  // likewise, or null
  int* levels;
  int count;
  int model_levels;
  bool validate;
  std::atomic<int> first_bad{std::numeric_limits<int>::max()};

  // Each book is validated and staged in one pass, while it is in cache. A failure is only
  // recorded here (exceptions must not leave a pool worker): the caller reports the first one.
  static void call(void* ctx, int, int item) {
    auto* j = static_cast<StageJob*>(ctx);
    const int end = std::min(j->count, (item + 1) * kStageBlock);
    for (int k = item * kStageBlock; k < end; ++k) {
      if (k > j->first_bad.load(std::memory_order_relaxed)) return;
      try {
        if (j->validate) validate_book(j->books[k], j->model_levels);
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

void GnnEngine::stage_books(const BookView* books, int first, int count, const double* const* order_flows,
                            bool validate) {
  books += first;
  if (order_flows != nullptr) order_flows += first;
  int* levels = batch_levels_.data() + first;
  const int items = (count + kStageBlock - 1) / kStageBlock;
  if (!run_->host_pool || items <= 1) {
    for (int k = 0; k < count; ++k) {
      if (validate) validate_batch_book(books[k], static_cast<size_t>(first + k), run_->model->levels);
      levels[k] = run_->backend->stage(k, books[k], order_flows ? order_flows[k] : nullptr);
    }
    return;
  }
  StageJob job{run_->backend.get(), books, order_flows, levels, count, run_->model->levels, validate};
  run_->host_pool->run(items, &StageJob::call, &job);
  const int bad = job.first_bad.load();
  if (bad >= count) return;
  // Validating the first refused book again throws its error, named; else staging it throws its own.
  validate_batch_book(books[bad], static_cast<size_t>(first + bad), run_->model->levels);
  run_->backend->stage(bad, books[bad], order_flows ? order_flows[bad] : nullptr);
  throw Error("ERR_INTERNAL", "books[" + std::to_string(first + bad) + "] could not be staged");
}

void GnnEngine::predict_batch(const BookView* books, int count, double* rows, const double* const* order_flows) {
  if (count <= 0) return;
  const size_t n = static_cast<size_t>(count), E = static_cast<size_t>(run_->model->embed);
  if (batch_embeddings_.size() < n * E) batch_embeddings_.resize(n * E);
  run_batch(books, count, order_flows, batch_embeddings_.data());
  const int width = row_width();
  for (size_t k = 0; k < n; ++k) write_row(batch_outputs_[k], batch_levels_[k], rows + k * width);
  if (fallback_untold_) tell_fallback();
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
  if (fallback_untold_) tell_fallback();
}

}  // namespace hawkgraph
