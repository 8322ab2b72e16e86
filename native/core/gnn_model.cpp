// Loading the order-book GNN: metadata, tensor names/dtypes/shapes, finite weights and a
// topology whose node indices fit the model's 2L nodes. Anything unexpected is refused.
#include "gnn_model.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <unordered_set>

#include "error.hpp"
#include "safetensors.hpp"

namespace hawkgraph {
namespace {

// Bounds that keep a hostile header from asking for absurd arenas; far above real models.
constexpr int kMaxLevels = 4096;
constexpr int kMaxHidden = 8192;
constexpr int kMaxHeads = 256;

std::string shape_string(const std::vector<int64_t>& shape) {
  std::string s = "[";
  for (size_t i = 0; i < shape.size(); ++i) {
    if (i) s += ", ";
    s += std::to_string(shape[i]);
  }
  return s + "]";
}

const std::string& require_metadata(const std::map<std::string, std::string>& meta,
                                    const std::string& key) {
  auto it = meta.find(key);
  if (it == meta.end()) {
    throw Error("ERR_MODEL_METADATA", "metadata key \"" + key + "\" is missing");
  }
  return it->second;
}

int metadata_int(const std::map<std::string, std::string>& meta, const std::string& key, int lo,
                 int hi) {
  const std::string& text = require_metadata(meta, key);
  bool digits = !text.empty() && text.size() <= 9 &&
                std::all_of(text.begin(), text.end(), [](char c) { return c >= '0' && c <= '9'; });
  int value = digits ? std::stoi(text) : -1;
  if (!digits || value < lo || value > hi) {
    throw Error("ERR_MODEL_METADATA", "metadata \"" + key + "\" must be an integer in [" +
                                          std::to_string(lo) + ", " + std::to_string(hi) +
                                          "], got \"" + text + "\"");
  }
  return value;
}

void require_metadata_equal(const std::map<std::string, std::string>& meta,
                            const std::string& key, const std::string& expected) {
  const std::string& got = require_metadata(meta, key);
  if (got != expected) {
    throw Error("ERR_MODEL_METADATA", "metadata \"" + key + "\" must be \"" + expected +
                                          "\", got \"" + got + "\"");
  }
}

class TensorReader {
 public:
  explicit TensorReader(const SafetensorsView& file) : file_(file) {}

  const TensorView& get(const std::string& name, DType dtype, const std::string& dtype_name,
                        const std::vector<int64_t>& shape) {
    const TensorView* t = file_.find(name);
    if (!t) throw Error("ERR_MODEL_TENSOR_MISSING", "tensor \"" + name + "\" is missing");
    if (t->dtype != dtype) {
      throw Error("ERR_MODEL_DTYPE", "tensor \"" + name + "\" must be " + dtype_name + ", got " +
                                         t->dtype_name);
    }
    if (t->shape != shape) {
      throw Error("ERR_MODEL_SHAPE", "tensor \"" + name + "\" must have shape " +
                                         shape_string(shape) + ", got " + shape_string(t->shape));
    }
    used_.insert(name);
    return *t;
  }

  std::vector<float> floats(const std::string& name, const std::vector<int64_t>& shape) {
    const TensorView& t = get(name, DType::F32, "F32", shape);
    std::vector<float> out(t.element_count());
    std::memcpy(out.data(), t.data, t.byte_size);
    for (size_t i = 0; i < out.size(); ++i) {
      if (!std::isfinite(out[i])) {
        throw Error("ERR_MODEL_NONFINITE", "tensor \"" + name + "\" element " + std::to_string(i) +
                                               " is " + format_number(out[i]));
      }
    }
    return out;
  }

  Matrix matrix(const std::string& name, int rows, int cols) {
    Matrix m;
    m.rows = rows;
    m.cols = cols;
    m.data = floats(name, {rows, cols});
    return m;
  }

  void refuse_unused() const {
    for (const auto& t : file_.tensors) {
      if (!used_.count(t.name)) {
        throw Error("ERR_MODEL_TENSOR_UNEXPECTED",
                    "tensor \"" + t.name + "\" is not part of an orderbook-gnn model");
      }
    }
  }

