#include "sage_layer.hpp"

#include <algorithm>
#include <cstring>

#include "linear.hpp"

namespace hawkgraph::cpu {

PackedSage pack_sage(const SageWeights& w) {
  PackedSage p;
  p.in = w.lin_l.cols;
  p.out = w.lin_l.rows;
  p.weight.assign(static_cast<size_t>(2 * p.in) * p.out, 0.0f);
  for (int o = 0; o < p.out; ++o) {
    for (int k = 0; k < p.in; ++k) {
      p.weight[static_cast<size_t>(k) * p.out + o] = w.lin_l.row(o)[k];
      p.weight[static_cast<size_t>(p.in + k) * p.out + o] = w.lin_r.row(o)[k];
    }
  }
  p.bias = w.bias;
  return p;
}

void sage_mean_aggregate(const Topology& topo, int nodes, const float* x, int in, float* agg) {
  for (int i = 0; i < nodes; ++i) {
    float* a = agg + static_cast<size_t>(i) * in;
    std::fill(a, a + in, 0.0f);
    int degree = 0;
    for (int e = topo.offsets[i]; e < topo.offsets[i + 1]; ++e) {
      const int j = topo.sources[e];
      if (j >= nodes) break;  // sources are sorted: the rest lie outside the induced subgraph
      const float* xj = x + static_cast<size_t>(j) * in;
      for (int k = 0; k < in; ++k) a[k] += xj[k];
      ++degree;
    }
    if (degree > 1) {
      const float inv = 1.0f / static_cast<float>(degree);
      for (int k = 0; k < in; ++k) a[k] *= inv;
    }
  }
}

void sage_layer_forward(const PackedSage& layer, int nodes, const float* agg, const float* x,
                        bool relu, float* y) {
  const int in = layer.in, out = layer.out;
  const float* w_neigh = layer.weight.data();
  const float* w_self = w_neigh + static_cast<size_t>(in) * out;
  for (int i = 0; i < nodes; ++i) {
    float* yi = y + static_cast<size_t>(i) * out;
    std::memcpy(yi, layer.bias.data(), sizeof(float) * out);
    accumulate_rows(agg + static_cast<size_t>(i) * in, in, w_neigh, out, yi);
    accumulate_rows(x + static_cast<size_t>(i) * in, in, w_self, out, yi);
    if (relu) {
      for (int o = 0; o < out; ++o) yi[o] = std::max(yi[o], 0.0f);
    }
  }
}

}  // namespace hawkgraph::cpu
