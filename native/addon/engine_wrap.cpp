#include "engine_wrap.hpp"

#include <string>

#include "../backends/registry.hpp"
#include "../core/error.hpp"
#include "../core/features.hpp"
#include "../core/gnn_model.hpp"
#include "../core/layouts.hpp"
#include "../core/limits.hpp"
#include "../core/model_file.hpp"
#include "../core/sha256.hpp"
#include "../core/thread_pool.hpp"
#include "async_job.hpp"
#include "background_job.hpp"
#include "js_errors.hpp"
#include "js_views.hpp"

namespace hawkgraph::addon {
namespace {

using backends::GnnBackendOptions;

// new GnnEngine(bytes, backend, options, onFallback)'s backend and options, which lib/engine.ts
// has checked: { precision, threads, kernels, folds, fallback, singleBook, twinFaultAfter,
// twinSkipKernels }, each read once.
GnnBackendOptions backend_options(const Napi::Value& backend, const Napi::Value& options) {
  GnnBackendOptions g;
  g.kind = backends::gnn_backend_kind(backend.IsString() ? backend.As<Napi::String>().Utf8Value() : "");
  if (!options.IsObject()) return g;
  const Napi::Object o = options.As<Napi::Object>();
  const Napi::Value precision = o.Get("precision");
  if (precision.IsString()) g.precision = backends::precision_from_name(precision.As<Napi::String>().Utf8Value());
  const Napi::Value threads = o.Get("threads");
  if (threads.IsNumber()) g.threads = threads.As<Napi::Number>().Int32Value();
  g.kernels = string_field(o, "kernels", g.kernels);
  const Napi::Value folds = o.Get("folds");
  if (folds.IsBoolean()) g.folds = folds.As<Napi::Boolean>().Value();
  g.fallback = backends::fallback_from_name(string_field(o, "fallback", "none"));
  g.single_book = backends::single_book_from_name(string_field(o, "singleBook", "auto"));
  const Napi::Value fault = o.Get("twinFaultAfter");
  if (fault.IsNumber()) g.twin_fault_after = fault.As<Napi::Number>().Int32Value();
  g.twin_skip_kernels = o.Get("twinSkipKernels").ToBoolean();
  return g;
}

// GnnEngine.cpuKernels(): the kernel tables this CPU runs, widest first.
Napi::Value cpu_kernels_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] {
    const auto names = backends::cpu_kernel_tables();
    Napi::Array a = Napi::Array::New(env, names.size());
    for (size_t i = 0; i < names.size(); ++i) a.Set(i, names[i]);
    return a;
  });
}

// GnnEngine.measureCpuPeak(kernels, seconds): single-thread FP32 (and BF16 dot-product) GFLOP/s,
// for the benchmark's floors. Blocks for about 2 x seconds.
Napi::Value measure_cpu_peak_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] {
    const std::string kernels = info[0].IsString() ? info[0].As<Napi::String>().Utf8Value() : "auto";
    const double seconds = info[1].IsNumber() ? info[1].As<Napi::Number>().DoubleValue() : 0.2;
    const CpuPeak p = backends::measure_cpu_peak(kernels, seconds);
    Napi::Object o = Napi::Object::New(env);
    o.Set("kernels", p.kernels);
    o.Set("fp32GFlops", p.fp32_gflops);
    o.Set("bf16GFlops", p.bf16_gflops);
    return o;
  });
}

std::string model_name(const GnnModel& m) {
  const auto it = m.metadata.find("name");
  return it == m.metadata.end() ? "" : it->second;
}

// prepareModel's work: read (a path), hash, parse and check the model, then build its runs
// (backends with their weights prepared). Nothing here touches the engine, which keeps predicting
// on the JS thread meanwhile: the running model and the provider are shared, immutable copies
// taken when the job was queued.
class ModelPreparation {
 public:
  ModelPreparation(std::unique_ptr<PreparedModel> prepared, std::vector<uint8_t> bytes, std::string path, int runs,
                   bool shadow, int reserve_books, std::shared_ptr<const GnnModel> running,
                   std::shared_ptr<const BackendProvider> provider, Napi::Promise::Deferred deferred)
      : prepared_(std::move(prepared)),
        bytes_(std::move(bytes)),
        path_(std::move(path)),
        runs_(runs),
        shadow_(shadow),
        reserve_books_(reserve_books),
        running_(std::move(running)),
        provider_(std::move(provider)),
        deferred_(deferred) {}