 private:
  const SafetensorsView& file_;
  std::unordered_set<std::string> used_;
};

Topology read_topology(TensorReader& reader, const SafetensorsView& file, int nodes) {
  const TensorView* t = file.find("edge_index");
  if (!t) throw Error("ERR_MODEL_TENSOR_MISSING", "tensor \"edge_index\" is missing");
  if (t->shape.size() != 2 || t->shape[0] != 2) {
    throw Error("ERR_MODEL_SHAPE",
                "tensor \"edge_index\" must have shape [2, M], got " + shape_string(t->shape));
  }
  const int64_t edges = t->shape[1];
  // The format's graph is fixed and never empty (bid_i <-> ask_i, j <-> j + 2: two edges at one
  // level). With no edges every SAGE layer's lin_l sees only zeros and the model silently degrades
  // to a per-node MLP, which is what an exporter that lost the graph writes, not a trained model.
  if (edges == 0) {
    throw Error("ERR_MODEL_TOPOLOGY", "tensor \"edge_index\" has shape " + shape_string(t->shape) +
                                          ": an orderbook-gnn model needs at least one edge (bid_i <-> "
                                          "ask_i and j <-> j + 2 for its " +
                                          std::to_string(nodes) + " nodes)");
  }
  // Each node has at most `nodes` distinct in-neighbours; more edges than that are duplicates.
  if (edges > static_cast<int64_t>(nodes) * nodes) {
    throw Error("ERR_MODEL_TOPOLOGY", "edge_index has " + std::to_string(edges) +
                                          " edges, more than a " + std::to_string(nodes) +
                                          "-node graph can hold");
  }
  const TensorView& ei = reader.get("edge_index", DType::I64, "I64", t->shape);
  std::vector<int64_t> raw(static_cast<size_t>(2 * edges));
  // copy_n, not memcpy: memcpy into an empty vector's null data() is undefined even for 0 bytes.
  std::copy_n(ei.data, ei.byte_size, reinterpret_cast<uint8_t*>(raw.data()));

  Topology topo;
  topo.nodes = nodes;
  topo.offsets.assign(nodes + 1, 0);
  for (int64_t e = 0; e < edges; ++e) {
    int64_t src = raw[e], dst = raw[edges + e];
    if (src < 0 || src >= nodes || dst < 0 || dst >= nodes) {
      throw Error("ERR_MODEL_TOPOLOGY", "edge_index edge " + std::to_string(e) + " (" +
                                            std::to_string(src) + " -> " + std::to_string(dst) +
                                            ") names a node outside [0, " +
                                            std::to_string(nodes) + ")");
    }
    ++topo.offsets[dst + 1];
  }
  for (int i = 0; i < nodes; ++i) topo.offsets[i + 1] += topo.offsets[i];
  topo.sources.resize(static_cast<size_t>(edges));
  std::vector<int32_t> fill(topo.offsets.begin(), topo.offsets.end() - 1);
  for (int64_t e = 0; e < edges; ++e) {
    topo.sources[fill[raw[edges + e]]++] = static_cast<int32_t>(raw[e]);
  }
  for (int i = 0; i < nodes; ++i) {
    std::sort(topo.sources.begin() + topo.offsets[i], topo.sources.begin() + topo.offsets[i + 1]);
  }
  return topo;
}

SageWeights read_sage(TensorReader& reader, const std::string& prefix, int out, int in) {
  SageWeights w;
  w.lin_l = reader.matrix(prefix + ".lin_l.weight", out, in);
  w.bias = reader.floats(prefix + ".lin_l.bias", {out});
  w.lin_r = reader.matrix(prefix + ".lin_r.weight", out, in);
  return w;
}

}  // namespace

GnnModel load_gnn_model(const uint8_t* bytes, size_t size) {
  SafetensorsView file = parse_safetensors(bytes, size);
  const auto& meta = file.metadata;

  GnnModel m;
  m.metadata = meta;
  require_metadata_equal(meta, "format", "orderbook-gnn");
  require_metadata_equal(meta, "version", "1");
  require_metadata_equal(meta, "classes", "down,flat,up");
  // The node features are a fixed construction of 8 values; another count is another model.
  m.node_features = metadata_int(meta, "node_features", 8, 8);
  m.levels = metadata_int(meta, "levels", 1, kMaxLevels);
  m.hidden = metadata_int(meta, "hidden", 2, kMaxHidden);
  m.heads = metadata_int(meta, "heads", 1, kMaxHeads);
  const std::string& attention = require_metadata(meta, "attention");
  if (attention == "pooled") {
    m.attention = AttentionMode::Pooled;
  } else if (attention == "levels") {
    m.attention = AttentionMode::Levels;
  } else {
    throw Error("ERR_MODEL_METADATA",
                "metadata \"attention\" must be \"pooled\" or \"levels\", got \"" + attention + "\"");
  }
  if (m.hidden % 2 != 0) {
    throw Error("ERR_MODEL_METADATA", "metadata \"hidden\" must be even, got " + std::to_string(m.hidden));
  }
  m.embed = m.hidden / 2;
  if (m.embed % m.heads != 0) {
    throw Error("ERR_MODEL_METADATA", "metadata \"heads\" (" + std::to_string(m.heads) +
                                          ") must divide hidden / 2 (" + std::to_string(m.embed) + ")");
  }

  const int F = m.node_features, H = m.hidden, E = m.embed;
  TensorReader reader(file);
  m.conv[0] = read_sage(reader, "conv1", H, F);
  m.conv[1] = read_sage(reader, "conv2", H, H);
  m.conv[2] = read_sage(reader, "conv3", E, H);
  m.in_proj = reader.matrix("attention.in_proj_weight", 3 * E, E);
  m.in_bias = reader.floats("attention.in_proj_bias", {3 * E});
  m.out_proj = reader.matrix("attention.out_proj.weight", E, E);
  m.out_bias = reader.floats("attention.out_proj.bias", {E});
  m.norm_weight = reader.floats("norm.weight", {E});
  m.norm_bias = reader.floats("norm.bias", {E});
  m.direction_head = reader.matrix("direction_head.weight", 3, E);
  m.direction_bias = reader.floats("direction_head.bias", {3});
  m.magnitude_head = reader.matrix("magnitude_head.weight", 1, E);
  m.magnitude_bias = reader.floats("magnitude_head.bias", {1});
  m.volatility_head = reader.matrix("volatility_head.weight", 1, E);
  m.volatility_bias = reader.floats("volatility_head.bias", {1});
  m.topology = read_topology(reader, file, m.nodes());
  reader.refuse_unused();
  return m;
}

}  // namespace hawkgraph
