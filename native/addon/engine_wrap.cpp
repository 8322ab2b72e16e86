#include "engine_wrap.hpp"

#include <string>

#include "../core/error.hpp"
#include "../core/cpu/cpu_backend.hpp"
#include "../core/gnn_model.hpp"
#include "js_errors.hpp"
#include "js_views.hpp"

namespace hawkgraph::addon {
namespace {

constexpr int32_t kMaxBookLevels = 1 << 24;

BackendKind parse_backend(const Napi::Value& v) {
  const std::string name = v.IsString() ? v.As<Napi::String>().Utf8Value() : "";
  if (name == "cpu") return BackendKind::Cpu;
  if (name == "cuda") return BackendKind::Cuda;
  if (name == "auto") return BackendKind::Auto;
  if (name == "cuda-host-twin") return BackendKind::CudaHostTwin;
  throw make_error(v.Env(), "ERR_INVALID_OPTION", "backend must be \"auto\", \"cpu\" or \"cuda\", got \"" + name + "\"");
}

std::string string_option(const Napi::Object& o, const char* key, const std::string& fallback) {
  const Napi::Value v = o.Get(key);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : fallback;
}

// The CUDA options lib/engine.ts has already checked: { precision, fallback, singleBook }.
void parse_cuda_options(const Napi::Value& v, EngineConfig& config) {
  if (!v.IsObject()) return;
  const Napi::Object o = v.As<Napi::Object>();
  config.cuda_fp16 = string_option(o, "precision", "fp16") != "fp32";
  config.fallback_cpu = string_option(o, "fallback", "none") == "cpu";
  const std::string single = string_option(o, "singleBook", "auto");
  config.cuda_single = single == "persistent" ? 1 : single == "graph" ? 2 : 0;
  const Napi::Value fault = o.Get("twinFaultAfter");
  if (fault.IsNumber()) config.twin_fault_after = fault.As<Napi::Number>().Int32Value();
  config.twin_skip_kernels = o.Get("twinSkipKernels").ToBoolean();
}

// Arguments (bidPx, bidSz, bidCount, askPx, askSz, askCount) starting at `first`.
BookView book_args(const Napi::CallbackInfo& info, size_t first) {
  auto bid_px = float64_view(info[first], "bidPx");
  auto bid_sz = float64_view(info[first + 1], "bidSz");
  const int32_t nb = int_arg(info[first + 2], "bidCount", 0, kMaxBookLevels);
  auto ask_px = float64_view(info[first + 3], "askPx");
  auto ask_sz = float64_view(info[first + 4], "askSz");
  const int32_t na = int_arg(info[first + 5], "askCount", 0, kMaxBookLevels);
  if (static_cast<size_t>(nb) > bid_px.length || static_cast<size_t>(nb) > bid_sz.length ||
      static_cast<size_t>(na) > ask_px.length || static_cast<size_t>(na) > ask_sz.length) {
    throw make_error(info.Env(), "ERR_BOOK_LENGTH", "book level counts exceed the arrays passed");
  }
  return BookView{{bid_px.data, bid_sz.data, nb}, {ask_px.data, ask_sz.data, na}};
}

// The CPU backend's options from the JS options object (lib/ has validated their types).
void read_cpu_options(const Napi::Value& v, CpuOptions& cpu) {
  if (!v.IsObject()) return;
  Napi::Object o = v.As<Napi::Object>();
  if (o.Has("precision") && o.Get("precision").IsString()) cpu.precision = o.Get("precision").As<Napi::String>().Utf8Value();
  if (o.Has("threads") && o.Get("threads").IsNumber()) cpu.threads = o.Get("threads").As<Napi::Number>().Int32Value();
  if (o.Has("kernels") && o.Get("kernels").IsString()) cpu.kernels = o.Get("kernels").As<Napi::String>().Utf8Value();
  if (o.Has("folds") && o.Get("folds").IsBoolean()) cpu.folds = o.Get("folds").As<Napi::Boolean>().Value();
}

// GnnEngine.cpuKernels(): the kernel tables this CPU runs, widest first.
Napi::Value cpu_kernels_js(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&] {
    const auto names = cpu_kernel_names();
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
    if (!(seconds > 0 && seconds <= 10)) throw make_error(env, "ERR_INVALID_ARGUMENT", "seconds must be in (0, 10]");
    const CpuPeak p = measure_cpu_peak(kernels, seconds);
    Napi::Object o = Napi::Object::New(env);
    o.Set("kernels", p.kernels);
    o.Set("fp32GFlops", p.fp32_gflops);
    o.Set("bf16GFlops", p.bf16_gflops);
    return o;
  });
}

}  // namespace