  // Building a backend is CPU work like the parse, so both run on the background thread, unless
  // building starts threads (a thread pool, a CUDA device's), which must not inherit its
  // priority: those runs are built on a libuv pool thread (build_runs), queued by the JS thread.
  bool builds_in_background() const { return !provider_->starts_threads(); }

  void prepare_in_background() {
    capture_failure([&] { parse(); }, &code_, &message_);
    if (!failed() && builds_in_background()) build_runs();
  }

  void build_runs() {
    capture_failure([&] {
      PreparedModel& p = *prepared_;
      // One backend prepares the weights; the other runs (for the stream) share them where they can.
      for (int k = 0; k < runs_; ++k) {
        p.runs.push_back(k == 0 ? prepare_model_run(p.model, *provider_, p.serial, reserve_books_)
                                : sibling_run(*p.runs.front(), *provider_, reserve_books_));
      }
    }, &code_, &message_);
  }

  bool failed() const { return !code_.empty(); }
  bool built() const { return failed() || static_cast<int>(prepared_->runs.size()) == runs_; }

  // On the JS thread: resolves with { modelId, modelName?, serial, handle } or rejects.
  void settle(Napi::Env env) {
    Napi::HandleScope scope(env);
    if (failed()) {
      deferred_.Reject(make_error(env, code_, message_).Value());
      return;
    }
    Napi::Object o = Napi::Object::New(env);
    o.Set("modelId", prepared_->id);
    if (!prepared_->name.empty()) o.Set("modelName", prepared_->name);
    o.Set("serial", prepared_->serial);
    o.Set("handle", Napi::External<PreparedModel>::New(env, prepared_.release(),
                                                       [](Napi::Env, PreparedModel* p) { delete p; }));
    deferred_.Resolve(o);
  }

 private:
  void parse() {
    PreparedModel& p = *prepared_;
    if (p.model) return;  // re-preparing a handle's model for more runs
    if (!path_.empty()) bytes_ = read_model_file(path_);
    p.id = sha256_hex(bytes_.data(), bytes_.size());
    auto model = std::make_shared<const GnnModel>(load_gnn_model(bytes_.data(), bytes_.size()));
    std::vector<uint8_t>().swap(bytes_);  // the weights are copied out; the file's bytes can go
    if (shadow_) {
      check_shadowable(*running_, *model);
    } else {
      check_swappable(*running_, *model);
    }
    p.name = model_name(*model);
    p.model = std::move(model);
  }

  std::unique_ptr<PreparedModel> prepared_;
  std::vector<uint8_t> bytes_;
  std::string path_;
  int runs_;
  bool shadow_;
  int reserve_books_;
  std::shared_ptr<const GnnModel> running_;
  std::shared_ptr<const BackendProvider> provider_;
  Napi::Promise::Deferred deferred_;
  std::string code_, message_;
};

// The runs of a backend that starts threads, built at the pool thread's normal priority.
class BuildRunsWorker : public Napi::AsyncWorker {
 public:
  BuildRunsWorker(Napi::Env env, std::shared_ptr<ModelPreparation> job)
      : Napi::AsyncWorker(env, "hawkgraph.prepareModel"), job_(std::move(job)) {}

 protected:
  void Execute() override { job_->build_runs(); }
  void OnOK() override { job_->settle(Env()); }

 private:
  std::shared_ptr<ModelPreparation> job_;
};

void start_preparation(Napi::Env env, std::shared_ptr<ModelPreparation> job) {
  run_in_background_then(
      env, [job] { job->prepare_in_background(); },
      [job](Napi::Env env) {
        if (job->built()) {
          job->settle(env);
        } else {
          (new BuildRunsWorker(env, job))->Queue();
        }
      });
}

}  // namespace

void free_runs_off_thread(ModelRun* runs) {
  if (runs == nullptr) return;
  // Freeing joins threads but starts none, and nothing waits on it: it need not wake the thread.
  post_to_background_lazily([runs]() mutable {
    while (runs != nullptr) {
      ModelRun* next = runs->retired_next;
      delete runs;
      runs = next;
    }
  });
}

