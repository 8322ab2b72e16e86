#include "lob_env.hpp"

#include <cmath>

#include "sac_rng.hpp"

namespace hawkgraph::sac {
namespace {

// The calibration run's episodes are keyed apart from training's (which are backtest paths).
constexpr uint64_t kCalibrationKey = 0x5851F42D4C957F2Dull;

}  // namespace

// The backtester's step interface over one path at a time (backtest::MarketMakingEnv), and the
// observation at the current step's start.
struct LobEnv::Path {
  std::unique_ptr<backtest::MarketMakingEnv> env;
  backtest::Observation seen{};
};

LobEnv::LobEnv(const hawkes::HawkesModel& model, const backtest::BacktestOptions& options, double action_scale, double action_offset)
    : model_(model), options_(options), action_scale_(action_scale), action_offset_(action_offset), path_(std::make_unique<Path>()) {
  path_->env = std::make_unique<backtest::MarketMakingEnv>(model_, options_);
  norm_.std[0] = static_cast<float>(options_.spec.inventory_limit);
}

LobEnv::~LobEnv() = default;

// Path `episode` of the run's seed: the backtester's own streams and baseline noise for it.
void LobEnv::reset(uint64_t episode) {
  path_->env->reset(static_cast<int64_t>(episode));
  path_->seen = path_->env->observe();
}

void LobEnv::raw_inputs(double* x) const {
  const backtest::Observation& o = path_->seen;
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

// The paper's action: offsets (ticks) from the best prices, bid = best bid - offset and ask = best
// ask + offset, as the policy file's offsets_from "best" replays them.
EnvStep LobEnv::step(const float* action) {
  backtest::MarketMakingEnv& env = *path_->env;
  const float bid_offset = action[0] * static_cast<float>(action_scale_) + static_cast<float>(action_offset_);
  const float ask_offset = action[1] * static_cast<float>(action_scale_) + static_cast<float>(action_offset_);
  const double reward = env.step(backtest::Decision{bid_offset, ask_offset, true, 0});
  const bool done = env.done();
  if (!done) path_->seen = env.observe();
  return EnvStep{reward, done};
}

LobNormalisation LobEnv::calibrate(int64_t steps, uint64_t seed) {
  const LobNormalisation saved = norm_;
  backtest::BacktestOptions calibration = options_;
  calibration.spec.seed = seed ^ kCalibrationKey;
  path_->env = std::make_unique<backtest::MarketMakingEnv>(model_, calibration);
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
  path_->env = std::make_unique<backtest::MarketMakingEnv>(model_, options_);
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
