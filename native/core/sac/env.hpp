// What SAC trains against: an episodic environment with continuous observations and actions in
// [-1, 1]^A, independent of any market. Plain C++.
#pragma once

#include <cstdint>

namespace hawkgraph::sac {

struct EnvStep {
  double reward;
  bool done;  // the episode ended (a terminal state: no bootstrap past it)
};

class Env {
 public:
  virtual ~Env() = default;
  virtual int observation_size() const = 0;
  virtual int action_size() const = 0;
  // Starts episode `episode`; its random streams derive from the env's seed and this index only.
  virtual void reset(uint64_t episode) = 0;
  virtual void observe(float* obs) const = 0;
  // One step under action (action_size() numbers in [-1, 1]).
  virtual EnvStep step(const float* action) = 0;
};

}  // namespace hawkgraph::sac
