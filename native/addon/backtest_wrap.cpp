#include "backtest_wrap.hpp"

#include <cmath>
#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../core/backtest/backtest.hpp"
#include "../core/error.hpp"
#include "../core/hawkes/hawkes_model.hpp"
#include "../backends/registry.hpp"
#include "../core/layouts.hpp"
#include "../core/limits.hpp"
#include "async_job.hpp"
#include "hawkes_wrap.hpp"
#include "js_errors.hpp"
#include "js_views.hpp"

namespace hawkgraph::addon {
namespace {

using backtest::BacktestOptions;
using backtest::BacktestResult;
using backtest::StrategyKind;
using hawkes::HawkesModel;
using hawkes::HawkesParams;

[[noreturn]] void bad_option(const std::string& message) { throw Error("ERR_INVALID_OPTION", message); }

}  // namespace

// The market and run fields of backtest options as lib/backtest builds them (everything but the
// strategy and the backend), in one place for every addon function that runs the backtester.
backtest::BacktestOptions market_options_arg(const Napi::Object& o) {
  BacktestOptions options;
  backtest::BacktestSpec& s = options.spec;
  s.horizon = number_field(o, "horizon");
  s.dt = number_field(o, "dt");
  s.tick = number_field(o, "tick");
  using namespace limits;
  s.inventory_limit = integer_field(o, "inventoryLimit", 1, kMaxInventoryLimit);
  s.z1 = number_field(o, "z1");
  s.z2 = number_field(o, "z2");
  s.z3 = number_field(o, "z3");
  s.fill_at_sweep_stop = number_field(o, "fillAtSweepStop");
  const std::string loop = string_field(o, "eventLoop", "exact");
  if (loop == "exact") {
    s.event_loop = backtest::kExactLoop;
  } else if (loop == "published") {
    s.event_loop = backtest::kPublishedLoop;
  } else if (loop == "published-fixed") {
    s.event_loop = backtest::kPublishedFixedLoop;
  } else {
    bad_option("eventLoop must be 'exact', 'published' or 'published-fixed', got \"" + loop + "\"");
  }
  s.phi = number_field(o, "phi");
  s.fee_maker = number_field(o, "feeMaker");
  s.fee_taker = number_field(o, "feeTaker");
  s.noise_std = backtest::noise_std(number_field(o, "noiseVariance"));
  s.grid = integer_field(o, "timeGrid", 0, kMaxTimeGrid);
  s.seed = static_cast<uint64_t>(integer_field(o, "seed", 0, kMaxSafeInteger));
  options.paths = integer_field(o, "paths", 1, static_cast<double>(kMaxPaths));
  options.first_path = integer_field(o, "firstPath", 0, kMaxSafeInteger);
  options.threads = static_cast<int>(integer_field(o, "threads", 1, kMaxSimulationThreads));
  options.record = o.Get("record").ToBoolean().Value();
  if (const int64_t steps = backtest_step_count(s.horizon, s.dt); steps > 0) s.steps = steps;
  Napi::Value lob_value = o.Get("lob");
  if (!lob_value.IsObject()) bad_option("lob must be an object");
  Napi::Object lob = lob_value.As<Napi::Object>();
  auto loc = float64_view(lob.Get("location"), "jumps.location");
  auto scale = float64_view(lob.Get("scale"), "jumps.scale");
  if (loc.length != 8 || scale.length != 8) bad_option("jumps.location and jumps.scale must have 8 entries (one per LOB event type)");
  std::memcpy(options.lob.jump_location, loc.data, sizeof(double) * 8);
  std::memcpy(options.lob.jump_scale, scale.data, sizeof(double) * 8);
  options.lob.initial_bid = integer_field(lob, "initialBid", -kMaxTicks, kMaxTicks);
  options.lob.initial_ask = integer_field(lob, "initialAsk", -kMaxTicks, kMaxTicks);
  s.initial_bid = options.lob.initial_bid;
  s.initial_ask = options.lob.initial_ask;
  return options;
}

namespace {

// Everything a run needs, owned together so a pool thread can hold it.
struct BacktestJob {
  HawkesParams params;
  std::unique_ptr<HawkesModel> model;
  BacktestOptions options;
  backtest::StrategySpec strategy;
  std::unique_ptr<backtest::Policy> policy;
  backends::BackendKind backend = backends::BackendKind::Cpu;
  std::shared_ptr<hawkes::SimulateControl> control = std::make_shared<hawkes::SimulateControl>();

