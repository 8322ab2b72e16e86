#include "sac_wrap.hpp"

#include <cstring>
#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../core/backtest/backtest.hpp"
#include "../core/error.hpp"
#include "../core/hawkes/hawkes_model.hpp"
#include "../core/limits.hpp"
#include "../core/sac/adam.hpp"
#include "../core/sac/control_env.hpp"
#include "../core/sac/lob_env.hpp"
#include "../core/sac/mlp.hpp"
#include "../core/sac/policy_export.hpp"
#include "../core/sac/sac_learner.hpp"
#include "../core/sac/sac_trainer.hpp"
#include "async_job.hpp"
#include "backtest_wrap.hpp"
#include "hawkes_wrap.hpp"
#include "js_errors.hpp"
#include "js_views.hpp"

namespace hawkgraph::addon {
namespace {

using sac::Mlp;
using sac::SacConfig;

[[noreturn]] void bad_option(const std::string& message) { throw Error("ERR_INVALID_OPTION", message); }
[[noreturn]] void bad_argument(const std::string& message) { throw Error("ERR_INVALID_ARGUMENT", message); }

double number_arg(const Napi::Value& v, const char* name) {
  if (!v.IsNumber()) bad_argument(std::string(name) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

Napi::Object object_arg(const Napi::Value& v, const char* name) {
  if (!v.IsObject()) bad_option(std::string(name) + " must be an object");
  return v.As<Napi::Object>();
}

std::vector<int> widths_arg(const Napi::Value& v, const char* name) {
  auto w = float64_view(v, name);
  std::vector<int> out;
  for (size_t i = 0; i < w.length; ++i) {
    if (!(w.data[i] >= 1 && w.data[i] <= limits::kMaxSacHiddenWidth * 4) || w.data[i] != static_cast<int>(w.data[i])) {
      bad_option(std::string(name) + "[" + std::to_string(i) + "] must be a positive integer width, got " + format_number(w.data[i]));
    }
    out.push_back(static_cast<int>(w.data[i]));
  }
  return out;
}

// The training options as lib/train/policy.ts resolves them (every field present).
SacConfig sac_config_arg(const Napi::Value& v) {
  Napi::Object o = object_arg(v, "SAC options");
  using namespace limits;
  SacConfig c;
  c.steps = integer_field(o, "steps", 1, static_cast<double>(kMaxSacSteps));
  c.net.batch = static_cast<int>(integer_field(o, "batchSize", 1, kMaxSacBatch));
  c.buffer_size = integer_field(o, "bufferSize", 1, static_cast<double>(kMaxSacBuffer));
  c.learning_starts = integer_field(o, "learningStarts", 0, static_cast<double>(kMaxSacSteps));
  c.train_freq = integer_field(o, "trainFreq", 1, static_cast<double>(kMaxSacSteps));
  c.gradient_steps = integer_field(o, "gradientSteps", 0, kMaxSacGradientSteps);
  c.log_interval = integer_field(o, "logInterval", 1, static_cast<double>(kMaxSacSteps));
  c.seed = static_cast<uint64_t>(integer_field(o, "seed", 0, kMaxSafeInteger));
  c.threads = static_cast<int>(integer_field(o, "threads", 1, kMaxSacThreads));
  c.net.gamma = number_field(o, "gamma");
  c.net.tau = number_field(o, "tau");
  c.net.lr = number_field(o, "learningRate");
  c.net.initial_alpha = number_field(o, "initialAlpha");
  c.net.target_entropy = number_field(o, "targetEntropy");
  c.net.hidden = widths_arg(o.Get("hidden"), "hidden");
  sac::validate_sac_config(c);
  return c;
}

Napi::Object metrics_to_js(Napi::Env env, const sac::SacOutcome& r) {
  Napi::Object o = Napi::Object::New(env);
  o.Set("episodeReturns", float64_copy(env, r.metrics.episode_return));
  o.Set("episodeEnds", float64_copy(env, r.metrics.episode_end));
  o.Set("logStep", float64_copy(env, r.metrics.log_step));
  o.Set("criticLoss", float64_copy(env, r.metrics.critic_loss));
  o.Set("actorLoss", float64_copy(env, r.metrics.actor_loss));
  o.Set("alpha", float64_copy(env, r.metrics.alpha));
  o.Set("entropy", float64_copy(env, r.metrics.entropy));
  o.Set("stepsDone", static_cast<double>(r.steps_done));
  return o;
}

// The market of a training run: the backtest options lib/backtest's prepare() builds for
// runBacktest (the fields the LOB env reads).
// The market of a run, as runBacktest reads it (backtest_wrap.cpp), with no time grid (the env
// needs none).
backtest::BacktestOptions market_arg(const Napi::Value& v) {
  backtest::BacktestOptions options = market_options_arg(object_arg(v, "backtest options"));
  options.spec.grid = 0;
  backtest::validate_backtest_options(options);
  return options;
}

struct TrainResult {
  sac::SacOutcome outcome;
  sac::LobNormalisation norm;
  std::vector<uint8_t> policy;
};

// trainPolicy's job: the market, the env over it and the SAC settings, owned together.
struct TrainJob {
  hawkes::HawkesParams params;
  std::unique_ptr<hawkes::HawkesModel> model;
  backtest::BacktestOptions market;
  SacConfig config;
  double action_scale, action_offset;
  int64_t calibration_steps;
  std::shared_ptr<hawkes::SimulateControl> control = std::make_shared<hawkes::SimulateControl>();

  // (mu, alpha, beta, backtestOptions, sacOptions)
  explicit TrainJob(const Napi::CallbackInfo& info) : params(params_arg(info, 0)) {
    backtest::check_lob_params(params);
    market = market_arg(info[3]);
    backtest::check_event_budget(params, market.spec);
    config = sac_config_arg(info[4]);
    Napi::Object o = info[4].As<Napi::Object>();
    action_scale = number_field(o, "actionScale");
    action_offset = number_field(o, "actionOffset");
    if (!(std::isfinite(action_scale) && action_scale > 0)) bad_option("actionScale must be a finite number of ticks > 0, got " + format_number(action_scale));
    if (!std::isfinite(action_offset)) bad_option("actionOffset must be a finite number of ticks, got " + format_number(action_offset));
    calibration_steps = integer_field(o, "calibrationSteps", 1, static_cast<double>(limits::kMaxSacCalibrationSteps));
    model = std::make_unique<hawkes::HawkesModel>(params);
  }

  TrainResult run() {
    sac::LobEnv env(*model, market, action_scale, action_offset);
    TrainResult r;
    r.norm = env.calibrate(calibration_steps, config.seed);
    env.set_normalisation(r.norm);
    r.outcome = sac::train_sac(env, config, control.get());
    r.policy = sac::export_policy(r.outcome.actor, r.norm, action_scale, action_offset);
    return r;
  }
  bool cancelled(const TrainResult& r) const { return r.outcome.cancelled; }
  double paths_total() const { return static_cast<double>(config.steps); }
  Napi::Value to_js(Napi::Env env, TrainResult& r) {
    Napi::Object o = metrics_to_js(env, r.outcome);
    Napi::Uint8Array bytes = Napi::Uint8Array::New(env, r.policy.size());
    std::memcpy(bytes.Data(), r.policy.data(), r.policy.size());
    o.Set("policy", bytes);
    o.Set("inputMean", copy_out<float, Napi::Float32Array>(env, r.norm.mean, 3));
    o.Set("inputStd", copy_out<float, Napi::Float32Array>(env, r.norm.std, 3));
    return o;
  }
};

// sacTrainAsync(mu, alpha, beta, backtestOptions, sacOptions, onProgress?) -> { promise, cancel() };
// progress: pathsDone = steps taken, paths = steps, events = episodes finished.
Napi::Value sac_train_async(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    return JobWorker<TrainJob, TrainResult>::start(env, "hawkgraph.trainPolicy", std::make_unique<TrainJob>(info), info[5], "the training was aborted");
  });
}

// sacTrainControl(sacOptions, gains: Float64Array(2), states: Float32Array(2 n)) -> metrics and
// actions: the trained actor's deterministic action tanh(mean) at each state. Blocks.
Napi::Value sac_train_control(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    SacConfig config = sac_config_arg(info[0]);
    auto gains = float64_view(info[1], "gains");
    auto states = float32_view(info[2], "states");
    if (gains.length != 2 || states.length % 2 != 0) bad_argument("gains must hold 2 numbers and states pairs of numbers");
    sac::LinearQuadraticEnv problem(config.seed, gains.data[0], gains.data[1]);
    sac::SacOutcome r = sac::train_sac(problem, config, nullptr);
    const int n = static_cast<int>(states.length / 2);
    sac::MlpTape tape(r.actor, n);
    std::memcpy(tape.input(), states.data, sizeof(float) * states.length);
    mlp_forward(r.actor, tape, n);
    std::vector<float> actions(states.length);
    for (int i = 0; i < n; ++i) {
      for (int d = 0; d < 2; ++d) actions[static_cast<size_t>(i) * 2 + d] = std::tanh(tape.output()[static_cast<size_t>(i) * 4 + d]);
    }
    Napi::Object o = metrics_to_js(env, r);
    o.Set("actions", copy_out<float, Napi::Float32Array>(env, actions.data(), actions.size()));
    o.Set("actor", copy_out<float, Napi::Float32Array>(env, r.actor.params(), r.actor.param_count()));
    return o;
  });
}

