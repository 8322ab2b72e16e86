// Dense maps on the CPU. Weights are stored transposed ([in, out]) so y = W v is a sum of
// contiguous rows scaled by v[k]: an axpy over output channels that vectorises.
#pragma once

#include <vector>

#include "../gnn_model.hpp"

namespace hawkgraph::cpu {

// [out, in] (PyTorch layout) -> [in, out].
std::vector<float> transpose_weight(const Matrix& w);

// y[0..out) += sum_k v[k] * weight[k, :], skipping zero inputs (post-ReLU activations are often 0).
inline void accumulate_rows(const float* v, int count, const float* weight, int out, float* y) {
  for (int k = 0; k < count; ++k) {
    const float s = v[k];
    if (s == 0.0f) continue;
    const float* w = weight + static_cast<size_t>(k) * out;
    for (int o = 0; o < out; ++o) y[o] += s * w[o];
  }
}

// y = W v + b with W given transposed ([in, out]).
void linear_forward(const float* v, int in, const float* weight_t, const float* bias, int out, float* y);

}  // namespace hawkgraph::cpu