Napi::Function EngineWrap::define(Napi::Env env) {
  Napi::Function cls = DefineClass(env, "GnnEngine",
                     {InstanceMethod<&EngineWrap::info>("info"),
                      InstanceMethod<&EngineWrap::predict>("predict"),
                      InstanceMethod<&EngineWrap::predict_batch>("predictBatch"),
                      InstanceMethod<&EngineWrap::node_features>("nodeFeatures"),
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
    EngineConfig config;
    config.backend = parse_backend(info[1]);
    parse_cuda_options(info[2], config);
    if (info[3].IsFunction()) on_fallback_ = Napi::Persistent(info[3].As<Napi::Function>());
    read_cpu_options(info[2], config.cpu);
    auto model = std::make_shared<const GnnModel>(load_gnn_model(bytes.Data(), bytes.ByteLength()));
    engine_ = std::make_unique<GnnEngine>(std::move(model), config);
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
    Napi::Object o = Napi::Object::New(env);
    o.Set("backend", e.backend().name());
    o.Set("precision", e.backend().precision());
    if (!e.backend().device().empty()) o.Set("device", e.backend().device());
    if (!e.fallback_reason().empty()) o.Set("fallbackReason", e.fallback_reason());
    const auto stats = e.backend().stats();
    if (!stats.empty()) {
      Napi::Object s = Napi::Object::New(env);
      for (const auto& [k, v] : stats) s.Set(k, v);
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
    const std::string kernels = cpu_backend_kernels(e.backend());
    if (!kernels.empty()) {
      o.Set("kernels", kernels);
      o.Set("threads", e.config().cpu.threads);
      o.Set("folds", e.config().cpu.folds);
      Napi::Object macs = Napi::Object::New(env);
      macs.Set("folded", cpu_forward_macs(m, m.levels, true));
      macs.Set("asWritten", cpu_forward_macs(m, m.levels, false));
      o.Set("macs", macs);
    } else if (e.backend().staging_capacity() > 0) {
      o.Set("threads", e.config().cpu.threads);  // host threads that validate and stage a batch
    }
    Napi::Object meta = Napi::Object::New(env);
    for (const auto& [k, v] : m.metadata) meta.Set(k, v);
    o.Set("metadata", meta);
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
  notify_fallback(env);
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
  guard(env, [&] {
    GnnEngine& e = engine(env);
    auto packed = float64_view(info[0], "packed");
    auto counts = int32_view(info[1], "counts");
    const int32_t count = int_arg(info[2], "count", 0, 1 << 30);
    const size_t L = static_cast<size_t>(e.model().levels);
    const size_t n = static_cast<size_t>(count);
    if (packed.length < n * 4 * L || counts.length < 2 * n) {
      throw make_error(env, "ERR_INVALID_ARGUMENT", "batch buffers are smaller than count books");
    }
    const PredictionColumns out = result_columns(info[3], n, static_cast<size_t>(e.model().embed));
    if (batch_views_.size() < n) batch_views_.resize(n);
    BookView* views = batch_views_.data();
    for (size_t k = 0; k < n; ++k) {
      const double* base = packed.data + k * 4 * L;
      const int nb = counts.data[2 * k], na = counts.data[2 * k + 1];
      if (nb < 0 || na < 0 || static_cast<size_t>(nb) > L || static_cast<size_t>(na) > L) {
        throw make_error(env, "ERR_BOOK_LENGTH",
                         "books[" + std::to_string(k) + "]: level counts (bids " + std::to_string(nb) + ", asks " +
                             std::to_string(na) + ") must be from 0 to " + std::to_string(L));
      }
      views[k] = BookView{{base, base + L, nb}, {base + 2 * L, base + 3 * L, na}};
    }
    e.predict_batch(views, count, out);
  });
  notify_fallback(env);
  return env.Undefined();
}

// A CUDA failure moved the engine to the CPU during the call just made: tell lib/ once, after the
// call's results are written (an int compare per call otherwise).
void EngineWrap::notify_fallback(Napi::Env env) {
  if (!engine_ || engine_->fallbacks() == seen_fallbacks_) return;
  seen_fallbacks_ = engine_->fallbacks();
  if (!on_fallback_.IsEmpty()) on_fallback_.Call({Napi::String::New(env, engine_->fallback_reason())});
}

// nodeFeatures(bidPx, bidSz, nb, askPx, askSz, na) -> Float64Array [2 * levelsUsed * 8]
Napi::Value EngineWrap::node_features(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    GnnEngine& e = engine(env);
    BookView book = book_args(info, 0);
    std::vector<double> out(static_cast<size_t>(e.model().nodes()) * 8);
    const int levels = e.node_features(book, out.data());
    auto result = Napi::Float64Array::New(env, static_cast<size_t>(2 * levels) * 8);
    std::copy(out.begin(), out.begin() + result.ElementLength(), result.Data());
    return result;
  });
}

Napi::Value EngineWrap::close(const Napi::CallbackInfo& info) {
  engine_.reset();
  return info.Env().Undefined();
}

}  // namespace hawkgraph::addon