Mlp mlp_arg(const Napi::Value& widths, const Napi::Value& params) {
  Mlp net(widths_arg(widths, "widths"));
  if (net.layers() < 1) bad_argument("widths must hold at least 2 numbers");
  auto p = float32_view(params, "params");
  if (p.length != net.param_count()) bad_argument("params must hold " + std::to_string(net.param_count()) + " floats, got " + std::to_string(p.length));
  std::memcpy(net.params(), p.data, sizeof(float) * p.length);
  return net;
}

int rows_arg(const Napi::Value& input, const Mlp& net, float** data) {
  auto x = float32_view(input, "input");
  if (x.length == 0 || x.length % static_cast<size_t>(net.inputs()) != 0) bad_argument("input must hold whole rows of " + std::to_string(net.inputs()) + " floats");
  *data = x.data;
  return static_cast<int>(x.length / static_cast<size_t>(net.inputs()));
}

// sacMlpForward(widths, params, input) -> output rows.
Napi::Value sac_mlp_forward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    Mlp net = mlp_arg(info[0], info[1]);
    float* x;
    const int rows = rows_arg(info[2], net, &x);
    sac::MlpTape tape(net, rows);
    std::memcpy(tape.input(), x, sizeof(float) * static_cast<size_t>(rows) * net.inputs());
    mlp_forward(net, tape, rows);
    return copy_out<float, Napi::Float32Array>(env, tape.output(), static_cast<size_t>(rows) * net.outputs());
  });
}