std::unique_ptr<ModelRun> PreparedModel::take_run() {
  if (runs.empty()) throw Error("ERR_INTERNAL", "the prepared model has no run left to install");
  std::unique_ptr<ModelRun> run = std::move(runs.back());
  runs.pop_back();
  // The runs share the model; once they are all taken the handle (freed whenever V8 collects
  // it) must not keep it alive.
  if (runs.empty()) model.reset();
  return run;
}

Napi::Function EngineWrap::define(Napi::Env env) {
  Napi::Function cls = DefineClass(env, "GnnEngine",
                     {InstanceMethod<&EngineWrap::info>("info"),
                      InstanceMethod<&EngineWrap::predict>("predict"),
                      InstanceMethod<&EngineWrap::predict_batch>("predictBatch"),
                      InstanceMethod<&EngineWrap::node_features>("nodeFeatures"),
                      InstanceMethod<&EngineWrap::prepare_model>("prepareModel"),
                      InstanceMethod<&EngineWrap::install_model>("installModel"),
                      InstanceMethod<&EngineWrap::close>("close")});
  cls.Set("cpuKernels", Napi::Function::New(env, cpu_kernels_js, "cpuKernels"));
  cls.Set("measureCpuPeak", Napi::Function::New(env, measure_cpu_peak_js, "measureCpuPeak"));
  return cls;
}

// new GnnEngine(modelBytes: Uint8Array, backend: 'cpu' | 'cuda')
EngineWrap::EngineWrap(const Napi::CallbackInfo& info) : Napi::ObjectWrap<EngineWrap>(info) {
  Napi::Env env = info.Env();
  guard(env, [&] {
    if (!info[0].IsTypedArray() || info[0].As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
      throw make_error(env, "ERR_INVALID_ARGUMENT", "model bytes must be a Uint8Array");
    }
    auto bytes = info[0].As<Napi::Uint8Array>();
    auto provider = backends::gnn_backends(backend_options(info[1], info[2]));
    if (info[3].IsFunction()) on_fallback_ = Napi::Persistent(info[3].As<Napi::Function>());
    auto model = std::make_shared<const GnnModel>(load_gnn_model(bytes.Data(), bytes.ByteLength()));
    model_id_ = sha256_hex(bytes.Data(), bytes.ByteLength());
    model_name_ = model_name(*model);
    engine_ = std::make_unique<GnnEngine>(std::move(model), std::move(provider));
    engine_->set_fallback_listener(this);
  });
}

GnnEngine& EngineWrap::engine(Napi::Env env) {
  if (!engine_) throw make_error(env, "ERR_ENGINE_CLOSED", "engine is closed");
  return *engine_;
}

Napi::Value EngineWrap::info(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] {
    const GnnEngine& e = engine(env);
    const GnnModel& m = e.model();
    const BackendDescription b = e.describe_backend();
    Napi::Object o = Napi::Object::New(env);
    o.Set("backend", b.name);
    o.Set("precision", b.precision);
    if (!b.device.empty()) o.Set("device", b.device);
    if (!e.fallback_reason().empty()) o.Set("fallbackReason", e.fallback_reason());
    if (!b.stats.empty()) {
      Napi::Object s = Napi::Object::New(env);
      for (const auto& [k, v] : b.stats) s.Set(k, v);
      o.Set("backendStats", s);
    }
    o.Set("levels", m.levels);
    o.Set("nodeFeatures", m.node_features);
    o.Set("hidden", m.hidden);
    o.Set("embed", m.embed);
    o.Set("heads", m.heads);
    o.Set("attention", m.attention == AttentionMode::Pooled ? "pooled" : "levels");
    o.Set("edges", static_cast<double>(m.topology.edges()));
    o.Set("rowWidth", e.row_width());
    if (!b.kernels.empty()) {
      o.Set("kernels", b.kernels);
      o.Set("threads", b.threads);
      o.Set("folds", b.folds);
      Napi::Object macs = Napi::Object::New(env);
      macs.Set("folded", b.macs_folded);
      macs.Set("asWritten", b.macs_as_written);
      o.Set("macs", macs);
    } else if (b.threads > 0) {
      o.Set("threads", b.threads);  // host threads that validate and stage a batch
    }
    Napi::Object meta = Napi::Object::New(env);
    for (const auto& [k, v] : m.metadata) meta.Set(k, v);
    o.Set("metadata", meta);
    o.Set("modelId", model_id_);
    if (!model_name_.empty()) o.Set("modelName", model_name_);
    o.Set("modelSerial", e.model_serial());
    return o;
  });
}

