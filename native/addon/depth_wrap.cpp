#include "depth_wrap.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#if defined(__linux__)
#include <sys/mman.h>
#endif

#include "../core/depth/depth_simulate.hpp"
#include "../core/error.hpp"
#include "async_job.hpp"
#include "js_errors.hpp"
#include "js_views.hpp"

namespace hawkgraph::addon {
namespace {

std::vector<double> doubles(const Napi::Value& v, const char* name) {
  auto view = float64_view(v, name);
  return std::vector<double>(view.data, view.data + view.length);
}

// (model: { window, limitRate: F64, cancelRate: F64, marketRate, limitSizeMean, marketSizeMean,
// farDepth, alpha: F64[36], beta, tick, initialBid, initialAsk }, snapshots: { levels, interval,
// warmup, duration, horizonSeconds, horizonEvents, flatBand, magnitudeScale }, run: { paths, seed,
// threads }), every field read and range-checked here or in core.
depth::DepthParams params_arg(const Napi::Object& m) {
  depth::DepthParams p;
  p.window = static_cast<int>(integer_field(m, "window", 1, limits::kMaxDepthWindow));
  p.limit_rate = doubles(m.Get("limitRate"), "limitRate");
  p.cancel_rate = doubles(m.Get("cancelRate"), "cancelRate");
  p.market_rate = number_field(m, "marketRate");
  p.limit_size_mean = number_field(m, "limitSizeMean");
  p.market_size_mean = number_field(m, "marketSizeMean");
  p.far_depth = number_field(m, "farDepth");
  const std::vector<double> alpha = doubles(m.Get("alpha"), "alpha");
  if (alpha.size() != p.alpha.size()) {
    throw Error("ERR_INVALID_OPTION", "alpha must have 36 entries (6 x 6), got " + std::to_string(alpha.size()));
  }
  std::copy(alpha.begin(), alpha.end(), p.alpha.begin());
  p.beta = number_field(m, "beta");
  p.tick = number_field(m, "tick");
  p.initial_bid = integer_field(m, "initialBid", -limits::kMaxTicks, limits::kMaxTicks);
  p.initial_ask = integer_field(m, "initialAsk", -limits::kMaxTicks, limits::kMaxTicks);
  return p;
}

depth::DepthRun run_args(const Napi::CallbackInfo& info) {
  for (size_t q = 0; q < 3; ++q) {
    if (!info[q].IsObject()) throw Error("ERR_INVALID_OPTION", "depthSimulate takes three option objects");
  }
  const Napi::Object s = info[1].As<Napi::Object>(), r = info[2].As<Napi::Object>();
  depth::DepthRun run;
  run.params = params_arg(info[0].As<Napi::Object>());
  depth::SnapshotSpec& sp = run.snapshots;
  sp.levels = static_cast<int>(integer_field(s, "levels", 1, limits::kMaxDepthWindow));
  sp.interval = number_field(s, "interval");
  sp.warmup = number_field(s, "warmup");
  sp.duration = number_field(s, "duration");
  sp.horizon_seconds = number_field(s, "horizonSeconds");
  sp.horizon_events = integer_field(s, "horizonEvents", 0, limits::kMaxDepthHorizonEvents);
  sp.flat_band = number_field(s, "flatBand");
  sp.magnitude_scale = number_field(s, "magnitudeScale");
  run.paths = integer_field(r, "paths", 1, static_cast<double>(limits::kMaxPaths));
  run.seed = static_cast<uint64_t>(integer_field(r, "seed", 0, limits::kMaxSafeInteger));
  run.threads = static_cast<int>(integer_field(r, "threads", 1, limits::kMaxSimulationThreads));
  depth::validate_depth_run(run);
  return run;
}

template <class T, class Array>
Array concat(Napi::Env env, const std::vector<depth::PathSnapshots>& paths, const std::vector<T> depth::PathSnapshots::*field) {
  size_t n = 0;
  for (const auto& p : paths) n += (p.*field).size();
  Array a = Array::New(env, n);
  size_t at = 0;
  for (const auto& p : paths) {
    const std::vector<T>& v = p.*field;
    if (!v.empty()) std::memcpy(a.Data() + at, v.data(), sizeof(T) * v.size());
    at += v.size();
  }
  return a;
}

// depthCheck(model) -> { spectralRadius }: the model's checks alone.
Napi::Value depth_check(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    if (!info[0].IsObject()) throw Error("ERR_INVALID_OPTION", "depthCheck takes the model's option object");
    const depth::DepthParams p = params_arg(info[0].As<Napi::Object>());
    depth::validate_depth_params(p);
    Napi::Object o = Napi::Object::New(env);
    o.Set("spectralRadius", depth::depth_excitation_radius(p));
    return o;
  });
}

