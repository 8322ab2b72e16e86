// Multi-head self-attention (PyTorch nn.MultiheadAttention semantics, no masks, eval mode)
// reduced to what the model reads: the mean over the sequence of the attention output.
#pragma once

#include <vector>

#include "../gnn_model.hpp"

namespace hawkgraph::cpu {

struct PackedAttention {
  int embed = 0;
  int heads = 0;
  std::vector<float> in_proj_t;   // [E, 3E]: q | k | v output columns
  std::vector<float> in_bias;     // [3E]
  std::vector<float> value_t;     // [E, E]: the v block alone, for the pooled path
  std::vector<float> out_proj_t;  // [E, E]
  std::vector<float> out_bias;    // [E]
};

PackedAttention pack_attention(const GnnModel& m);

// Sequence of length 1: softmax over one key is 1, so the output is out_proj(v_proj(g)).
// `scratch` holds E floats.
void attention_single_token(const PackedAttention& p, const float* g, float* scratch, float* a);

// Self-attention over `nodes` tokens `x` [nodes, E], then the mean over tokens. out_proj is
// affine, so it is applied once to the mean of the head outputs. Scratch: qkv [nodes, 3E],
// scores [nodes], head_mean [E].
void attention_sequence_mean(const PackedAttention& p, int nodes, const float* x, float* qkv,
                             float* scores, float* head_mean, float* a);

}  // namespace hawkgraph::cpu