// predict(bidPx, bidSz, nb, askPx, askSz, na, row: Float64Array[rowWidth])
Napi::Value EngineWrap::predict(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  guard(env, [&] {
    GnnEngine& e = engine(env);
    BookView book = book_args(info, 0);
    auto row = float64_view(info[6], "row");
    if (row.length < static_cast<size_t>(e.row_width())) {
      throw make_error(env, "ERR_INVALID_ARGUMENT", "row must hold " + std::to_string(e.row_width()) + " values");
    }
    e.predict(book, row.data);
  });
  return env.Undefined();
}

namespace {

// The result columns of predictBatch for `count` books: { direction: Uint8Array, logits, probs:
// Float64Array (3 per book), confidence, magnitude, volatility: Float64Array, levelsUsed:
// Int32Array, embedding?: Float32Array (E per book; absent: not wanted) }.
PredictionColumns result_columns(const Napi::Value& v, size_t count, size_t embed) {
  if (!v.IsObject()) throw make_error(v.Env(), "ERR_INVALID_ARGUMENT", "out must be an object of result columns");
  const Napi::Object o = v.As<Napi::Object>();
  auto fits = [&](size_t length, size_t per_book, const char* name) {
    if (length < count * per_book) {
      throw make_error(v.Env(), "ERR_INVALID_ARGUMENT",
                       std::string("out.") + name + " holds " + std::to_string(length) + " values; " +
                           std::to_string(count) + " books need " + std::to_string(count * per_book));
    }
  };
  auto f64 = [&](const char* name, size_t per_book) {
    const auto view = float64_view(o.Get(name), name);
    fits(view.length, per_book, name);
    return view.data;
  };
  PredictionColumns c{};
  const auto direction = uint8_view(o.Get("direction"), "direction");
  fits(direction.length, 1, "direction");
  c.direction = direction.data;
  c.logits = f64("logits", 3);
  c.probs = f64("probs", 3);
  c.confidence = f64("confidence", 1);
  c.magnitude = f64("magnitude", 1);
  c.volatility = f64("volatility", 1);
  const auto levels = int32_view(o.Get("levelsUsed"), "levelsUsed");
  fits(levels.length, 1, "levelsUsed");
  c.levels_used = levels.data;
  const Napi::Value embedding = o.Get("embedding");
  if (!embedding.IsUndefined()) {
    const auto view = float32_view(embedding, "embedding");
    fits(view.length, embed, "embedding");
    c.embedding = view.data;
  }
  return c;
}

}  // namespace

// predictBatch(packed: Float64Array[count * 4L], counts: Int32Array[2 * count], count, out).
// Book k's columns are bidPx, bidSz, askPx, askSz, L values each, from k * 4L; its level counts
// are counts[2k], counts[2k + 1] (<= L). Results land in `out`'s columns (result_columns).
Napi::Value EngineWrap::predict_batch(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] {
    GnnEngine& e = engine(env);
    auto packed = float64_view(info[0], "packed");
    auto counts = int32_view(info[1], "counts");
    const int32_t count = int_arg(info[2], "count", 0, limits::kMaxBatchBooks);
    const size_t L = static_cast<size_t>(e.model().levels);
    const size_t n = static_cast<size_t>(count);
    constexpr size_t kColumns = batch_book::kColumns, kCounts = batch_counts::kWidth;
    if (packed.length < n * kColumns * L || counts.length < kCounts * n) {
      throw make_error(env, "ERR_INVALID_ARGUMENT", "batch buffers are smaller than count books");
    }
    const PredictionColumns out = result_columns(info[3], n, static_cast<size_t>(e.model().embed));
    if (batch_views_.size() < n) batch_views_.resize(n);
    BookView* views = batch_views_.data();
    for (size_t k = 0; k < n; ++k) {
      const double* base = packed.data + k * kColumns * L;
      const int nb = counts.data[kCounts * k + batch_counts::kBids], na = counts.data[kCounts * k + batch_counts::kAsks];
      if (nb < 0 || na < 0 || static_cast<size_t>(nb) > L || static_cast<size_t>(na) > L) {
        throw make_error(env, "ERR_BOOK_LENGTH",
                         "books[" + std::to_string(k) + "]: level counts (bids " + std::to_string(nb) + ", asks " +
                             std::to_string(na) + ") must be from 0 to " + std::to_string(L));
      }
      namespace c = batch_book;
      views[k] = BookView{{base + c::kBidPrice * L, base + c::kBidSize * L, nb}, {base + c::kAskPrice * L, base + c::kAskSize * L, na}};
    }
    e.predict_batch(views, count, out);
    return Napi::Number::New(env, e.model_serial());
  });
}