// { columns: F64[n * 4L], counts: I32[2n], time, mid, move, magnitude, volatility: F64[n],
//   direction: I32[n], path: I32[n], classEvents: F64[paths * 6] }
Napi::Value result_object(Napi::Env env, const std::vector<depth::PathSnapshots>& paths) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("columns", concat<double, Napi::Float64Array>(env, paths, &depth::PathSnapshots::columns));
  o.Set("counts", concat<int32_t, Napi::Int32Array>(env, paths, &depth::PathSnapshots::counts));
  o.Set("time", concat<double, Napi::Float64Array>(env, paths, &depth::PathSnapshots::time));
  o.Set("mid", concat<double, Napi::Float64Array>(env, paths, &depth::PathSnapshots::mid));
  o.Set("move", concat<double, Napi::Float64Array>(env, paths, &depth::PathSnapshots::move));
  o.Set("magnitude", concat<double, Napi::Float64Array>(env, paths, &depth::PathSnapshots::magnitude));
  o.Set("volatility", concat<double, Napi::Float64Array>(env, paths, &depth::PathSnapshots::volatility));
  o.Set("direction", concat<int32_t, Napi::Int32Array>(env, paths, &depth::PathSnapshots::direction));
  size_t n = 0;
  for (const auto& p : paths) n += p.time.size();
  Napi::Int32Array path = Napi::Int32Array::New(env, n);
  Napi::Float64Array by_class = Napi::Float64Array::New(env, paths.size() * depth::kClasses);
  size_t at = 0;
  for (size_t q = 0; q < paths.size(); ++q) {
    for (size_t i = 0; i < paths[q].time.size(); ++i) path[at++] = static_cast<int32_t>(q);
    for (int c = 0; c < depth::kClasses; ++c) by_class[q * depth::kClasses + c] = static_cast<double>(paths[q].class_events[c]);
  }
  o.Set("path", path);
  o.Set("classEvents", by_class);
  return o;
}

struct DepthResult {
  std::vector<depth::PathSnapshots> paths;
  bool cancelled = false;
};

struct DepthJob {
  depth::DepthRun spec;
  std::shared_ptr<hawkes::SimulateControl> control = std::make_shared<hawkes::SimulateControl>();

  explicit DepthJob(const Napi::CallbackInfo& info) : spec(run_args(info)) {}

  DepthResult run() {
    DepthResult r;
    r.paths = depth::simulate_depth(spec, control.get(), &r.cancelled);
    return r;
  }
  bool cancelled(const DepthResult& r) const { return r.cancelled; }
  double paths_total() const { return static_cast<double>(spec.paths); }
  Napi::Value to_js(Napi::Env env, DepthResult& r) const { return result_object(env, r.paths); }
};

// The arrays a fixed-interval run writes: fresh ones, or the caller's (a previous result of the
// same shape).
struct Outputs {
  Napi::Float64Array columns, time, mid, move, magnitude, volatility, class_events;
  Napi::Int32Array counts, direction, path;
};

// A hint only: the whole 2 MiB pages inside a fresh, untouched array are asked to be transparent
// huge pages, so the simulating threads fault once per 2 MiB instead of once per 4 KiB. Where
// madvise fails or THP is off the pages stay small; the numbers are the same either way.
void advise_huge_pages(void* data, size_t bytes) {
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  constexpr uintptr_t kHuge = uintptr_t{2} << 20;
  const uintptr_t begin = (reinterpret_cast<uintptr_t>(data) + kHuge - 1) & ~(kHuge - 1);
  const uintptr_t end = (reinterpret_cast<uintptr_t>(data) + bytes) & ~(kHuge - 1);
  if (end > begin) (void)madvise(reinterpret_cast<void*>(begin), end - begin, MADV_HUGEPAGE);
#else
  (void)data;
  (void)bytes;
#endif
}

