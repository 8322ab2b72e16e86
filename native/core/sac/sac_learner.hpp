// Soft Actor-Critic's networks and one gradient update (Haarnoja et al. 2018, with automatic
// entropy tuning; the order of stable-baselines3's SAC.train): a squashed-Gaussian actor, twin Q
// critics with Polyak-averaged targets, Adam on each, and the entropy coefficient alpha learned
// towards a target entropy. All buffers are sized at construction. Plain C++.
#pragma once

#include <memory>
#include <vector>

#include "adam.hpp"
#include "mlp.hpp"
#include "replay_buffer.hpp"
#include "sac_rng.hpp"
#include "task_pair.hpp"

namespace hawkgraph::sac {

struct SacSettings {
  int obs_size = 0;
  int action_size = 0;
  std::vector<int> hidden{64, 64};
  int batch = 512;
  double gamma = 1.0;
  double tau = 0.005;
  double lr = 3e-4;
  double initial_alpha = 1.0;
  double target_entropy = 0.0;  // stable-baselines3's default is -action_size
};

struct SacLosses {
  double critic = 0, actor = 0, alpha = 0, entropy = 0;  // entropy: -mean log_prob of the actor's actions
};

class SacLearner {
 public:
  SacLearner(const SacSettings& settings, SacRng& init_rng);

  // One update on mb: the critics, then the actor on the updated critics, then alpha, then the
  // targets; the reparameterisation noise from the learner's own two streams (one per task).
  SacLosses update(const Minibatch& mb, TaskPair& pair);

  // The losses and their gradients at the current parameters, for the given noise, with no step
  // (finite-difference tests): d critic loss / d critic k params into critic_grad(k), d actor
  // loss / d actor params into actor_grad().
  SacLosses evaluate(const Minibatch& mb, const float* eps, const float* eps_next, TaskPair& pair);

  Mlp& actor() { return actor_; }
  Mlp& critic(int k) { return critic_[k]; }
  Mlp& target(int k) { return target_[k]; }
  const std::vector<float>& critic_grad(int k) const { return critic_grad_[k]; }
  const std::vector<float>& actor_grad() const { return actor_grad_; }
  double alpha() const;
  void set_log_alpha(float v) { log_alpha_ = v; }
  const SacSettings& settings() const { return s_; }

 private:
  void actor_samples(const Minibatch& mb, TaskPair& pair, bool draw_noise);
  void bootstrap_targets(const Minibatch& mb, float alpha, TaskPair& pair);
  double critic_loss_grad(int k, const Minibatch& mb);
  double actor_loss_grad(const Minibatch& mb, float alpha, TaskPair& pair);
  void polyak(int k);
  void critic_input(MlpTape& tape, const float* obs, const float* action) const;

  SacSettings s_;
  int rows_;
  Mlp actor_;
  Mlp critic_[2], target_[2];
  Adam actor_adam_;
  Adam critic_adam_[2];
  Adam alpha_adam_;
  float log_alpha_;
  SacRng noise_[2];  // eps for s (task 0) and for s' (task 1)
  MlpTape actor_tape_, actor_next_tape_;
  MlpTape critic_tape_[2], target_tape_[2], pi_tape_[2];
  std::vector<float> eps_, eps_next_, action_pi_, log_prob_pi_, action_next_, log_prob_next_, y_;
  std::vector<float> d_q_[2], d_critic_in_[2], d_action_, d_log_prob_, d_head_;
  std::vector<float> critic_grad_[2], actor_grad_;
  double critic_loss_[2] = {0, 0};
};

std::vector<int> actor_widths(const SacSettings& s);
std::vector<int> critic_widths(const SacSettings& s);

}  // namespace hawkgraph::sac
