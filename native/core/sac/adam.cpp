#include "adam.hpp"

#include <cmath>

namespace hawkgraph::sac {

void Adam::step(float* params, const float* grad) {
  ++t_;
  const double t = static_cast<double>(t_);
  const float step_size = static_cast<float>(s_.lr / (1.0 - std::pow(s_.beta1, t)));
  const float inv_sqrt_bc2 = static_cast<float>(1.0 / std::sqrt(1.0 - std::pow(s_.beta2, t)));
  const float b1 = static_cast<float>(s_.beta1), b2 = static_cast<float>(s_.beta2), eps = static_cast<float>(s_.eps);
  const size_t n = m_.size();
  float* m = m_.data();
  float* v = v_.data();
  for (size_t i = 0; i < n; ++i) {
    const float g = grad[i];
    m[i] = b1 * m[i] + (1.0f - b1) * g;
    v[i] = b2 * v[i] + (1.0f - b2) * g * g;
    params[i] -= step_size * m[i] / (std::sqrt(v[i]) * inv_sqrt_bc2 + eps);
  }
}

}  // namespace hawkgraph::sac