template <class T, class Array>
Array fresh_array(Napi::Env env, size_t n) {
  Array a = uninitialized_array<T, Array>(env, n);
  advise_huge_pages(a.Data(), n * sizeof(T));
  return a;
}

Outputs fresh_outputs(Napi::Env env, size_t n, size_t w, size_t paths) {
  Outputs o;
  o.columns = fresh_array<double, Napi::Float64Array>(env, n * w);
  o.counts = fresh_array<int32_t, Napi::Int32Array>(env, 2 * n);
  o.time = fresh_array<double, Napi::Float64Array>(env, n);
  o.mid = fresh_array<double, Napi::Float64Array>(env, n);
  o.move = fresh_array<double, Napi::Float64Array>(env, n);
  o.magnitude = fresh_array<double, Napi::Float64Array>(env, n);
  o.volatility = fresh_array<double, Napi::Float64Array>(env, n);
  o.direction = fresh_array<int32_t, Napi::Int32Array>(env, n);
  o.path = fresh_array<int32_t, Napi::Int32Array>(env, n);
  o.class_events = fresh_array<double, Napi::Float64Array>(env, paths * depth::kClasses);
  return o;
}

// One array of `into`: the type and length this run writes, else ERR_INVALID_OPTION naming it.
template <class Array>
Array target(const Napi::Object& into, const char* key, const char* name, napi_typedarray_type type, const char* type_name,
             size_t n, const char* shape) {
  const Napi::Value v = into.Get(key);
  const bool typed = v.IsTypedArray();
  if (typed && v.As<Napi::TypedArray>().TypedArrayType() == type && v.As<Napi::TypedArray>().ElementLength() == n) return v.As<Array>();
  std::string got = "a value that is not a typed array";
  if (typed) got = "a typed array of " + std::to_string(v.As<Napi::TypedArray>().ElementLength()) + " elements" +
                   (v.As<Napi::TypedArray>().TypedArrayType() == type ? "" : " of another type");
  throw Error("ERR_INVALID_OPTION", std::string(name) + " must be " + type_name + " of " + std::to_string(n) + " elements (" + shape +
                                        ", the shape of this run), got " + got);
}

// into: { columns, counts, time, mid, move, magnitude, volatility, direction, path, classEvents },
// lib's flat view of a DepthSnapshots; every array checked, and no two sharing memory, before
// anything is written.
Outputs target_outputs(const Napi::Object& into, size_t n, size_t w, size_t paths) {
  Outputs o;
  const auto f64 = napi_float64_array;
  const auto i32 = napi_int32_array;
  o.columns = target<Napi::Float64Array>(into, "columns", "into.columns", f64, "a Float64Array", n * w, "length * 4 * levels");
  o.counts = target<Napi::Int32Array>(into, "counts", "into.counts", i32, "an Int32Array", 2 * n, "2 * length");
  o.time = target<Napi::Float64Array>(into, "time", "into.time", f64, "a Float64Array", n, "length");
  o.mid = target<Napi::Float64Array>(into, "mid", "into.mid", f64, "a Float64Array", n, "length");
  o.move = target<Napi::Float64Array>(into, "move", "into.labels.move", f64, "a Float64Array", n, "length");
  o.magnitude = target<Napi::Float64Array>(into, "magnitude", "into.labels.magnitude", f64, "a Float64Array", n, "length");
  o.volatility = target<Napi::Float64Array>(into, "volatility", "into.labels.volatility", f64, "a Float64Array", n, "length");
  o.direction = target<Napi::Int32Array>(into, "direction", "into.labels.direction", i32, "an Int32Array", n, "length");
  o.path = target<Napi::Int32Array>(into, "path", "into.path", i32, "an Int32Array", n, "length");
  o.class_events = target<Napi::Float64Array>(into, "classEvents", "into.classEvents", f64, "a Float64Array", paths * depth::kClasses, "paths * 6");
  struct Span {
    const char* name;
    uintptr_t begin, end;
  };
  auto span = [](const char* name, const Napi::TypedArray& a) {
    const auto begin = reinterpret_cast<uintptr_t>(static_cast<uint8_t*>(a.ArrayBuffer().Data()) + a.ByteOffset());
    return Span{name, begin, begin + a.ByteLength()};
  };
  std::vector<Span> spans = {span("into.columns", o.columns), span("into.counts", o.counts), span("into.time", o.time),
                             span("into.mid", o.mid), span("into.labels.move", o.move), span("into.labels.magnitude", o.magnitude),
                             span("into.labels.volatility", o.volatility), span("into.labels.direction", o.direction),
                             span("into.path", o.path), span("into.classEvents", o.class_events)};
  std::sort(spans.begin(), spans.end(), [](const Span& a, const Span& b) { return a.begin < b.begin; });
  for (size_t q = 1; q < spans.size(); ++q) {
    if (spans[q].begin < spans[q - 1].end) {
      throw Error("ERR_INVALID_OPTION", std::string(spans[q - 1].name) + " and " + spans[q].name +
                                            " share memory: the arrays of into must be separate");
    }
  }
  return o;
}

