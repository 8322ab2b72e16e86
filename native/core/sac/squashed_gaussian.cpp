#include "squashed_gaussian.hpp"

#include <cmath>

namespace hawkgraph::sac {
namespace {

constexpr float kHalfLog2Pi = 0.918938533204672742f;

float clamp_log_std(float v) { return v < kLogStdMin ? kLogStdMin : v > kLogStdMax ? kLogStdMax : v; }

}  // namespace

void squash_sample(const float* head, const float* eps, int rows, int action_size, float* action, float* log_prob) {
  const int a_n = action_size;
  for (int r = 0; r < rows; ++r) {
    const float* h = head + static_cast<long>(r) * 2 * a_n;
    float lp = 0.0f;
    for (int d = 0; d < a_n; ++d) {
      const float ls = clamp_log_std(h[a_n + d]);
      const float e = eps[r * a_n + d];
      const float a = std::tanh(h[d] + std::exp(ls) * e);
      action[r * a_n + d] = a;
      lp += -0.5f * e * e - ls - kHalfLog2Pi - std::log(1.0f - a * a + kSquashEpsilon);
    }
    log_prob[r] = lp;
  }
}

void squash_backward(const float* head, const float* eps, const float* action, int rows, int action_size, const float* d_action,
                     const float* d_log_prob, float* d_head) {
  const int a_n = action_size;
  for (int r = 0; r < rows; ++r) {
    const float* h = head + static_cast<long>(r) * 2 * a_n;
    float* g = d_head + static_cast<long>(r) * 2 * a_n;
    const float dl = d_log_prob[r];
    for (int d = 0; d < a_n; ++d) {
      const float a = action[r * a_n + d];
      const float one_minus = 1.0f - a * a;
      // d/du of -log(1 - tanh(u)^2 + eps) is 2 a (1 - a^2) / (1 - a^2 + eps).
      const float du = d_action[r * a_n + d] * one_minus + dl * 2.0f * a * one_minus / (one_minus + kSquashEpsilon);
      const float raw = h[a_n + d];
      const bool inside = raw >= kLogStdMin && raw <= kLogStdMax;
      g[d] = du;
      // The Gaussian's quadratic term is constant under the reparameterisation; -log_std is not.
      g[a_n + d] = inside ? du * std::exp(raw) * eps[r * a_n + d] - dl : 0.0f;
    }
  }
}

}  // namespace hawkgraph::sac