// sacMlpBackward(widths, params, input, dOutput) -> { grad, dInput }.
Napi::Value sac_mlp_backward(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    Mlp net = mlp_arg(info[0], info[1]);
    float* x;
    const int rows = rows_arg(info[2], net, &x);
    auto dy = float32_view(info[3], "dOutput");
    if (dy.length != static_cast<size_t>(rows) * net.outputs()) bad_argument("dOutput must hold one row of outputs per input row");
    sac::MlpTape tape(net, rows);
    std::memcpy(tape.input(), x, sizeof(float) * static_cast<size_t>(rows) * net.inputs());
    mlp_forward(net, tape, rows);
    std::vector<float> grad(net.param_count()), dx(static_cast<size_t>(rows) * net.inputs());
    mlp_backward(net, tape, dy.data, grad.data(), dx.data());
    Napi::Object o = Napi::Object::New(env);
    o.Set("grad", copy_out<float, Napi::Float32Array>(env, grad.data(), grad.size()));
    o.Set("dInput", copy_out<float, Napi::Float32Array>(env, dx.data(), dx.size()));
    return o;
  });
}

// sacAdamSteps(params, grads (steps x n), lr, beta1, beta2, eps) -> params after the steps.
Napi::Value sac_adam_steps(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    auto p = float32_view(info[0], "params");
    auto g = float32_view(info[1], "grads");
    if (p.length == 0 || g.length % p.length != 0) bad_argument("grads must hold whole steps of params.length floats");
    sac::AdamSettings s;
    s.lr = number_arg(info[2], "lr");
    s.beta1 = number_arg(info[3], "beta1");
    s.beta2 = number_arg(info[4], "beta2");
    s.eps = number_arg(info[5], "eps");
    sac::Adam adam(p.length, s);
    std::vector<float> params(p.data, p.data + p.length);
    for (size_t at = 0; at < g.length; at += p.length) adam.step(params.data(), g.data + at);
    return copy_out<float, Napi::Float32Array>(env, params.data(), params.size());
  });
}

void copy_params(Mlp& net, const Napi::Object& o, const char* name) {
  auto v = float32_view(o.Get(name), name);
  if (v.length != net.param_count()) bad_argument(std::string(name) + " must hold " + std::to_string(net.param_count()) + " floats");
  std::memcpy(net.params(), v.data, sizeof(float) * v.length);
}

void copy_column(std::vector<float>& dst, const Napi::Object& o, const char* name) {
  auto v = float32_view(o.Get(name), name);
  if (v.length != dst.size()) bad_argument(std::string(name) + " must hold " + std::to_string(dst.size()) + " floats");
  std::memcpy(dst.data(), v.data, sizeof(float) * v.length);
}

