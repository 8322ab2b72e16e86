// The SAC training loop: collect a transition from the environment (uniform random actions for
// the first learning_starts steps, then the actor's stochastic action), store it, and run
// gradient_steps updates every train_freq steps once learning_starts transitions are in (as
// stable-baselines3). Same seed and settings give the same actor bit for bit, on 1 or 2 threads.
// Plain C++.
#pragma once

#include <cstdint>
#include <vector>

#include "../hawkes/hawkes_simulate.hpp"
#include "env.hpp"
#include "mlp.hpp"
#include "sac_learner.hpp"

namespace hawkgraph::sac {

struct SacConfig {
  SacSettings net;
  int64_t steps = 1000000;
  int64_t buffer_size = 1000000;
  int64_t learning_starts = 100;
  int64_t train_freq = 1;
  int64_t gradient_steps = 1;
  int64_t log_interval = 1000;  // steps per row of the loss log
  uint64_t seed = 0;
  int threads = 1;
};

struct SacMetrics {
  std::vector<double> episode_return, episode_end;  // per finished episode: its return, the step it ended on
  // Per log_interval steps (updates only): the last step, mean critic and actor losses, alpha, entropy.
  std::vector<double> log_step, critic_loss, actor_loss, alpha, entropy;
};

struct SacOutcome {
  Mlp actor;
  SacMetrics metrics;
  int64_t steps_done = 0;
  bool cancelled = false;
};

// ERR_INVALID_OPTION naming the field for anything out of the bounds in limits.hpp.
void validate_sac_config(const SacConfig& c);

// Trains on env. control (may be null): cancel stops at the next step; paths_done counts the
// steps taken and events_done the episodes finished.
SacOutcome train_sac(Env& env, const SacConfig& config, hawkes::SimulateControl* control);

}  // namespace hawkgraph::sac