  // (mu, alpha, beta, options) as lib/backtest.ts builds them.
  explicit BacktestJob(const Napi::CallbackInfo& info) : BacktestJob(params_arg(info, 0), info[3]) {}

  BacktestJob(HawkesParams hawkes, const Napi::Value& options_value) : params(std::move(hawkes)) {
    backtest::check_lob_params(params);
    if (!options_value.IsObject()) bad_option("backtest options must be an object");
    Napi::Object o = options_value.As<Napi::Object>();
    options = market_options_arg(o);
    backend = backends::compute_backend_kind(string_field(o, "backend", "cpu"));
    Napi::Value st_value = o.Get("strategy");
    if (!st_value.IsObject()) bad_option("strategy must be an object");
    Napi::Object st = st_value.As<Napi::Object>();
    const std::string k = string_field(st, "kind", "");
    if (k == "sym") {
      strategy.kind = StrategyKind::Sym;
    } else if (k == "lin") {
      strategy.kind = StrategyKind::Lin;
      auto lin = float64_view(st.Get("lin"), "strategy.lin");
      if (lin.length != 5) bad_option("strategy.lin must hold 5 numbers (the 4 coefficients, then 1 for offsets from the best prices)");
      strategy.lin = backtest::LinStrategy{lin.data[0], lin.data[1], lin.data[2], lin.data[3], lin.data[4] != 0};
    } else if (k == "policy") {
      strategy.kind = StrategyKind::Policy;
      Napi::Value bytes = st.Get("bytes");
      if (!bytes.IsTypedArray() || bytes.As<Napi::TypedArray>().TypedArrayType() != napi_uint8_array) {
        bad_option("strategy.policy must be the bytes of a safetensors file (Uint8Array)");
      }
      auto u8 = bytes.As<Napi::Uint8Array>();
      policy = backtest::load_policy(u8.Data(), u8.ByteLength());
      strategy.policy = policy.get();
    } else if (k == "callback") {
      strategy.kind = StrategyKind::Callback;
    } else {
      bad_option("strategy.kind must be 'sym', 'lin', 'policy' or 'callback', got \"" + k + "\"");
    }
    backtest::validate_backtest_options(options);
    backtest::check_event_budget(params, options.spec);
    model = std::make_unique<HawkesModel>(params);
  }

  BacktestResult run() { return backends::run_backtest(backend, *model, options, strategy, control.get()); }
  bool cancelled(const BacktestResult& r) const { return r.cancelled; }
  double paths_total() const { return static_cast<double>(options.paths); }
  Napi::Value to_js(Napi::Env env, BacktestResult& r);
};

// Several runs on one Hawkes model started together (a study): on the GPU they share the device
// (the registry's run_backtests), on the CPU one after another, each on its own threads.
struct BacktestManyJob {
  std::vector<std::unique_ptr<BacktestJob>> jobs;
  backends::BackendKind backend = backends::BackendKind::Cpu;
  std::shared_ptr<hawkes::SimulateControl> control = std::make_shared<hawkes::SimulateControl>();

