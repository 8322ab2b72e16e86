#include "hawkes_wrap.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <memory>
#include <utility>
#include <string>

#include "../core/error.hpp"
#include "../core/hawkes/hawkes_fit.hpp"
#include "../core/hawkes/hawkes_likelihood.hpp"
#include "../core/hawkes/hawkes_model.hpp"
#include "../core/hawkes/hawkes_simulate.hpp"
#include "../backends/registry.hpp"
#include "../core/limits.hpp"
#include "async_job.hpp"
#include "js_errors.hpp"
#include "js_views.hpp"

namespace hawkgraph::addon {
namespace {

using hawkes::HawkesModel;
using hawkes::HawkesParams;
using hawkes::SimulateOptions;
using hawkes::SimulateResult;

[[noreturn]] void bad_option(const std::string& message) { throw Error("ERR_INVALID_OPTION", message); }

struct ParsedOptions {
  SimulateOptions sim;
  hawkes::LobSpec lob{};
  bool has_lob = false;
  double tick = 1.0;  // LOB: price of one tick, for the price columns
  backends::BackendKind backend = backends::BackendKind::Cpu;
};

// The options object lib/ builds: { endTime, seed, paths, maxEvents, threads, method,
// intensity, statsOnly, backend, firstPath?, totalPaths?, blockRows?, lob?: { location: F64[8], scale: F64[8], initialBid, initialAsk } }.
ParsedOptions options_arg(const Napi::Value& v) {
  if (!v.IsObject()) bad_option("simulate options must be an object");
  Napi::Object o = v.As<Napi::Object>();
  ParsedOptions p;
  using namespace limits;
  p.sim.end_time = number_field(o, "endTime", NAN);
  p.sim.seed = static_cast<uint64_t>(integer_field(o, "seed", 0, 0, kMaxSafeInteger));
  p.sim.paths = integer_field(o, "paths", 1, 1, static_cast<double>(kMaxPaths));
  p.sim.max_events = integer_field(o, "maxEvents", static_cast<double>(kDefaultMaxEvents), 1, kMaxSafeInteger);
  p.sim.threads = static_cast<int>(integer_field(o, "threads", 1, 1, kMaxSimulationThreads));
  p.sim.max_stored_events = integer_field(o, "maxStoredEvents", static_cast<double>(kDefaultMaxStoredEvents), 1, kMaxSafeInteger);
  const std::string m = string_field(o, "method", "exact");
  if (m == "exact") {
    p.sim.method = hawkes::Method::Exact;
  } else if (m == "thinning") {
    p.sim.method = hawkes::Method::Thinning;
  } else {
    bad_option("method must be 'exact' or 'thinning', got \"" + m + "\"");
  }
  p.sim.intensity = bool_field(o, "intensity");
  p.sim.stats_only = bool_field(o, "statsOnly");
  p.backend = backends::compute_backend_kind(string_field(o, "backend", "cpu"));
  // A shard of a distributed simulation (lib/distributed/simulate.ts), on the CPU only.
  p.sim.first_path = integer_field(o, "firstPath", 0, 0, static_cast<double>(kMaxPaths));
  p.sim.total_paths = integer_field(o, "totalPaths", 0, 0, static_cast<double>(kMaxPaths));
  p.sim.block_rows = bool_field(o, "blockRows");
  if ((p.sim.first_path != 0 || p.sim.total_paths != 0 || p.sim.block_rows) && p.backend != backends::BackendKind::Cpu) {
    bad_option("firstPath, totalPaths and blockRows need the cpu backend");
  }
  Napi::Value lob = o.Get("lob");
  if (lob.IsObject()) {
    Napi::Object l = lob.As<Napi::Object>();
    auto loc = float64_view(l.Get("location"), "jumps.location");
    auto scale = float64_view(l.Get("scale"), "jumps.scale");
    if (loc.length != 8 || scale.length != 8) bad_option("jumps.location and jumps.scale must have 8 entries (one per LOB event type)");
    std::memcpy(p.lob.jump_location, loc.data, sizeof(double) * 8);
    std::memcpy(p.lob.jump_scale, scale.data, sizeof(double) * 8);
    // The jump bound (limits::kMaxJumpTicks) is checked by the core with the other options.
    p.lob.initial_bid = integer_field(l, "initialBid", NAN, -kMaxTicks, kMaxTicks);
    p.lob.initial_ask = integer_field(l, "initialAsk", NAN, -kMaxTicks, kMaxTicks);
    p.tick = number_field(l, "tick", 1.0);
    hawkes::check_tick(p.tick);
    p.has_lob = true;
  }
  return p;
}

// Event columns are written once, straight into V8-owned arrays (js_views.hpp says why).
Napi::Object result_object(Napi::Env env, const SimulateResult& r, const SimulateOptions& o, bool lob, double tick) {
  Napi::Object out = Napi::Object::New(env);
  out.Set("stats", copy_out<double, Napi::Float64Array>(env, r.stats));
  if (o.block_rows) {
    out.Set("blockRows", copy_out<double, Napi::Float64Array>(env, r.block_rows));
    out.Set("statsBlock", static_cast<double>(r.stats_block));
  }
  if (o.stats_only) return out;
  const size_t n = hawkes::event_count(r);
  hawkes::EventColumnsOut columns;
  auto times = uninitialized_array<double, Napi::Float64Array>(env, n);
  auto types = uninitialized_array<int32_t, Napi::Int32Array>(env, n);
  columns.times = times.Data();
  columns.types = types.Data();
  out.Set("times", times);
  out.Set("types", types);
  if (o.intensity) {
    auto intensity = uninitialized_array<double, Napi::Float64Array>(env, n);
    columns.intensity = intensity.Data();
    out.Set("intensity", intensity);
  }
  if (lob) {
    auto bid = uninitialized_array<double, Napi::Float64Array>(env, n);
    auto ask = uninitialized_array<double, Napi::Float64Array>(env, n);
    auto mid = uninitialized_array<double, Napi::Float64Array>(env, n);
    auto jump = uninitialized_array<int32_t, Napi::Int32Array>(env, n);
    columns.bid = bid.Data();
    columns.ask = ask.Data();
    columns.mid = mid.Data();
    columns.jump = jump.Data();
    out.Set("bid", bid);
    out.Set("ask", ask);
    out.Set("mid", mid);
    out.Set("jump", jump);
  }
  hawkes::copy_event_columns(r, columns, tick);
  out.Set("pathOffsets", copy_out<double, Napi::Float64Array>(env, r.path_offsets));
  out.Set("truncated", copy_out<uint8_t, Napi::Uint8Array>(env, r.truncated));
  return out;
}

// Everything a simulation needs, owned together so a worker thread can hold it.
struct SimulationJob {
  HawkesParams params;
  ParsedOptions options;
  std::unique_ptr<HawkesModel> model;
  std::shared_ptr<hawkes::SimulateControl> control = std::make_shared<hawkes::SimulateControl>();

