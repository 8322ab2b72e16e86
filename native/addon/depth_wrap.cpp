#include "depth_wrap.hpp"

#include <cstring>
#include <memory>
#include <string>
#include <vector>

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

// Snapshots at a fixed interval straight into V8-owned arrays, written by the simulating threads
// (no copy; the calling thread waits).
Napi::Value simulate_in_place(Napi::Env env, const depth::DepthRun& run) {
  const size_t n = static_cast<size_t>(run.paths * depth::snapshots_per_path(run.snapshots));
  const size_t w = 4 * static_cast<size_t>(run.snapshots.levels);
  auto columns = uninitialized_array<double, Napi::Float64Array>(env, n * w);
  auto counts = uninitialized_array<int32_t, Napi::Int32Array>(env, 2 * n);
  auto time = uninitialized_array<double, Napi::Float64Array>(env, n);
  auto mid = uninitialized_array<double, Napi::Float64Array>(env, n);
  auto move = uninitialized_array<double, Napi::Float64Array>(env, n);
  auto magnitude = uninitialized_array<double, Napi::Float64Array>(env, n);
  auto volatility = uninitialized_array<double, Napi::Float64Array>(env, n);
  auto direction = uninitialized_array<int32_t, Napi::Int32Array>(env, n);
  auto by_class = uninitialized_array<double, Napi::Float64Array>(env, static_cast<size_t>(run.paths) * depth::kClasses);
  depth::simulate_depth_into(run, {columns.Data(), counts.Data(), time.Data(), mid.Data(), move.Data(), magnitude.Data(),
                                   volatility.Data(), direction.Data()},
                             by_class.Data(), nullptr);
  auto path = uninitialized_array<int32_t, Napi::Int32Array>(env, n);
  const size_t per_path = n / static_cast<size_t>(run.paths);
  for (size_t i = 0; i < n; ++i) path[i] = static_cast<int32_t>(i / per_path);
  Napi::Object o = Napi::Object::New(env);
  o.Set("columns", columns);
  o.Set("counts", counts);
  o.Set("time", time);
  o.Set("mid", mid);
  o.Set("move", move);
  o.Set("magnitude", magnitude);
  o.Set("volatility", volatility);
  o.Set("direction", direction);
  o.Set("path", path);
  o.Set("classEvents", by_class);
  return o;
}

// depthSimulate(model, snapshots, run) -> the result object, on the calling thread.
Napi::Value depth_simulate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const depth::DepthRun run = run_args(info);
    if (run.snapshots.interval > 0) return simulate_in_place(env, run);
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
