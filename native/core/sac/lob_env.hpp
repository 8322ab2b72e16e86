// The market-making environment for SAC over the backtester: one env step is one backtest step
// of dt. Observation (inventory / c, z-scored spread, z-scored trend), as the seed paper's state;
// action in [-1, 1]^2 mapped to the bid and ask offsets (ticks from the best bid and ask, the paper's) as
// action * action_scale + action_offset, so that tanh of the actor's mean is exactly what a policy
// file's output_activation "tanh" with output_scale / output_offset computes. Reward dW - phi *
// integral of |I| dt over the step; an episode's rewards sum to the backtest's per-path reward.
// Every call into the backtester is in lob_env.cpp. Plain C++; no Node or CUDA headers.
#pragma once

#include <cstdint>
#include <memory>
#include <vector>

#include "../backtest/backtest.hpp"
#include "env.hpp"

namespace hawkgraph::sac {

// The observation's affine normalisation: obs_i = (x_i - mean_i) / std_i over the raw inputs
// x = (inventory, spread in ticks, trend), the policy file's input_mean / input_std.
struct LobNormalisation {
  float mean[3] = {0, 0, 0};
  float std[3] = {1, 1, 1};
};

class LobEnv : public Env {
 public:
  // Borrows model and options (their seed keys the episodes: episode e is backtest path e).
  LobEnv(const hawkes::HawkesModel& model, const backtest::BacktestOptions& options, double action_scale, double action_offset);
  ~LobEnv() override;

  int observation_size() const override { return 3; }
  int action_size() const override { return 2; }
  void reset(uint64_t episode) override;
  void observe(float* obs) const override;
  EnvStep step(const float* action) override;

  // The z-scores of spread and trend from `steps` steps of uniform random actions on episodes
  // keyed by seed (the paper's normalisation run), and inventory scaled by c.
  LobNormalisation calibrate(int64_t steps, uint64_t seed);
  void set_normalisation(const LobNormalisation& n) { norm_ = n; }
  const LobNormalisation& normalisation() const { return norm_; }
  double action_scale() const { return action_scale_; }
  double action_offset() const { return action_offset_; }

  struct Path;  // the backtester's path state (lob_env.cpp)

 private:
  void raw_inputs(double* x) const;

  const hawkes::HawkesModel& model_;
  backtest::BacktestOptions options_;
  double action_scale_, action_offset_;
  LobNormalisation norm_;
  std::unique_ptr<Path> path_;
};

}  // namespace hawkgraph::sac