void EngineWrap::on_fallback(const std::string& reason) {
  if (!on_fallback_.IsEmpty()) on_fallback_.Call({Napi::String::New(Env(), reason)});
}

// nodeFeatures(bidPx, bidSz, nb, askPx, askSz, na) -> Float64Array [2 * levelsUsed * 8]
Napi::Value EngineWrap::node_features(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    GnnEngine& e = engine(env);
    BookView book = book_args(info, 0);
    std::vector<double> out(static_cast<size_t>(e.model().nodes()) * kNodeFeatures);
    const int levels = e.node_features(book, out.data());
    auto result = Napi::Float64Array::New(env, static_cast<size_t>(2 * levels) * kNodeFeatures);
    std::copy(out.begin(), out.begin() + result.ElementLength(), result.Data());
    return result;
  });
}

// prepareModel(source: Uint8Array | string | handle, runs, shadow?, reserveBooks?) -> Promise<{ modelId, modelName?,
// serial, handle }>: a model file's bytes (copied now: JS may reuse them), its path (read on the
// worker) or the handle of a model prepared before (more runs for it, as its serial). `shadow`: the
// model runs beside this one (check_shadowable), not in its place (check_swappable).
// `reserveBooks`: each run's batch staging is sized for a stream batch of that many. lib/ has
// checked types.
Napi::Value EngineWrap::prepare_model(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const GnnEngine& e = engine(env);
    const int runs = int_arg(info[1], "runs", 0, 2);
    const bool shadow = info[2].ToBoolean();
    const int reserve_books = info[3].IsUndefined() ? 0 : int_arg(info[3], "reserveBooks", 0, limits::kStreamMaxBatch.max);
    auto prepared = std::make_unique<PreparedModel>();
    std::vector<uint8_t> bytes;
    std::string path;
    if (info[0].IsExternal()) {
      const PreparedModel& before = *info[0].As<Napi::External<PreparedModel>>().Data();
      prepared->model = before.model;
      prepared->id = before.id;
      prepared->name = before.name;
      prepared->serial = before.serial;
    } else {
      if (info[0].IsTypedArray() && info[0].As<Napi::TypedArray>().TypedArrayType() == napi_uint8_array) {
        auto view = info[0].As<Napi::Uint8Array>();
        bytes.assign(view.Data(), view.Data() + view.ByteLength());
      } else if (info[0].IsString()) {
        path = info[0].As<Napi::String>().Utf8Value();
      } else {
        throw make_error(env, "ERR_INVALID_ARGUMENT", "model must be a file path or a Uint8Array");
      }
      prepared->serial = next_serial_++;
    }
    Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(env);
    start_preparation(env, std::make_shared<ModelPreparation>(std::move(prepared), std::move(bytes), std::move(path), runs,
                                                              shadow, reserve_books, e.shared_model(), e.provider(), deferred));
    Napi::Promise promise = deferred.Promise();
    return promise;
  });
}

// installModel(handle): predict() and predictBatch() run the prepared model from the next call on;
// the run it replaces is freed on the background thread.
Napi::Value EngineWrap::install_model(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  guard(env, [&] {
    GnnEngine& e = engine(env);
    if (!info[0].IsExternal()) throw make_error(env, "ERR_INVALID_ARGUMENT", "handle must come from prepareModel");
    PreparedModel& p = *info[0].As<Napi::External<PreparedModel>>().Data();
    std::unique_ptr<ModelRun> old = e.install(p.take_run());
    old->retired_next = nullptr;
    free_runs_off_thread(old.release());
    model_id_ = p.id;
    model_name_ = p.name;
  });
  return env.Undefined();
}

Napi::Value EngineWrap::close(const Napi::CallbackInfo& info) {
  engine_.reset();
  return info.Env().Undefined();
}

}  // namespace hawkgraph::addon