  SimulationJob(const Napi::CallbackInfo& info) : params(params_arg(info, 0)) {
    const bool allow_explosive = info[3].ToBoolean().Value();
    options = options_arg(info[4]);
    hawkes::validate_params(params, allow_explosive);
    hawkes::validate_simulate_options(options.sim);
    hawkes::check_intensity_bound(params, options.sim.max_events);
    model = std::make_unique<HawkesModel>(params);
    if (options.has_lob) options.sim.lob = &options.lob;
  }

  SimulateResult run() { return backends::simulate_hawkes(options.backend, *model, options.sim, control.get()); }
  bool cancelled(const SimulateResult& r) const { return r.cancelled; }
  double paths_total() const { return static_cast<double>(options.sim.paths); }
  Napi::Value to_js(Napi::Env env, SimulateResult& r) const {
    return result_object(env, r, options.sim, options.has_lob, options.tick);
  }
};

// hawkesCheck(mu, alpha, beta, allowExplosive) -> { spectralRadius, stationary | null, betaPerRow }
Napi::Value hawkes_check(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    HawkesParams p = params_arg(info, 0);
    hawkes::validate_params(p, info[3].ToBoolean().Value());
    Napi::Object o = Napi::Object::New(env);
    const double rho = hawkes::spectral_radius(p);
    o.Set("spectralRadius", rho);
    if (rho < 1.0) {
      o.Set("stationary", copy_out<double, Napi::Float64Array>(env, hawkes::stationary_intensity(p)));
    } else {
      o.Set("stationary", env.Null());
    }
    o.Set("betaPerRow", hawkes::beta_per_row(p));
    return o;
  });
}