  // (mu, alpha, beta, [options, ...]): every run's options as for backtestRun, one backend.
  explicit BacktestManyJob(const Napi::CallbackInfo& info) {
    const HawkesParams params = params_arg(info, 0);
    if (!info[3].IsArray() || info[3].As<Napi::Array>().Length() == 0) bad_option("runs must be a non-empty array of backtest options");
    const Napi::Array list = info[3].As<Napi::Array>();
    for (uint32_t i = 0; i < list.Length(); ++i) {
      jobs.push_back(std::make_unique<BacktestJob>(params, list.Get(i)));
      if (jobs.back()->strategy.kind == StrategyKind::Callback) bad_option("a callback strategy runs through backtestRunCallback");
      if (i > 0 && jobs.back()->backend != jobs.front()->backend) bad_option("runs must all use the same backend");
    }
    backend = jobs.front()->backend;
  }

  std::vector<BacktestResult> run() {
    std::vector<backtest::RunRef> refs;
    for (const auto& j : jobs) refs.push_back({j->model.get(), &j->options, &j->strategy});
    return backends::run_backtests(backend, refs, control.get());
  }
  bool cancelled(const std::vector<BacktestResult>& r) const {
    for (const auto& x : r) {
      if (x.cancelled) return true;
    }
    return false;
  }
  double paths_total() const {
    double total = 0;
    for (const auto& j : jobs) total += static_cast<double>(j->options.paths);
    return total;
  }
  Napi::Value to_js(Napi::Env env, std::vector<BacktestResult>& r) {
    Napi::Array a = Napi::Array::New(env, r.size());
    for (size_t i = 0; i < r.size(); ++i) a.Set(static_cast<uint32_t>(i), jobs[i]->to_js(env, r[i]));
    return a;
  }
};

Napi::Value BacktestJob::to_js(Napi::Env env, BacktestResult& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("pnl", float64_copy(env, r.pnl));
  o.Set("grossPnl", float64_copy(env, r.gross_pnl));
  o.Set("makerNotional", float64_copy(env, r.maker_notional));
  o.Set("takerNotional", float64_copy(env, r.taker_notional));
  o.Set("cash", float64_copy(env, r.cash));
  o.Set("mid", float64_copy(env, r.mid));
  o.Set("map", float64_copy(env, r.map));
  o.Set("reward", float64_copy(env, r.reward));
  o.Set("inventory", float64_copy(env, r.inventory));
  o.Set("trades", float64_copy(env, r.trades));
  o.Set("events", float64_copy(env, r.events));
  o.Set("gridGross", float64_copy(env, r.grid_gross));
  o.Set("gridMaker", float64_copy(env, r.grid_maker));
  o.Set("gridTaker", float64_copy(env, r.grid_taker));
  if (options.record) {
    const backtest::Records& rec = r.records;
    Napi::Object steps = Napi::Object::New(env);
    steps.Set("path", float64_copy(env, rec.step_path));
    steps.Set("time", float64_copy(env, rec.step_time));
    steps.Set("bid", float64_copy(env, rec.step_bid));
    steps.Set("ask", float64_copy(env, rec.step_ask));
    steps.Set("quoteBid", float64_copy(env, rec.step_quote_bid));
    steps.Set("quoteAsk", float64_copy(env, rec.step_quote_ask));
    steps.Set("inventory", float64_copy(env, rec.step_inventory));
    steps.Set("cash", float64_copy(env, rec.step_cash));
    steps.Set("wealth", float64_copy(env, rec.step_wealth));
    Napi::Object fills = Napi::Object::New(env);
    fills.Set("path", float64_copy(env, rec.fill_path));
    fills.Set("step", float64_copy(env, rec.fill_step));
    fills.Set("time", float64_copy(env, rec.fill_time));
    fills.Set("side", float64_copy(env, rec.fill_side));
    fills.Set("price", float64_copy(env, rec.fill_price));
    fills.Set("fee", float64_copy(env, rec.fill_fee));
    fills.Set("maker", float64_copy(env, rec.fill_maker));
    fills.Set("inventory", float64_copy(env, rec.fill_inventory));
    fills.Set("cash", float64_copy(env, rec.fill_cash));
    fills.Set("bid", float64_copy(env, rec.fill_bid));
    fills.Set("ask", float64_copy(env, rec.fill_ask));
    Napi::Object events = Napi::Object::New(env);
    events.Set("path", float64_copy(env, rec.event_path));
    events.Set("step", float64_copy(env, rec.event_step));
    events.Set("time", float64_copy(env, rec.event_time));
    events.Set("type", float64_copy(env, rec.event_type));
    events.Set("agent", float64_copy(env, rec.event_agent));
    events.Set("bid", float64_copy(env, rec.event_bid));
    events.Set("ask", float64_copy(env, rec.event_ask));
    events.Set("intensity", float64_copy(env, rec.event_intensity));
    o.Set("steps", steps);
    o.Set("fills", fills);
    o.Set("bookEvents", events);
  }
  return o;
}

// backtestRun(mu, alpha, beta, options) -> raw result. Blocks the calling thread.
Napi::Value backtest_run(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    BacktestJob job(info);
    if (job.strategy.kind == StrategyKind::Callback) bad_option("a callback strategy runs through backtestRunCallback");
    BacktestResult r = job.run();
    return job.to_js(env, r);
  });
}