// sacLossGradients({ obsSize, actionSize, hidden, gamma, logAlpha, actor, critic0, critic1,
// target0, target1, obs, action, reward, nextObs, done, eps, epsNext }) -> the SAC losses at
// those parameters and their gradients (no step).
Napi::Value sac_loss_gradients(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    Napi::Object o = object_arg(info[0], "loss arguments");
    sac::SacSettings s;
    s.obs_size = static_cast<int>(integer_field(o, "obsSize", 1, 64));
    s.action_size = static_cast<int>(integer_field(o, "actionSize", 1, 64));
    s.hidden = widths_arg(o.Get("hidden"), "hidden");
    s.gamma = number_field(o, "gamma");
    auto reward = float32_view(o.Get("reward"), "reward");
    s.batch = static_cast<int>(reward.length);
    if (s.batch < 1) bad_argument("reward must hold one value per row");
    sac::SacRng rng(0);
    sac::SacLearner learner(s, rng);
    learner.set_log_alpha(static_cast<float>(number_field(o, "logAlpha")));
    copy_params(learner.actor(), o, "actor");
    copy_params(learner.critic(0), o, "critic0");
    copy_params(learner.critic(1), o, "critic1");
    copy_params(learner.target(0), o, "target0");
    copy_params(learner.target(1), o, "target1");
    sac::Minibatch mb(s.batch, s.obs_size, s.action_size);
    copy_column(mb.obs, o, "obs");
    copy_column(mb.action, o, "action");
    copy_column(mb.reward, o, "reward");
    copy_column(mb.next_obs, o, "nextObs");
    copy_column(mb.done, o, "done");
    std::vector<float> eps(static_cast<size_t>(s.batch) * s.action_size), eps_next(eps.size());
    copy_column(eps, o, "eps");
    copy_column(eps_next, o, "epsNext");
    sac::TaskPair pair(1);
    const sac::SacLosses l = learner.evaluate(mb, eps.data(), eps_next.data(), pair);
    Napi::Object out = Napi::Object::New(env);
    out.Set("criticLoss", l.critic);
    out.Set("actorLoss", l.actor);
    out.Set("criticGrad0", copy_out<float, Napi::Float32Array>(env, learner.critic_grad(0).data(), learner.critic_grad(0).size()));
    out.Set("criticGrad1", copy_out<float, Napi::Float32Array>(env, learner.critic_grad(1).data(), learner.critic_grad(1).size()));
    out.Set("actorGrad", copy_out<float, Napi::Float32Array>(env, learner.actor_grad().data(), learner.actor_grad().size()));
    return out;
  });
}

// sacLobRollout(mu, alpha, beta, backtestOptions, action: Float32Array(2), episodes, actionScale,
// actionOffset) -> each episode's return under that constant action (the LOB env's rewards,
// for comparison with the backtester's per-path reward). Blocks.
Napi::Value sac_lob_rollout(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return guard(env, [&]() -> Napi::Value {
    const hawkes::HawkesParams params = params_arg(info, 0);
    backtest::check_lob_params(params);
    const backtest::BacktestOptions market = market_arg(info[3]);
    auto action = float32_view(info[4], "action");
    if (action.length != 2) bad_argument("action must hold 2 numbers");
    const int64_t episodes = integer_field(object_arg(info[5], "count"), "episodes", 1, 1 << 20);
    backtest::check_event_budget(params, market.spec);
    const hawkes::HawkesModel model(params);
    sac::LobEnv lob(model, market, number_arg(info[6], "actionScale"), number_arg(info[7], "actionOffset"));
    std::vector<double> returns;
    for (int64_t e = 0; e < episodes; ++e) {
      lob.reset(static_cast<uint64_t>(e));
      double total = 0;
      for (bool done = false; !done;) {
        const sac::EnvStep r = lob.step(action.data);
        total += r.reward;
        done = r.done;
      }
      returns.push_back(total);
    }
    return float64_copy(env, returns);
  });
}

}  // namespace

void register_sac(Napi::Env env, Napi::Object exports) {
  exports.Set("sacTrainAsync", Napi::Function::New(env, sac_train_async, "sacTrainAsync"));
  exports.Set("sacTrainControl", Napi::Function::New(env, sac_train_control, "sacTrainControl"));
  exports.Set("sacMlpForward", Napi::Function::New(env, sac_mlp_forward, "sacMlpForward"));
  exports.Set("sacMlpBackward", Napi::Function::New(env, sac_mlp_backward, "sacMlpBackward"));
  exports.Set("sacAdamSteps", Napi::Function::New(env, sac_adam_steps, "sacAdamSteps"));
  exports.Set("sacLobRollout", Napi::Function::New(env, sac_lob_rollout, "sacLobRollout"));
  exports.Set("sacLossGradients", Napi::Function::New(env, sac_loss_gradients, "sacLossGradients"));
}

}  // namespace hawkgraph::addon
