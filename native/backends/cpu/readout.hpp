// LayerNorm (eps 1e-5) of the attention output, then the three heads: direction logits,
// sigmoid(magnitude), relu(volatility). The normalised vector is the embedding.
#pragma once

#include <vector>

#include "../../core/backend.hpp"
#include "../../core/gnn_model.hpp"

namespace hawkgraph::cpu {

struct PackedReadout {
  int embed = 0;
  std::vector<float> norm_weight, norm_bias;
  std::vector<float> heads;       // [5, E]: direction (3), magnitude, volatility
  std::vector<float> heads_bias;  // [5]
};

PackedReadout pack_readout(const GnnModel& m);

// `z` (E floats) holds the embedding when out->embedding is null (the caller does not want it).
void readout_forward(const PackedReadout& p, const float* a, ForwardOutput* out, float* z);

}  // namespace hawkgraph::cpu