// Snapshots at a fixed interval written by the simulating threads straight into V8-owned arrays,
// fresh or the caller's (no copy; the calling thread waits).
Napi::Value simulate_in_place(Napi::Env env, const depth::DepthRun& run, const Napi::Value& into) {
  const size_t n = static_cast<size_t>(run.paths * depth::snapshots_per_path(run.snapshots));
  const size_t w = 4 * static_cast<size_t>(run.snapshots.levels);
  const size_t paths = static_cast<size_t>(run.paths);
  Outputs a = into.IsObject() ? target_outputs(into.As<Napi::Object>(), n, w, paths) : fresh_outputs(env, n, w, paths);
  depth::simulate_depth_into(run, {a.columns.Data(), a.counts.Data(), a.time.Data(), a.mid.Data(), a.move.Data(), a.magnitude.Data(),
                                   a.volatility.Data(), a.direction.Data()},
                             a.class_events.Data(), nullptr);
  const size_t per_path = n / paths;
  int32_t* path = a.path.Data();
  for (size_t i = 0; i < n; ++i) path[i] = static_cast<int32_t>(i / per_path);
  Napi::Object o = Napi::Object::New(env);
  o.Set("columns", a.columns);
  o.Set("counts", a.counts);
  o.Set("time", a.time);
  o.Set("mid", a.mid);
  o.Set("move", a.move);
  o.Set("magnitude", a.magnitude);
  o.Set("volatility", a.volatility);
  o.Set("direction", a.direction);
  o.Set("path", a.path);
  o.Set("classEvents", a.class_events);
  return o;
}

// depthSimulate(model, snapshots, run, into?) -> the result object, on the calling thread; into
// (fixed intervals only): the arrays to write instead of fresh ones.
Napi::Value depth_simulate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const depth::DepthRun run = run_args(info);
    if (run.snapshots.interval > 0) return simulate_in_place(env, run, info[3]);
    if (!info[3].IsUndefined()) throw Error("ERR_INVALID_OPTION", "into needs snapshots at a fixed interval > 0 (with interval 0 their number is not known beforehand)");
    return result_object(env, depth::simulate_depth(run, nullptr, nullptr));
  });
}

// depthSimulateAsync(model, snapshots, run, onProgress?) -> { promise, cancel() }; validated here,
// synchronously, before a thread starts.
Napi::Value depth_simulate_async(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto job = std::make_unique<DepthJob>(info);
    return JobWorker<DepthJob, DepthResult>::start(env, "hawkgraph.depthSimulate", std::move(job), info[3], "the simulation was aborted");
  });
}

}  // namespace

void register_depth(Napi::Env env, Napi::Object exports) {
  exports.Set("depthCheck", Napi::Function::New(env, depth_check, "depthCheck"));
  exports.Set("depthSimulate", Napi::Function::New(env, depth_simulate, "depthSimulate"));
  exports.Set("depthSimulateAsync", Napi::Function::New(env, depth_simulate_async, "depthSimulateAsync"));
}

}  // namespace hawkgraph::addon
