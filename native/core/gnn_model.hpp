// The order-book GNN as loaded from safetensors: sizes from the metadata and tensor shapes,
// fp32 weights copied out of the file (the file's bytes may be freed after loading), and the
// graph topology as incoming-edge lists. Validates everything; see the reference,
// ../shared/tools/torch_reference.py (its fixtures in test/fixtures).
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hawkgraph {

enum class AttentionMode { Pooled, Levels };

// Row-major [rows x cols] fp32 matrix, as PyTorch stores Linear weights ([out, in]).
struct Matrix {
  int rows = 0;
  int cols = 0;
  std::vector<float> data;
  const float* row(int r) const { return data.data() + static_cast<size_t>(r) * cols; }
};

struct SageWeights {
  Matrix lin_l;              // applied to the neighbour mean, [out, in]
  std::vector<float> bias;   // [out]
  Matrix lin_r;              // applied to the node itself, [out, in]
};

// Incoming edges of every node, grouped by target; sources sorted ascending so the subgraph
// induced on the first n nodes is a prefix-filter of each list.
struct Topology {
  int nodes = 0;
  std::vector<int32_t> offsets;  // [nodes + 1]
  std::vector<int32_t> sources;  // [edges]
  size_t edges() const { return sources.size(); }
};

struct GnnModel {
  int levels = 0;         // L: the book depth the model was trained on; 2L nodes
  int node_features = 0;  // F (8)
  int hidden = 0;         // H
  int embed = 0;          // E = H / 2
  int heads = 0;
  AttentionMode attention = AttentionMode::Pooled;
  std::map<std::string, std::string> metadata;

  SageWeights conv[3];
  Matrix in_proj;               // [3E, E]: q, k, v stacked
  std::vector<float> in_bias;   // [3E]
  Matrix out_proj;              // [E, E]
  std::vector<float> out_bias;  // [E]
  std::vector<float> norm_weight, norm_bias;  // [E]
  Matrix direction_head;        // [3, E]
  std::vector<float> direction_bias;
  Matrix magnitude_head;        // [1, E]
  std::vector<float> magnitude_bias;
  Matrix volatility_head;       // [1, E]
  std::vector<float> volatility_bias;

  Topology topology;

  int nodes() const { return 2 * levels; }
};

// Parses and validates a safetensors model. Throws hawkgraph::Error (ERR_MODEL_*).
GnnModel load_gnn_model(const uint8_t* bytes, size_t size);

}  // namespace hawkgraph
