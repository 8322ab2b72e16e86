#include "lob_env.hpp"

#include <cmath>

#include "../hawkes/hawkes_rng_cpu.hpp"
#include "sac_rng.hpp"

namespace hawkgraph::sac {
namespace {

using backtest::Observation;
using backtest::Quotes;

// The backtester asks a strategy for quotes when a step opens; the env answers later, in
// step(), so this strategy keeps the observation and quotes nothing until then.
struct DeferredStrategy {
  static constexpr bool kNeedsTrend = true;
  static constexpr bool kCostlyDecision = true;
  Observation* seen;
  Quotes decide(const Observation& o) const {
    *seen = o;
    return Quotes{false, false, 0, 0, 0};
  }
};

using Run = backtest::PathRun<0, false, hawkes::BatchRng, DeferredStrategy, backtest::NoRecorder>;

// The calibration run's episodes are keyed apart from training's (which are backtest paths).
constexpr uint64_t kCalibrationKey = 0x5851F42D4C957F2Dull;

}  // namespace

struct LobEnv::Path {
  hawkes::BatchRng market, coins, noise;
  hawkes::HawkesTables tables{};
  hawkes::LobTables lob{};
  hawkes::PathState state{};
  std::vector<double> y, next, decay, mu, cdf;
  Observation seen{};
  DeferredStrategy strategy{&seen};
  backtest::NoRecorder recorder;
  Run run{};
  bool done = false;

  // The wealth and the integral of |I| dt up to time t (inventory does not move between events).
  double wealth() const {
    return run.net_cash() + static_cast<double>(run.inv) * 0.5 * static_cast<double>(run.bid + run.ask) * run.spec->tick;
  }
  double abs_integral(double t) const {
    return run.abs_integral + static_cast<double>(run.inv < 0 ? -run.inv : run.inv) * (t - run.last_change);
  }
};

LobEnv::LobEnv(const hawkes::HawkesModel& model, const backtest::BacktestOptions& options, double action_scale, double action_offset)
    : model_(model), options_(options), action_scale_(action_scale), action_offset_(action_offset), path_(std::make_unique<Path>()) {
  Path& p = *path_;
  p.y.resize(static_cast<size_t>(model.comps()));
  p.next.resize(static_cast<size_t>(model.groups()));
  p.decay.resize(static_cast<size_t>(model.groups()));
  p.mu.resize(static_cast<size_t>(model.dims()));
  p.cdf.resize(static_cast<size_t>(model.dims()));
  p.state = hawkes::PathState{0.0, 0.0, p.y.data(), p.next.data(), p.decay.data()};
  p.lob = hawkes::LobTables{options_.lob.jump_location, options_.lob.jump_scale};
  norm_.std[0] = static_cast<float>(options_.spec.inventory_limit);
}

LobEnv::~LobEnv() = default;

// Path `episode` of the run's seed, streams and baseline noise exactly as the backtester's
// workers draw them (backtest.cpp, Worker::prepare_lane).
void LobEnv::reset(uint64_t episode) {
  Path& p = *path_;
  const backtest::BacktestSpec& spec = options_.spec;
  hawkes::rng_init(p.market, spec.seed, episode);
  hawkes::rng_init(p.coins, spec.seed ^ backtest::kCoinKey, episode);
  p.tables = model_.tables();
  if (spec.noise_std > 0.0) {
    hawkes::rng_init(p.noise, spec.seed ^ backtest::kNoiseKey, episode);
    backtest::perturb_baseline(p.tables, model_.tables(), spec.noise_std, p.noise, p.mu.data(), p.cdf.data());
  }
  p.run = Run{&p.tables, &p.lob, &spec, &p.strategy, &p.market, &p.coins, &p.state, &p.recorder, backtest::GridOut{nullptr, nullptr, nullptr}};
  p.run.start();
  p.done = false;
}

void LobEnv::raw_inputs(double* x) const {
  const Observation& o = path_->seen;
  x[0] = static_cast<double>(o.inventory);
  x[1] = static_cast<double>(o.ask - o.bid);
  x[2] = o.trend;
}

// The same float arithmetic as the policy network's input layer (backtest_step.hpp, mlp_forward),
// so a trained policy sees in a backtest exactly what it saw here.
void LobEnv::observe(float* obs) const {
  double x[3];
  raw_inputs(x);
  for (int i = 0; i < 3; ++i) obs[i] = (static_cast<float>(x[i]) - norm_.mean[i]) / norm_.std[i];
}

EnvStep LobEnv::step(const float* action) {
  Path& p = *path_;
  Run& run = p.run;
  const float bid_offset = action[0] * static_cast<float>(action_scale_) + static_cast<float>(action_offset_);
  const float ask_offset = action[1] * static_cast<float>(action_scale_) + static_cast<float>(action_offset_);
  Quotes q = backtest::quotes_from_offsets(p.seen, bid_offset, ask_offset);
  // As the backtester's begin_step: orders that could break |I| <= c are not placed.
  if (run.inv >= options_.spec.inventory_limit) q.has_bid = false;
  if (run.inv <= -options_.spec.inventory_limit) q.has_ask = false;
  run.q = q;
  const double t0 = p.seen.time, t1 = run.t1;
  const double w0 = p.wealth(), i0 = p.abs_integral(t0);
  while (run.event()) {
  }
  const double w1 = p.wealth(), i1 = p.abs_integral(t1);
  p.done = !run.end_step();
  return EnvStep{(w1 - w0) - options_.spec.phi * (i1 - i0), p.done};
}

LobNormalisation LobEnv::calibrate(int64_t steps, uint64_t seed) {
  const LobNormalisation saved = norm_;
  const uint64_t run_seed = options_.spec.seed;
  options_.spec.seed = seed ^ kCalibrationKey;
  SacRng rng(seed ^ kCalibrationKey);
  double sum[2] = {0, 0}, squares[2] = {0, 0};
  uint64_t episode = 0;
  reset(episode);
  for (int64_t s = 0; s < steps; ++s) {
    double x[3];
    raw_inputs(x);
    for (int i = 0; i < 2; ++i) {
      sum[i] += x[i + 1];
      squares[i] += x[i + 1] * x[i + 1];
    }
    const float action[2] = {static_cast<float>(rng.uniform(-1.0, 1.0)), static_cast<float>(rng.uniform(-1.0, 1.0))};
    if (step(action).done) reset(++episode);
  }
  options_.spec.seed = run_seed;
  LobNormalisation n = saved;
  n.mean[0] = 0;
  n.std[0] = static_cast<float>(options_.spec.inventory_limit);
  const double count = static_cast<double>(steps);
  for (int i = 0; i < 2; ++i) {
    const double mean = sum[i] / count;
    const double sd = std::sqrt(std::fmax(0.0, squares[i] / count - mean * mean));
    n.mean[i + 1] = static_cast<float>(mean);
    // A feature that never moved (a one-tick spread throughout) is left unscaled.
    n.std[i + 1] = sd > 1e-6 ? static_cast<float>(sd) : 1.0f;
  }
  return n;
}

}  // namespace hawkgraph::sac
