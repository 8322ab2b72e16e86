#include "readout.hpp"

#include <algorithm>
#include <cmath>

namespace hawkgraph::cpu {

PackedReadout pack_readout(const GnnModel& m) {
  PackedReadout p;
  const int E = m.embed;
  p.embed = E;
  p.norm_weight = m.norm_weight;
  p.norm_bias = m.norm_bias;
  const Matrix* rows[] = {&m.direction_head, &m.magnitude_head, &m.volatility_head};
  const std::vector<float>* biases[] = {&m.direction_bias, &m.magnitude_bias, &m.volatility_bias};
  for (int h = 0; h < 3; ++h) {
    p.heads.insert(p.heads.end(), rows[h]->data.begin(), rows[h]->data.end());
    p.heads_bias.insert(p.heads_bias.end(), biases[h]->begin(), biases[h]->end());
  }
  return p;
}

void readout_forward(const PackedReadout& p, const float* a, ForwardOutput* out, float* z) {
  const int E = p.embed;
  // Moments in double: the variance of a near-constant vector loses digits in fp32.
  double mean = 0;
  for (int c = 0; c < E; ++c) mean += a[c];
  mean /= E;
  double var = 0;
  for (int c = 0; c < E; ++c) var += (a[c] - mean) * (a[c] - mean);
  var /= E;
  const double inv_std = 1.0 / std::sqrt(var + 1e-5);
  if (out->embedding != nullptr) z = out->embedding;
  for (int c = 0; c < E; ++c) {
    z[c] = static_cast<float>((a[c] - mean) * inv_std) * p.norm_weight[c] + p.norm_bias[c];
  }
  float head[5];
  for (int h = 0; h < 5; ++h) {
    const float* w = p.heads.data() + static_cast<size_t>(h) * E;
    float s = p.heads_bias[h];
    for (int c = 0; c < E; ++c) s += w[c] * z[c];
    head[h] = s;
  }
  out->logits[0] = head[0];
  out->logits[1] = head[1];
  out->logits[2] = head[2];
  out->magnitude = 1.0f / (1.0f + std::exp(-head[3]));
  out->volatility = std::max(head[4], 0.0f);
}

}  // namespace hawkgraph::cpu