// hawkesSimulate(mu, alpha, beta, allowExplosive, options) -> result. Blocks the calling thread.
Napi::Value hawkes_simulate(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    SimulationJob job(info);
    SimulateResult r = job.run();
    return job.to_js(env, r);
  });
}

// hawkesSimulateAsync(mu, alpha, beta, allowExplosive, options, onProgress?) ->
// { promise, cancel() }. Everything is validated here, synchronously, before a thread starts.
Napi::Value hawkes_simulate_async(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto job = std::make_unique<SimulationJob>(info);
    return JobWorker<SimulationJob, SimulateResult>::start(env, "hawkgraph.hawkesSimulate", std::move(job), info[5],
                                                           "the simulation was aborted");
  });
}

// An event stream's times (Float64Array) and types (Int32Array), of the same length.
std::pair<ArrayView<double>, ArrayView<int32_t>> event_views(const Napi::Value& times_value, const Napi::Value& types_value) {
  auto times = float64_view(times_value, "times");
  auto types = int32_view(types_value, "types");
  if (times.length != types.length) {
    throw Error("ERR_HAWKES_EVENTS", "times and types must have the same length, got " + std::to_string(times.length) +
                                         " and " + std::to_string(types.length));
  }
  return {times, types};
}

double number_arg(const Napi::Value& v, double fallback) { return v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : fallback; }

// hawkesLogLikelihood(mu, alpha, beta, times: F64, types: I32, endTime, startTime?) -> number
Napi::Value hawkes_log_likelihood(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    HawkesParams p = params_arg(info, 0);
    hawkes::validate_params(p, true);
    const auto [times, types] = event_views(info[3], info[4]);
    hawkes::EventStream ev{times.data, types.data, times.length, number_arg(info[5], NAN), number_arg(info[6], 0.0)};
    HawkesModel model(p);
    return Napi::Number::New(env, hawkes::log_likelihood(model, ev));
  });
}

Napi::Object fit_object(Napi::Env env, const hawkes::FitResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("mu", copy_out<double, Napi::Float64Array>(env, r.params.mu));
  o.Set("alpha", copy_out<double, Napi::Float64Array>(env, r.params.alpha));
  o.Set("beta", copy_out<double, Napi::Float64Array>(env, r.params.beta));
  o.Set("stdMu", copy_out<double, Napi::Float64Array>(env, r.std_mu));
  o.Set("stdAlpha", copy_out<double, Napi::Float64Array>(env, r.std_alpha));
  o.Set("stdBeta", copy_out<double, Napi::Float64Array>(env, r.std_beta));
  o.Set("logLikelihood", r.log_likelihood);
  o.Set("iterations", r.iterations);
  o.Set("converged", r.converged);
  o.Set("message", r.message);
  o.Set("maxFreeGradient", r.max_free_gradient);
  o.Set("maxBoundViolation", r.max_bound_violation);
  o.Set("kktResidual", r.kkt_residual);
  o.Set("expectedGain", r.expected_gain);
  o.Set("worstDimension", r.worst_dimension);
  if (!r.beta_search.empty()) {
    Napi::Array rows = Napi::Array::New(env, r.beta_search.size());
    for (size_t k = 0; k < r.beta_search.size(); ++k) {
      const hawkes::BetaSearchRow& b = r.beta_search[k];
      Napi::Object row = Napi::Object::New(env);
      row.Set("lower", b.lower);
      row.Set("upper", b.upper);
      row.Set("starts", copy_out<double, Napi::Float64Array>(env, b.starts));
      row.Set("reached", copy_out<double, Napi::Float64Array>(env, b.reached));
      row.Set("profile", copy_out<double, Napi::Float64Array>(env, b.profile));
      row.Set("winner", b.winner);
      row.Set("evaluations", b.evaluations);
      rows.Set(static_cast<uint32_t>(k), row);
    }
    o.Set("betaSearch", rows);
  }
  return o;
}

