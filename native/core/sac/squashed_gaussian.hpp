// SAC's actor head: a Gaussian in the pre-squash space, squashed by tanh into [-1, 1], with the
// change-of-variables correction to its log-density (Haarnoja et al. 2018, appendix C; the
// 1e-6 inside the log and the log-std clamp to [-20, 2] are stable-baselines3's). The head is
// the actor's output row: A means, then A log standard deviations. Plain C++.
#pragma once

namespace hawkgraph::sac {

constexpr float kLogStdMin = -20.0f;
constexpr float kLogStdMax = 2.0f;
constexpr float kSquashEpsilon = 1e-6f;

// action = tanh(mean + exp(log_std) * eps) and its log-density, for `rows` rows.
void squash_sample(const float* head, const float* eps, int rows, int action_size, float* action, float* log_prob);

// d loss / d head from d loss / d action and d loss / d log_prob (per row), with eps held fixed
// (the reparameterisation trick).
void squash_backward(const float* head, const float* eps, const float* action, int rows, int action_size, const float* d_action,
                     const float* d_log_prob, float* d_head);

}  // namespace hawkgraph::sac
