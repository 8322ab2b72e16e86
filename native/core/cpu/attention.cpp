#include "attention.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "linear.hpp"

namespace hawkgraph::cpu {

PackedAttention pack_attention(const GnnModel& m) {
  PackedAttention p;
  const int E = m.embed;
  p.embed = E;
  p.heads = m.heads;
  p.in_proj_t = transpose_weight(m.in_proj);
  p.in_bias = m.in_bias;
  p.value_t.resize(static_cast<size_t>(E) * E);
  for (int k = 0; k < E; ++k) {
    std::memcpy(&p.value_t[static_cast<size_t>(k) * E], &p.in_proj_t[static_cast<size_t>(k) * 3 * E + 2 * E],
                sizeof(float) * E);
  }
  p.out_proj_t = transpose_weight(m.out_proj);
  p.out_bias = m.out_bias;
  return p;
}

void attention_single_token(const PackedAttention& p, const float* g, float* scratch, float* a) {
  const int E = p.embed;
  linear_forward(g, E, p.value_t.data(), p.in_bias.data() + 2 * E, E, scratch);
  linear_forward(scratch, E, p.out_proj_t.data(), p.out_bias.data(), E, a);
}

void attention_sequence_mean(const PackedAttention& p, int nodes, const float* x, float* qkv,
                             float* scores, float* head_mean, float* a) {
  const int E = p.embed, E3 = 3 * E, d = E / p.heads;
  for (int i = 0; i < nodes; ++i) {
    linear_forward(x + static_cast<size_t>(i) * E, E, p.in_proj_t.data(), p.in_bias.data(), E3,
                   qkv + static_cast<size_t>(i) * E3);
  }
  std::fill(head_mean, head_mean + E, 0.0f);
  const float scale = 1.0f / std::sqrt(static_cast<float>(d));
  for (int h = 0; h < p.heads; ++h) {
    const int q_off = h * d, k_off = E + h * d, v_off = 2 * E + h * d;
    for (int i = 0; i < nodes; ++i) {
      const float* q = qkv + static_cast<size_t>(i) * E3 + q_off;
      float max_score = -INFINITY;
      for (int j = 0; j < nodes; ++j) {
        const float* k = qkv + static_cast<size_t>(j) * E3 + k_off;
        float s = 0.0f;
        for (int c = 0; c < d; ++c) s += q[c] * k[c];
        scores[j] = s * scale;
        max_score = std::max(max_score, scores[j]);
      }
      float total = 0.0f;
      for (int j = 0; j < nodes; ++j) {
        scores[j] = std::exp(scores[j] - max_score);
        total += scores[j];
      }
      // Each query's weights sum to 1; folding 1/total and the 1/nodes mean into one factor.
      const float weight = 1.0f / (total * static_cast<float>(nodes));
      float* out = head_mean + h * d;
      for (int j = 0; j < nodes; ++j) {
        const float pj = scores[j] * weight;
        const float* v = qkv + static_cast<size_t>(j) * E3 + v_off;
        for (int c = 0; c < d; ++c) out[c] += pj * v[c];
      }
    }
  }
  linear_forward(head_mean, E, p.out_proj_t.data(), p.out_bias.data(), E, a);
}

}  // namespace hawkgraph::cpu
