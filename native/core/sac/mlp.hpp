// A dense ReLU network in float32 (the actor and the critics of SAC): its parameters in one flat
// array (per layer the weight [in][out], then the bias [out]), and its forward and backward
// passes over a minibatch through a preallocated tape. Plain C++; no Node or CUDA headers.
#pragma once

#include <cstddef>
#include <vector>

#include "sac_rng.hpp"
#include "task_pair.hpp"

namespace hawkgraph::sac {

class Mlp {
 public:
  // widths[0] inputs, widths.back() outputs, ReLU after every layer but the last.
  explicit Mlp(std::vector<int> widths);
  Mlp() = default;  // no layers: a result slot that training fills

  int layers() const { return static_cast<int>(widths_.size()) - 1; }
  int width(int layer) const { return widths_[static_cast<size_t>(layer)]; }
  int inputs() const { return widths_.front(); }
  int outputs() const { return widths_.back(); }
  const std::vector<int>& widths() const { return widths_; }
  size_t param_count() const { return params_.size(); }
  float* params() { return params_.data(); }
  const float* params() const { return params_.data(); }
  const float* weight(int layer) const { return params_.data() + offset_[static_cast<size_t>(layer)]; }
  const float* bias(int layer) const { return weight(layer) + static_cast<size_t>(width(layer)) * width(layer + 1); }
  size_t weight_offset(int layer) const { return offset_[static_cast<size_t>(layer)]; }

  // PyTorch's nn.Linear default: weights and biases uniform in +-1 / sqrt(inputs).
  void init_uniform(SacRng& rng);

 private:
  std::vector<int> widths_;
  std::vector<size_t> offset_;
  std::vector<float> params_;
};

// Activations of one minibatch, kept for the backward pass: act[0] the input, act[l] the output
// of layer l (after its ReLU, for hidden layers). Sized once for at most `capacity` rows.
struct MlpTape {
  MlpTape(const Mlp& net, int capacity);
  int capacity;
  int batch = 0;
  std::vector<std::vector<float>> act;
  std::vector<float> delta, delta_prev, wt_scratch;

  float* input() { return act.front().data(); }
  const float* output() const { return act.back().data(); }
};

// Runs tape.input() (batch rows) through the network into tape.output().
void mlp_forward(const Mlp& net, MlpTape& tape, int batch);

// Backward pass of the last forward on `tape`, given d loss / d output [batch][outputs]: writes
// d loss / d params into `grad` (param_count floats) when it is not null and d loss / d input
// [batch][inputs] into `d_input` when that is not null.
void mlp_backward(const Mlp& net, MlpTape& tape, const float* d_output, float* grad, float* d_input);

// The same pass with each layer's weight gradient (task 0) beside the gradient it passes back
// (task 1): the same kernels on the same data, so the same numbers on one thread or two. For a
// network whose backward pass has nothing else to run beside it (the actor's).
void mlp_backward(const Mlp& net, MlpTape& tape, const float* d_output, float* grad, float* d_input, TaskPair& pair);

}  // namespace hawkgraph::sac