// backtestRunAsync(mu, alpha, beta, options, onProgress?) -> { promise, cancel() }.
Napi::Value backtest_run_async(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto job = std::make_unique<BacktestJob>(info);
    if (job->strategy.kind == StrategyKind::Callback) bad_option("a callback strategy runs through backtestRunCallback");
    return JobWorker<BacktestJob, BacktestResult>::start(env, "hawkgraph.backtestRun", std::move(job), info[4], "the backtest was aborted");
  });
}

// backtestRunMany(mu, alpha, beta, [options, ...]) -> [raw result, ...]. Blocks the calling thread.
Napi::Value backtest_run_many(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    BacktestManyJob job(info);
    std::vector<BacktestResult> r = job.run();
    return job.to_js(env, r);
  });
}

// backtestRunManyAsync(mu, alpha, beta, [options, ...], onProgress?) -> { promise, cancel() };
// progress counts the paths of every run.
Napi::Value backtest_run_many_async(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    return JobWorker<BacktestManyJob, std::vector<BacktestResult>>::start(env, "hawkgraph.backtestRunMany", std::make_unique<BacktestManyJob>(info),
                                                                           info[4], "the backtest was aborted");
  });
}

// backtestRunCallback(mu, alpha, beta, options, decide) -> raw result, on the JS thread: each
// step calls decide(state: Float64Array [path, step, time, inventory, bid, ask, trend, cash]
// (prices in ticks)) which returns [bidOffset, askOffset, market] (ticks from the mid; NaN: no quote).
Napi::Value backtest_run_callback(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    BacktestJob job(info);
    if (!info[4].IsFunction()) bad_option("strategy callback must be a function");
    if (job.backend != backends::BackendKind::Cpu) bad_option("strategy: a JS callback runs on the CPU only (backend 'cuda' needs 'sym', lin or policy)");
    Napi::Function decide = info[4].As<Napi::Function>();
    namespace cs = backtest::callback_state;
    namespace ca = backtest::callback_action;
    Napi::Float64Array state = Napi::Float64Array::New(env, cs::kWidth);
    double* sp = state.Data();
    job.strategy.kind = StrategyKind::Callback;
    job.strategy.decide = [&](const backtest::Observation& o, int64_t path) {
      // One scope per call: the handles of millions of calls would otherwise pile up in the
      // scope of backtestRunCallback until the run ends (tens of bytes each).
      Napi::HandleScope scope(env);
      sp[cs::kPath] = static_cast<double>(path);
      sp[cs::kStep] = static_cast<double>(o.step);
      sp[cs::kTime] = o.time;
      sp[cs::kInventory] = static_cast<double>(o.inventory);
      sp[cs::kBid] = static_cast<double>(o.bid);
      sp[cs::kAsk] = static_cast<double>(o.ask);
      sp[cs::kTrend] = o.trend;
      sp[cs::kCash] = o.cash;
      Napi::Value ret = decide.Call({state});  // a JS exception propagates as Napi::Error
      if (!ret.IsTypedArray() || ret.As<Napi::TypedArray>().TypedArrayType() != napi_float64_array ||
          ret.As<Napi::Float64Array>().ElementLength() < static_cast<size_t>(ca::kWidth)) {
        throw Error("ERR_INVALID_ARGUMENT", "the strategy callback must return an action");
      }
      const double* a = ret.As<Napi::Float64Array>().Data();
      const double market = a[ca::kMarket];
      return backtest::Decision{a[ca::kBidOffset], a[ca::kAskOffset], false, market > 0 ? 1 : market < 0 ? -1 : 0};
    };
    BacktestResult r = backtest::run_backtest(*job.model, job.options, job.strategy, nullptr);
    return job.to_js(env, r);
  });
}

