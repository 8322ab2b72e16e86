// A control problem with a known optimum, for testing SAC: one step from a state s uniform in
// [-1, 1]^2, reward -|a - K s|^2 with K = diag(gain), so the optimal action is a* = K s (inside
// [-1, 1] for |gain| < 1). Plain C++.
#pragma once

#include <cstdint>

#include "env.hpp"

namespace hawkgraph::sac {

class LinearQuadraticEnv : public Env {
 public:
  LinearQuadraticEnv(uint64_t seed, double gain0, double gain1) : seed_(seed), gain_{gain0, gain1} {}
  int observation_size() const override { return 2; }
  int action_size() const override { return 2; }
  void reset(uint64_t episode) override;
  void observe(float* obs) const override;
  EnvStep step(const float* action) override;

 private:
  uint64_t seed_;
  double gain_[2];
  float state_[2] = {0, 0};
};

}  // namespace hawkgraph::sac
