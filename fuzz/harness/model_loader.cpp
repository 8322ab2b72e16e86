// libFuzzer harness: the model loader, as createEngine({ model: bytes }) runs it before a backend
// exists: parse_safetensors, then load_gnn_model, then node features for small books of every
// depth the model accepts. Refusals (hawkgraph::Error) are the expected outcome of most inputs;
// anything else (a crash, a sanitizer report, a broken invariant below) is a finding.
//
// Links only core sources (json, safetensors, gnn_model, book, features, error): never a backend,
// so the CPU kernels' forward pass is out of reach here; the invariants the backends rely on
// (matrix sizes, a topology whose lists stay inside the graph) are checked instead.
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "book.hpp"
#include "error.hpp"
#include "features.hpp"
#include "gnn_model.hpp"
#include "safetensors.hpp"

namespace {

using namespace hawkgraph;

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "model_loader: invariant broken: %s\n", what);
  std::abort();
}

void check_views(const SafetensorsView& file, const uint8_t* bytes, size_t size) {
  for (const TensorView& t : file.tensors) {
    if (t.byte_size > 0 && (t.data < bytes || t.data > bytes + size || t.byte_size > size ||
                            t.data + t.byte_size > bytes + size)) {
      broken("a tensor view reaches outside the file");
    }
  }
}

void check_matrix(const Matrix& m, int rows, int cols) {
  if (m.rows != rows || m.cols != cols) broken("matrix dims differ from the model's sizes");
  if (m.data.size() != static_cast<size_t>(rows) * static_cast<size_t>(cols)) broken("matrix data size != rows x cols");
  for (float v : m.data) {
    if (!std::isfinite(v)) broken("a non-finite weight was accepted");
  }
}

void check_vector(const std::vector<float>& v, int n) {
  if (v.size() != static_cast<size_t>(n)) broken("bias size differs from the model's sizes");
}

void check_model(const GnnModel& m) {
  if (m.node_features != kNodeFeatures) broken("node_features != 8");
  if (m.levels < 1 || m.hidden < 2 || m.hidden % 2 || m.embed * 2 != m.hidden) broken("sizes");
  if (m.heads < 1 || m.embed % m.heads) broken("heads do not divide the embedding");
  const int F = m.node_features, H = m.hidden, E = m.embed;
  const int in[3] = {F, H, H}, out[3] = {H, H, E};
  for (int c = 0; c < 3; ++c) {
    check_matrix(m.conv[c].lin_l, out[c], in[c]);
    check_matrix(m.conv[c].lin_r, out[c], in[c]);
    check_vector(m.conv[c].bias, out[c]);
  }
  check_matrix(m.in_proj, 3 * E, E);
  check_vector(m.in_bias, 3 * E);
  check_matrix(m.out_proj, E, E);
  check_vector(m.out_bias, E);
  check_vector(m.norm_weight, E);
  check_vector(m.norm_bias, E);
  check_matrix(m.direction_head, 3, E);
  check_vector(m.direction_bias, 3);
  check_matrix(m.magnitude_head, 1, E);
  check_vector(m.magnitude_bias, 1);
  check_matrix(m.volatility_head, 1, E);
  check_vector(m.volatility_bias, 1);

  // What the kernels walk: offsets[nodes + 1] rising from 0 to edges, each list's sources inside
  // the graph and ascending (the prefix filter for books shallower than the model).
  const Topology& t = m.topology;
  if (t.nodes != m.nodes()) broken("topology nodes != 2L");
  if (t.offsets.size() != static_cast<size_t>(t.nodes) + 1) broken("offsets size != nodes + 1");
  if (t.offsets.front() != 0 || static_cast<size_t>(t.offsets.back()) != t.edges()) broken("offsets do not span the edges");
  for (int i = 0; i < t.nodes; ++i) {
    if (t.offsets[i] > t.offsets[i + 1]) broken("offsets decrease");
    for (int32_t e = t.offsets[i]; e < t.offsets[i + 1]; ++e) {
      const int32_t s = t.sources[static_cast<size_t>(e)];
      if (s < 0 || s >= t.nodes) broken("an edge source outside the graph");
      if (e > t.offsets[i] && t.sources[static_cast<size_t>(e) - 1] > s) broken("sources not ascending");
    }
  }
}

// Books of depth 1 .. min(L, 4) (and one deeper than the model): features for every node the
// model reads, and the mean over each node's in-neighbours inside the book's subgraph, the first
// thing a SAGE layer computes.
void run_books(const GnnModel& m) {
  constexpr int kDepth = 5;
  double bid_price[kDepth], bid_size[kDepth], ask_price[kDepth], ask_size[kDepth];
  for (int i = 0; i < kDepth; ++i) {
    bid_price[i] = 100.0 - 0.5 * i;
    ask_price[i] = 100.5 + 0.5 * i;
    bid_size[i] = 1.0 + i;
    ask_size[i] = 2.0 + 0.25 * i;
  }
  std::vector<double> features(static_cast<size_t>(2 * kDepth) * kNodeFeatures);
  std::vector<double> flow(2 * kDepth), agg(kNodeFeatures);
  for (int depth = 1; depth <= kDepth; ++depth) {
    BookView book{{bid_price, bid_size, depth}, {ask_price, ask_size, depth}};
    validate_book(book, m.levels);
    order_flow_per_ms(book, &book, 1.0, m.levels, flow.data());
    const int used = build_node_features(book, m.levels, flow.data(), features.data());
    if (used != levels_used(book, m.levels) || used < 1 || used > m.levels || used > depth) broken("levels_used");
    const int n = 2 * used;
    for (int i = 0; i < n; ++i) {
      int count = 0;
      std::fill(agg.begin(), agg.end(), 0.0);
      for (int32_t e = m.topology.offsets[i]; e < m.topology.offsets[i + 1]; ++e) {
        const int32_t s = m.topology.sources[static_cast<size_t>(e)];
        if (s >= n) break;  // ascending: the rest lie outside this book's subgraph
        for (int f = 0; f < kNodeFeatures; ++f) agg[f] += features[static_cast<size_t>(s) * kNodeFeatures + f];
        ++count;
      }
      for (int f = 0; f < kNodeFeatures; ++f) {
        const double v = count ? agg[f] / count : 0.0;
        if (!std::isfinite(v)) broken("a non-finite neighbour mean");
      }
    }
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  try {
    SafetensorsView file = parse_safetensors(data, size);
    check_views(file, data, size);
  } catch (const Error&) {
    return 0;
  }
  GnnModel model;
  try {
    model = load_gnn_model(data, size);
  } catch (const Error&) {
    return 0;
  }
  check_model(model);
  run_books(model);
  return 0;
}