// backtestEnvRollout(mu, alpha, beta, options, decisions, fromBest) -> { observations, rewards,
// pnl, reward, trades, inventory }: path options.firstPath driven through MarketMakingEnv (the step
// interface a native trainer uses) with decisions [steps x 2] (bid and ask offsets, ticks; NaN:
// no quote), observations [steps x 4] (inventory, bid, ask, trend; ticks). For tests.
Napi::Value backtest_env_rollout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    BacktestJob job(info);
    backtest::MarketMakingEnv mm(*job.model, job.options);
    const int64_t steps = mm.steps();
    mm.reset(job.options.first_path);
    auto decisions = float64_view(info[4], "decisions");
    if (static_cast<int64_t>(decisions.length) != 2 * steps) bad_option("decisions must hold 2 numbers per step (" + std::to_string(2 * steps) + ")");
    const bool from_best = info[5].ToBoolean().Value();
    Napi::Float64Array observations = Napi::Float64Array::New(env, static_cast<size_t>(4 * steps));
    Napi::Float64Array rewards = Napi::Float64Array::New(env, static_cast<size_t>(steps));
    double* obs = observations.Data();
    for (int64_t k = 0; k < steps; ++k) {
      const backtest::Observation o = mm.observe();
      obs[4 * k] = static_cast<double>(o.inventory);
      obs[4 * k + 1] = static_cast<double>(o.bid);
      obs[4 * k + 2] = static_cast<double>(o.ask);
      obs[4 * k + 3] = o.trend;
      rewards.Data()[k] = mm.step(backtest::Decision{decisions.data[2 * k], decisions.data[2 * k + 1], from_best, 0});
    }
    const backtest::PathResult r = mm.result();
    Napi::Object out = Napi::Object::New(env);
    out.Set("observations", observations);
    out.Set("rewards", rewards);
    out.Set("pnl", r.pnl);
    out.Set("reward", r.reward);
    out.Set("trades", static_cast<double>(r.trades));
    out.Set("inventory", static_cast<double>(r.inventory));
    return out;
  });
}

}  // namespace

void register_backtest(Napi::Env env, Napi::Object exports) {
  exports.Set("backtestRun", Napi::Function::New(env, backtest_run, "backtestRun"));
  exports.Set("backtestRunAsync", Napi::Function::New(env, backtest_run_async, "backtestRunAsync"));
  exports.Set("backtestRunCallback", Napi::Function::New(env, backtest_run_callback, "backtestRunCallback"));
  exports.Set("backtestEnvRollout", Napi::Function::New(env, backtest_env_rollout, "backtestEnvRollout"));
  exports.Set("backtestRunMany", Napi::Function::New(env, backtest_run_many, "backtestRunMany"));
  exports.Set("backtestRunManyAsync", Napi::Function::New(env, backtest_run_many_async, "backtestRunManyAsync"));
}

}  // namespace hawkgraph::addon