// The arguments of hawkesFit / hawkesFitAsync: (times: F64, types: I32, endTime, dims,
// beta?: F64[D*D] | null, startTime, threads). `copy`: the events are copied (an async fit must not
// read JS memory from its thread).
struct FitJob {
  std::vector<double> times_copy;
  std::vector<int32_t> types_copy;
  hawkes::EventStream events{};
  hawkes::FitOptions options;
  std::shared_ptr<hawkes::SimulateControl> control = std::make_shared<hawkes::SimulateControl>();

  FitJob(const Napi::CallbackInfo& info, bool copy) {
    const auto [times, types] = event_views(info[0], info[1]);
    events = {times.data, types.data, times.length, number_arg(info[2], NAN), number_arg(info[5], 0.0)};
    if (copy) {
      times_copy.assign(times.data, times.data + times.length);
      types_copy.assign(types.data, types.data + types.length);
      events.times = times_copy.data();
      events.types = types_copy.data();
    }
    options.dims = int_arg(info[3], "dims", 1, hawkes::kMaxDims);
    if (!info[4].IsUndefined() && !info[4].IsNull()) {
      auto beta = float64_view(info[4], "beta");
      options.beta.assign(beta.data, beta.data + beta.length);
    }
    options.threads = info[6].IsUndefined() ? 1 : int_arg(info[6], "threads", 1, limits::kMaxFitThreads);
    hawkes::validate_fit(events, options);
  }

  hawkes::FitResult run() { return hawkes::fit(events, options, control.get()); }
  bool cancelled(const hawkes::FitResult& r) const { return r.cancelled; }
  double paths_total() const { return options.dims; }  // progress: rows done of dims
  Napi::Value to_js(Napi::Env env, hawkes::FitResult& r) const { return fit_object(env, r); }
};

// hawkesFit(times, types, endTime, dims, beta?, startTime, threads) -> fit result. Blocks.
Napi::Value hawkes_fit(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    FitJob job(info, false);
    hawkes::FitResult r = job.run();
    return fit_object(env, r);
  });
}

// hawkesFitAsync(times, types, endTime, dims, beta?, startTime, threads, onProgress?) ->
// { promise, cancel() }. Everything is validated here, synchronously, before a thread starts.
Napi::Value hawkes_fit_async(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto job = std::make_unique<FitJob>(info, true);
    return JobWorker<FitJob, hawkes::FitResult>::start(env, "hawkgraph.hawkesFit", std::move(job), info[7], "the fit was aborted");
  });
}

}  // namespace

void register_hawkes(Napi::Env env, Napi::Object exports) {
  exports.Set("hawkesCheck", Napi::Function::New(env, hawkes_check, "hawkesCheck"));
  exports.Set("hawkesSimulate", Napi::Function::New(env, hawkes_simulate, "hawkesSimulate"));
  exports.Set("hawkesSimulateAsync", Napi::Function::New(env, hawkes_simulate_async, "hawkesSimulateAsync"));
  exports.Set("hawkesLogLikelihood", Napi::Function::New(env, hawkes_log_likelihood, "hawkesLogLikelihood"));
  exports.Set("hawkesFit", Napi::Function::New(env, hawkes_fit, "hawkesFit"));
  exports.Set("hawkesFitAsync", Napi::Function::New(env, hawkes_fit_async, "hawkesFitAsync"));
}

hawkes::HawkesParams params_arg(const Napi::CallbackInfo& info, size_t first) {
  auto mu = float64_view(info[first], "mu");
  auto alpha = float64_view(info[first + 1], "alpha");
  auto beta = float64_view(info[first + 2], "beta");
  hawkes::HawkesParams p;
  p.dims = static_cast<int>(mu.length);
  p.mu.assign(mu.data, mu.data + mu.length);
  p.alpha.assign(alpha.data, alpha.data + alpha.length);
  p.beta.assign(beta.data, beta.data + beta.length);
  return p;
}

}  // namespace hawkgraph::addon
