// Adam (Kingma and Ba) in PyTorch's form: the bias corrections folded into the step size and
// the denominator, sqrt(v) / sqrt(1 - beta2^t) + eps. Its moments are preallocated; a step
// allocates nothing. Plain C++.
#pragma once

#include <cstddef>
#include <cstdint>
#include <vector>

namespace hawkgraph::sac {

struct AdamSettings {
  double lr = 3e-4;
  double beta1 = 0.9;
  double beta2 = 0.999;
  double eps = 1e-8;
};

class Adam {
 public:
  Adam(size_t count, AdamSettings settings) : m_(count, 0.0f), v_(count, 0.0f), s_(settings) {}
  // params -= lr * m_hat / (sqrt(v_hat) + eps) after folding grad into the moments.
  void step(float* params, const float* grad);
  int64_t steps() const { return t_; }

 private:
  static void update(float* __restrict params, const float* __restrict grad, float* __restrict m, float* __restrict v, size_t n, float step_size,
                     float inv_sqrt_bc2, float b1, float b2, float eps);
  std::vector<float> m_, v_;
  AdamSettings s_;
  int64_t t_ = 0;
};

}  // namespace hawkgraph::sac
