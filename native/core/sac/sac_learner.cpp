#include "sac_learner.hpp"

#include <cmath>
#include <cstring>

#include "squashed_gaussian.hpp"

namespace hawkgraph::sac {

std::vector<int> actor_widths(const SacSettings& s) {
  std::vector<int> w{s.obs_size};
  w.insert(w.end(), s.hidden.begin(), s.hidden.end());
  w.push_back(2 * s.action_size);  // means, then log standard deviations
  return w;
}

std::vector<int> critic_widths(const SacSettings& s) {
  std::vector<int> w{s.obs_size + s.action_size};
  w.insert(w.end(), s.hidden.begin(), s.hidden.end());
  w.push_back(1);
  return w;
}

namespace {
AdamSettings adam_of(const SacSettings& s) {
  AdamSettings a;
  a.lr = s.lr;
  return a;
}
}  // namespace

SacLearner::SacLearner(const SacSettings& settings, SacRng& init_rng)
    : s_(settings),
      rows_(settings.batch),
      actor_(actor_widths(settings)),
      critic_{Mlp(critic_widths(settings)), Mlp(critic_widths(settings))},
      target_{Mlp(critic_widths(settings)), Mlp(critic_widths(settings))},
      actor_adam_(actor_.param_count(), adam_of(settings)),
      critic_adam_{Adam(critic_[0].param_count(), adam_of(settings)), Adam(critic_[1].param_count(), adam_of(settings))},
      alpha_adam_(1, adam_of(settings)),
      log_alpha_(static_cast<float>(std::log(settings.initial_alpha))),
      noise_{SacRng(init_rng.next()), SacRng(init_rng.next())},
      actor_tape_(actor_, rows_),
      actor_next_tape_(actor_, rows_),
      critic_tape_{MlpTape(critic_[0], rows_), MlpTape(critic_[1], rows_)},
      target_tape_{MlpTape(critic_[0], rows_), MlpTape(critic_[1], rows_)},
      pi_tape_{MlpTape(critic_[0], rows_), MlpTape(critic_[1], rows_)} {
  actor_.init_uniform(init_rng);
  for (int k = 0; k < 2; ++k) {
    critic_[k].init_uniform(init_rng);
    std::memcpy(target_[k].params(), critic_[k].params(), sizeof(float) * critic_[k].param_count());
  }
  const size_t ba = static_cast<size_t>(rows_) * s_.action_size, b = static_cast<size_t>(rows_);
  eps_.assign(ba, 0);
  eps_next_.assign(ba, 0);
  action_pi_.assign(ba, 0);
  action_next_.assign(ba, 0);
  log_prob_pi_.assign(b, 0);
  log_prob_next_.assign(b, 0);
  y_.assign(b, 0);
  d_action_.assign(ba, 0);
  d_log_prob_.assign(b, 0);
  d_head_.assign(2 * ba, 0);
  for (int k = 0; k < 2; ++k) {
    d_q_[k].assign(b, 0);
    d_critic_in_[k].assign(b * static_cast<size_t>(s_.obs_size + s_.action_size), 0);
    critic_grad_[k].assign(critic_[k].param_count(), 0);
  }
  actor_grad_.assign(actor_.param_count(), 0);
}

double SacLearner::alpha() const { return std::exp(static_cast<double>(log_alpha_)); }

void SacLearner::critic_input(MlpTape& tape, const float* obs, const float* action) const {
  const int o = s_.obs_size, a = s_.action_size;
  float* in = tape.input();
  for (int r = 0; r < rows_; ++r) {
    std::memcpy(in + static_cast<size_t>(r) * (o + a), obs + static_cast<size_t>(r) * o, sizeof(float) * o);
    std::memcpy(in + static_cast<size_t>(r) * (o + a) + o, action + static_cast<size_t>(r) * a, sizeof(float) * a);
  }
}

// The actor's reparameterised actions at s (for its loss and alpha's) and at s' (for the targets).
void SacLearner::actor_samples(const Minibatch& mb, TaskPair& pair, bool draw_noise) {
  const size_t obs_bytes = sizeof(float) * static_cast<size_t>(rows_) * s_.obs_size;
  auto task = [&](int k) {
    if (draw_noise) {
      std::vector<float>& eps = k == 0 ? eps_ : eps_next_;
      noise_[k].fill_normal(eps.data(), eps.size());
    }
    MlpTape& tape = k == 0 ? actor_tape_ : actor_next_tape_;
    std::memcpy(tape.input(), k == 0 ? mb.obs.data() : mb.next_obs.data(), obs_bytes);
    mlp_forward(actor_, tape, rows_);
    if (k == 0) {
      squash_sample(tape.output(), eps_.data(), rows_, s_.action_size, action_pi_.data(), log_prob_pi_.data());
    } else {
      squash_sample(tape.output(), eps_next_.data(), rows_, s_.action_size, action_next_.data(), log_prob_next_.data());
    }
  };
  pair.run(task);
}

// y = r + gamma (1 - done) (min_k Q'_k(s', a') - alpha log pi(a' | s')).
void SacLearner::bootstrap_targets(const Minibatch& mb, float alpha, TaskPair& pair) {
  auto task = [&](int k) {
    critic_input(target_tape_[k], mb.next_obs.data(), action_next_.data());
    mlp_forward(target_[k], target_tape_[k], rows_);
  };
  pair.run(task);
  const float* q0 = target_tape_[0].output();
  const float* q1 = target_tape_[1].output();
  const float gamma = static_cast<float>(s_.gamma);
  for (int r = 0; r < rows_; ++r) {
    const float next_v = (q0[r] < q1[r] ? q0[r] : q1[r]) - alpha * log_prob_next_[r];
    y_[r] = mb.reward[r] + gamma * (1.0f - mb.done[r]) * next_v;
  }
}

// 0.5 * mean (Q_k(s, a) - y)^2 (stable-baselines3 sums this over the critics) and its gradient.
double SacLearner::critic_loss_grad(int k, const Minibatch& mb) {
  MlpTape& tape = critic_tape_[k];
  critic_input(tape, mb.obs.data(), mb.action.data());
  mlp_forward(critic_[k], tape, rows_);
  const float* q = tape.output();
  const float inv_rows = 1.0f / static_cast<float>(rows_);
  double loss = 0;
  for (int r = 0; r < rows_; ++r) {
    const float e = q[r] - y_[r];
    d_q_[k][r] = e * inv_rows;
    loss += static_cast<double>(e) * e;
  }
  mlp_backward(critic_[k], tape, d_q_[k].data(), critic_grad_[k].data(), nullptr);
  return 0.5 * loss / rows_;
}

// mean(alpha log pi(a|s) - min_k Q_k(s, a)) with a the reparameterised action, and its gradient
// into the actor's parameters through the critics' inputs.
double SacLearner::actor_loss_grad(const Minibatch& mb, float alpha, TaskPair& pair) {
  auto forward = [&](int k) {
    critic_input(pi_tape_[k], mb.obs.data(), action_pi_.data());
    mlp_forward(critic_[k], pi_tape_[k], rows_);
  };
  pair.run(forward);
  const float* q0 = pi_tape_[0].output();
  const float* q1 = pi_tape_[1].output();
  const float inv_rows = 1.0f / static_cast<float>(rows_);
  double loss = 0;
  for (int r = 0; r < rows_; ++r) {
    const bool first = q0[r] <= q1[r];  // the minimum's gradient flows to the smaller (the first on a tie)
    loss += static_cast<double>(alpha) * log_prob_pi_[r] - (first ? q0[r] : q1[r]);
    d_q_[0][r] = first ? -inv_rows : 0.0f;
    d_q_[1][r] = first ? 0.0f : -inv_rows;
    d_log_prob_[r] = alpha * inv_rows;
  }
  auto backward = [&](int k) { mlp_backward(critic_[k], pi_tape_[k], d_q_[k].data(), nullptr, d_critic_in_[k].data()); };
  pair.run(backward);
  const int o = s_.obs_size, a = s_.action_size;
  for (int r = 0; r < rows_; ++r) {
    for (int d = 0; d < a; ++d) {
      const size_t i = static_cast<size_t>(r) * (o + a) + o + d;
      d_action_[static_cast<size_t>(r) * a + d] = d_critic_in_[0][i] + d_critic_in_[1][i];
    }
  }
  squash_backward(actor_tape_.output(), eps_.data(), action_pi_.data(), rows_, a, d_action_.data(), d_log_prob_.data(), d_head_.data());
  mlp_backward(actor_, actor_tape_, d_head_.data(), actor_grad_.data(), nullptr, pair);
  return loss / rows_;
}

void SacLearner::polyak(int k) {
  const float tau = static_cast<float>(s_.tau), keep = 1.0f - tau;
  float* t = target_[k].params();
  const float* p = critic_[k].params();
  const size_t n = critic_[k].param_count();
  for (size_t i = 0; i < n; ++i) t[i] = t[i] * keep + tau * p[i];
}

SacLosses SacLearner::update(const Minibatch& mb, TaskPair& pair) {
  const float alpha = std::exp(log_alpha_);  // this update's losses use alpha before its own step
  actor_samples(mb, pair, true);
  bootstrap_targets(mb, alpha, pair);
  auto critic_step = [&](int k) {
    critic_loss_[k] = critic_loss_grad(k, mb);
    critic_adam_[k].step(critic_[k].params(), critic_grad_[k].data());
  };
  pair.run(critic_step);
  SacLosses out;
  out.critic = critic_loss_[0] + critic_loss_[1];
  out.actor = actor_loss_grad(mb, alpha, pair);
  actor_adam_.step(actor_.params(), actor_grad_.data());
  // d/d log_alpha of -log_alpha * mean(log_prob + target_entropy).
  double mean_log_prob = 0;
  for (int r = 0; r < rows_; ++r) mean_log_prob += log_prob_pi_[r];
  mean_log_prob /= rows_;
  const float g = static_cast<float>(-(mean_log_prob + s_.target_entropy));
  alpha_adam_.step(&log_alpha_, &g);
  auto soft_update = [&](int k) { polyak(k); };
  pair.run(soft_update);
  out.alpha = alpha;
  out.entropy = -mean_log_prob;
  return out;
}

SacLosses SacLearner::evaluate(const Minibatch& mb, const float* eps, const float* eps_next, TaskPair& pair) {
  std::memcpy(eps_.data(), eps, sizeof(float) * eps_.size());
  std::memcpy(eps_next_.data(), eps_next, sizeof(float) * eps_next_.size());
  const float alpha = std::exp(log_alpha_);
  actor_samples(mb, pair, false);
  bootstrap_targets(mb, alpha, pair);
  auto critic_grads = [&](int k) { critic_loss_[k] = critic_loss_grad(k, mb); };
  pair.run(critic_grads);
  SacLosses out;
  out.critic = critic_loss_[0] + critic_loss_[1];
  out.actor = actor_loss_grad(mb, alpha, pair);
  out.alpha = alpha;
  return out;
}

}  // namespace hawkgraph::sac
