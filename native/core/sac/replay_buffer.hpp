// SAC's replay buffer: a ring of transitions (obs, action, reward, next obs, done) preallocated
// at its capacity, and uniform sampling with replacement into a minibatch (as stable-baselines3).
// Plain C++.
#pragma once

#include <cstdint>
#include <vector>

#include "sac_rng.hpp"

namespace hawkgraph::sac {

struct Minibatch {
  Minibatch(int rows, int obs_size, int action_size);
  int rows;
  std::vector<float> obs, action, reward, next_obs, done;
};

class ReplayBuffer {
 public:
  ReplayBuffer(int64_t capacity, int obs_size, int action_size);
  void add(const float* obs, const float* action, float reward, const float* next_obs, bool done);
  int64_t size() const { return size_; }
  // Fills out.rows transitions drawn uniformly from those stored.
  void sample(SacRng& rng, Minibatch& out) const;

 private:
  int64_t capacity_, size_ = 0, next_ = 0;
  int obs_size_, action_size_;
  std::vector<float> obs_, action_, reward_, next_obs_, done_;
};

}  // namespace hawkgraph::sac
