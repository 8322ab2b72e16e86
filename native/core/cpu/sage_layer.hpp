// GraphSAGE layer with mean aggregation on the CPU: out_i = W_l mean_{j->i} x_j + b + W_r x_i,
// optional ReLU. Weights are packed at load as one [2 * in, out] matrix (neighbour rows first)
// so the inner loop is a contiguous axpy over output channels that compilers vectorise.
#pragma once

#include <vector>

#include "../gnn_model.hpp"

namespace hawkgraph::cpu {

struct PackedSage {
  int in = 0;
  int out = 0;
  std::vector<float> weight;  // [2 * in, out]: rows 0..in-1 from lin_l, in..2in-1 from lin_r
  std::vector<float> bias;    // [out]
};

PackedSage pack_sage(const SageWeights& w);

// Mean of the in-neighbours of each of the first `nodes` nodes, counting only sources < nodes
// (the subgraph a shallower book induces). `agg` is [nodes, in].
void sage_mean_aggregate(const Topology& topo, int nodes, const float* x, int in, float* agg);

// `agg`, `x`: [nodes, in]; `y`: [nodes, out].
void sage_layer_forward(const PackedSage& layer, int nodes, const float* agg, const float* x,
                        bool relu, float* y);

}  // namespace hawkgraph::cpu
