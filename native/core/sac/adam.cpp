#include "adam.hpp"

#include <cmath>

namespace hawkgraph::sac {

void Adam::step(float* params, const float* grad) {
  ++t_;
  const double t = static_cast<double>(t_);
  const float step_size = static_cast<float>(s_.lr / (1.0 - std::pow(s_.beta1, t)));
  const float inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(s_.beta2, t)));
  const float b1 = static_cast<float>(s_.beta1), b2 = static_cast<float>(s_.beta2), eps = static_cast<float>(s_.eps);
  update(params, grad, m_.data(), v_.data(), m_.size(), step_size, inv_sqrt_bc2, b1, b2, eps);
}

// The elementwise update, one clone per instruction set. v >= 0 throughout, so its square root
// never sets errno: without math-errno GCC vectorises the loop (a scalar sqrt call otherwise).
#if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__)
__attribute__((target_clones("arch=x86-64-v4", "avx2", "default"), optimize("no-math-errno")))
#endif
void Adam::update(float* __restrict params, const float* __restrict grad, float* __restrict m, float* __restrict v, size_t n, float step_size,
                  float inv_sqrt_bc2, float b1, float b2, float eps) {
  for (size_t i = 0; i < n; ++i) {
    const float g = grad[i];
    m[i] = b1 * m[i] + (1.0f - b1) * g;
    v[i] = b2 * v[i] + (1.0f - b2) * g * g;
    params[i] -= step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_bc2 + eps);
  }
}

}  // namespace hawkgraph::sac
