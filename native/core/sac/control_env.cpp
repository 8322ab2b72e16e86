#include "control_env.hpp"

#include "sac_rng.hpp"

namespace hawkgraph::sac {

void LinearQuadraticEnv::reset(uint64_t episode) {
  SacRng rng(seed_ ^ (episode * 0xD6E8FEB86659FD93ull));
  state_[0] = static_cast<float>(rng.uniform(-1.0, 1.0));
  state_[1] = static_cast<float>(rng.uniform(-1.0, 1.0));
}

void LinearQuadraticEnv::observe(float* obs) const {
  obs[0] = state_[0];
  obs[1] = state_[1];
}

EnvStep LinearQuadraticEnv::step(const float* action) {
  double cost = 0;
  for (int d = 0; d < 2; ++d) {
    const double e = static_cast<double>(action[d]) - gain_[d] * static_cast<double>(state_[d]);
    cost += e * e;
  }
  return EnvStep{-cost, true};
}

}  // namespace hawkgraph::sac
