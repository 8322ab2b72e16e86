#include "replay_buffer.hpp"

#include <cstring>

namespace hawkgraph::sac {

Minibatch::Minibatch(int n, int obs_size, int action_size)
    : rows(n),
      obs(static_cast<size_t>(n) * obs_size),
      action(static_cast<size_t>(n) * action_size),
      reward(static_cast<size_t>(n)),
      next_obs(static_cast<size_t>(n) * obs_size),
      done(static_cast<size_t>(n)) {}

ReplayBuffer::ReplayBuffer(int64_t capacity, int obs_size, int action_size)
    : capacity_(capacity),
      obs_size_(obs_size),
      action_size_(action_size),
      obs_(static_cast<size_t>(capacity) * obs_size),
      action_(static_cast<size_t>(capacity) * action_size),
      reward_(static_cast<size_t>(capacity)),
      next_obs_(static_cast<size_t>(capacity) * obs_size),
      done_(static_cast<size_t>(capacity)) {}

void ReplayBuffer::add(const float* obs, const float* action, float reward, const float* next_obs, bool done) {
  const size_t i = static_cast<size_t>(next_);
  std::memcpy(&obs_[i * obs_size_], obs, sizeof(float) * obs_size_);
  std::memcpy(&action_[i * action_size_], action, sizeof(float) * action_size_);
  reward_[i] = reward;
  std::memcpy(&next_obs_[i * obs_size_], next_obs, sizeof(float) * obs_size_);
  done_[i] = done ? 1.0f : 0.0f;
  next_ = next_ + 1 == capacity_ ? 0 : next_ + 1;
  if (size_ < capacity_) ++size_;
}

void ReplayBuffer::sample(SacRng& rng, Minibatch& out) const {
  for (int r = 0; r < out.rows; ++r) {
    const size_t i = static_cast<size_t>(rng.below(static_cast<uint64_t>(size_)));
    const size_t o = static_cast<size_t>(r);
    std::memcpy(&out.obs[o * obs_size_], &obs_[i * obs_size_], sizeof(float) * obs_size_);
    std::memcpy(&out.action[o * action_size_], &action_[i * action_size_], sizeof(float) * action_size_);
    out.reward[o] = reward_[i];
    std::memcpy(&out.next_obs[o * obs_size_], &next_obs_[i * obs_size_], sizeof(float) * obs_size_);
    out.done[o] = done_[i];
  }
}

}  // namespace hawkgraph::sac
