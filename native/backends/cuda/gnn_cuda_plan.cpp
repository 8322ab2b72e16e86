// Buckets, staging records, the kernel's shared-memory plan and the packed, folded weights of the
// CUDA backend. Plain C++: compiled into every build and tested without a GPU.
#include "gnn_cuda_plan.hpp"

#include <algorithm>
#include <cstring>
#include <string>

#include "../../core/error.hpp"
#include "../../core/features.hpp"

namespace hawkgraph::cuda {
namespace {

int round_up(int v, int m) { return (v + m - 1) / m * m; }
int64_t align128(int64_t v) { return (v + 127) / 128 * 128; }

[[noreturn]] void unsupported(const std::string& why) {
  throw Error("ERR_BACKEND_UNAVAILABLE", "the CUDA kernels cannot run this model: " + why);
}

}  // namespace

int bucket_index(int count) {
  for (int i = 0; i < kBucketCount; ++i) {
    if (count <= kBuckets[i]) return i;
  }
  return kBucketCount - 1;
}


StagingLayout staging_layout(const GnnModel& m) {
  StagingLayout s;
  s.nodes = m.nodes();
  s.embed = m.embed;
  s.input_stride = round_up(StagingLayout::kRawOffset + 3 * s.nodes, 4);
  s.output_stride = round_up(StagingLayout::kEmbeddingOffset + s.embed, 4);
  return s;
}

int stage_book(const StagingLayout& s, const BookView& book, int model_levels, const double* order_flow, float* record) {
  const int n = levels_used(book, model_levels);
  int32_t bits = n;
  std::memcpy(record, &bits, sizeof bits);
  record[1] = record[2] = record[3] = 0.0f;
  const double mid = (book.bids.price[0] + book.asks.price[0]) / 2;
  const double inv_mid = 1.0 / mid;
  float* raw = record + StagingLayout::kRawOffset;
  for (int i = 0; i < n; ++i) {
    float* bid = raw + 6 * i;
    bid[0] = static_cast<float>((mid - book.bids.price[i]) * inv_mid);
    bid[1] = static_cast<float>(book.bids.size[i]);
    bid[2] = order_flow ? static_cast<float>(order_flow[2 * i]) : 0.0f;
    bid[3] = static_cast<float>((book.asks.price[i] - mid) * inv_mid);
    bid[4] = static_cast<float>(book.asks.size[i]);
    bid[5] = order_flow ? static_cast<float>(order_flow[2 * i + 1]) : 0.0f;
  }
  (void)s;
  return n;
}

void stage_padding(const StagingLayout& s, float* records, int from, int to) {
  for (int k = from; k < to; ++k) {
    const int32_t zero = 0;
    std::memcpy(records + static_cast<size_t>(k) * s.input_stride, &zero, sizeof zero);
  }
}

KernelLayout plan_kernel(const GnnModel& m, Precision precision, int max_tile_books, size_t smem_limit) {
  KernelLayout k;
  k.precision = precision == Precision::Fp16 ? 0 : 1;
  k.nodes = m.nodes();
  k.features = m.node_features;
  k.k1 = round_up(2 * m.node_features, 16);
  k.hidden = m.hidden;
  k.embed = m.embed;
  k.heads = m.heads;
  k.head_dim = m.embed / m.heads;
  k.pooled = m.attention == AttentionMode::Pooled ? 1 : 0;
  k.edges = static_cast<int>(m.topology.edges());
  const int H = k.hidden, E = k.embed;
  if (m.node_features != kNodeFeatures) {
    unsupported("node features must be " + std::to_string(kNodeFeatures) + ", got " + std::to_string(m.node_features));
  }
  if (H % 32 != 0) unsupported("hidden (" + std::to_string(H) + ") must be a multiple of 32");
  if (E % 16 != 0) unsupported("hidden / 2 (" + std::to_string(E) + ") must be a multiple of 16");
  if (k.head_dim > 32) unsupported("a head width of " + std::to_string(k.head_dim) + " (more than 32)");
  const bool fp16 = precision == Precision::Fp16;
  const int elem = fp16 ? 2 : 4;
  // fp16 rows get 16 bytes of padding so the 16 rows a tensor-core fragment loads start in
  // different shared-memory banks; fp32 weights stay in global memory (L1/L2) unpadded.
  const int pad = fp16 ? 8 : 0;
  k.ld_w1 = H + pad;
  k.ld_w2 = H + pad;
  k.ld_w3 = E + pad;
  k.ld_qkv = k.pooled ? 0 : 3 * E + pad;
  k.w1 = 0;
  k.w2 = k.w1 + static_cast<int64_t>(k.k1) * k.ld_w1;
  k.w3 = k.w2 + static_cast<int64_t>(2 * H) * k.ld_w2;
  k.wqkv = k.w3 + static_cast<int64_t>(2 * H) * k.ld_w3;
  // Whole 16-byte vectors, so the kernels copy the blob into shared memory as uint4.
  k.weight_elems = (k.wqkv + static_cast<int64_t>(k.pooled ? 0 : E) * k.ld_qkv + 7) / 8 * 8;
  // Every fp32 block is 4-aligned so the kernels may read it as float4.
  int64_t p = 0;
  auto take = [&p](int64_t n) {
    const int64_t at = p;
    p += (n + 3) / 4 * 4;
    return at;
  };
  k.b1 = take(H);
  k.b2 = take(H);
  k.b3 = take(E);
  k.bqkv = take(3 * E);
  k.bout = take(E);
  k.norm_w = take(E);
  k.norm_b = take(E);
  k.heads_w = take(5 * E);
  k.heads_b = take(5);
  k.wout = take(static_cast<int64_t>(E) * E);
  k.param_floats = p;
  for (int i = 0; i < k.nodes; ++i) {
    k.max_in_degree = std::max(k.max_in_degree, m.topology.offsets[i + 1] - m.topology.offsets[i]);
  }

  k.act_ld = 2 * H + (fp16 ? 8 : 4);
  // fp16 keeps 78 registers a thread, so 16 warps fit one block: twice the warps to hide shared-
  // memory and tensor-core latency, which bounds a single book. fp32 needs ~145 and stays at 8.
  k.threads = fp16 ? 512 : 256;
  const int warps = k.threads / 32;
  int best_books = 0;
  double best_rows_per_book = 1e30;
  KernelLayout best = k;
  for (int tb = 1; tb <= std::max(1, max_tile_books); ++tb) {
    KernelLayout t = k;
    t.tile_books = tb;
    t.tile_rows = round_up(tb * k.nodes, 16);
    if (tb > 1 && t.tile_rows > 128) break;
    int64_t at = 0;
    auto place = [&at](int64_t bytes) {
      const int64_t here = at;
      at = align128(at + bytes);
      return here;
    };
    t.sm_weights = place(fp16 ? t.weight_elems * 2 : 0);
    t.sm_act_a = place(static_cast<int64_t>(t.tile_rows) * t.act_ld * elem);
    t.sm_act_b = place(static_cast<int64_t>(t.tile_rows) * t.act_ld * elem);
    t.sm_stage = place(fp16 ? static_cast<int64_t>(warps) * 16 * 16 * 4 : 0);
    t.sm_vec = place(static_cast<int64_t>(tb) * (2 * H + E) * 4);
    t.sm_scores = place(k.pooled ? 0 : static_cast<int64_t>(warps) * k.nodes * 4);
    // Levels attention: each warp's partial head sums, reduced after (deterministic, no atomics).
    t.sm_partial = place(k.pooled ? 0 : static_cast<int64_t>(warps) * tb * E * 4);
    t.sm_offsets = place(static_cast<int64_t>(k.nodes + 1) * 4);
    t.sm_sources = place(static_cast<int64_t>(k.edges) * 4);
    t.sm_totals = place(static_cast<int64_t>(tb) * 3 * 4);  // bid and ask size totals, then levels
    // One input record: the persistent kernel pulls a request across PCIe in one parallel pass.
    t.sm_record = place(static_cast<int64_t>(round_up(StagingLayout::kRawOffset + 3 * k.nodes, 4)) * 4);
    t.sm_params = place(k.wout * 4);
    t.sm_neighbors = place(static_cast<int64_t>(k.nodes) * 16);
    t.sm_bytes = at;
    if (static_cast<size_t>(t.sm_bytes) > smem_limit) continue;
    const double rows_per_book = static_cast<double>(t.tile_rows) / tb;
    if (rows_per_book < best_rows_per_book - 1e-9) {
      best_rows_per_book = rows_per_book;
      best_books = tb;
      best = t;
    }
  }
  if (best_books == 0) {
    unsupported("one book needs more shared memory than the device's " + std::to_string(smem_limit) +
                " bytes per block (" + std::to_string(k.nodes) + " nodes, hidden " + std::to_string(H) + ")");
  }
  return best;
}

PackedWeights pack_weights(const GnnModel& m, const KernelLayout& k) {
  PackedWeights p;
  p.weights.assign(static_cast<size_t>(k.weight_elems), 0.0f);
  p.params.assign(static_cast<size_t>(k.param_floats), 0.0f);
  const int F = k.features, H = k.hidden, E = k.embed;
  float* w = p.weights.data();
  auto put_sage = [&](const SageWeights& s, int64_t base, int ld, int in, int out) {
    for (int o = 0; o < out; ++o) {
      for (int c = 0; c < in; ++c) {
        w[base + static_cast<int64_t>(c) * ld + o] = s.lin_l.row(o)[c];
        w[base + static_cast<int64_t>(in + c) * ld + o] = s.lin_r.row(o)[c];
      }
    }
  };
  put_sage(m.conv[0], k.w1, k.ld_w1, F, H);
  put_sage(m.conv[1], k.w2, k.ld_w2, H, H);
  float* par = p.params.data();
  std::copy(m.conv[0].bias.begin(), m.conv[0].bias.end(), par + k.b1);
  std::copy(m.conv[1].bias.begin(), m.conv[1].bias.end(), par + k.b2);
  if (k.pooled) {
    // a = Wo (Wv g + bv) + bo with g = W3l s + W3r m + b3: compose in float64.
    std::vector<double> wo_wv(static_cast<size_t>(E) * E, 0.0);  // [o, e]
    for (int o = 0; o < E; ++o) {
      for (int e = 0; e < E; ++e) {
        double acc = 0;
        for (int j = 0; j < E; ++j) acc += static_cast<double>(m.out_proj.row(o)[j]) * m.in_proj.row(2 * E + j)[e];
        wo_wv[static_cast<size_t>(o) * E + e] = acc;
      }
    }
    const SageWeights& c3 = m.conv[2];
    for (int o = 0; o < E; ++o) {
      for (int c = 0; c < H; ++c) {
        double l = 0, r = 0;
        for (int e = 0; e < E; ++e) {
          l += wo_wv[static_cast<size_t>(o) * E + e] * c3.lin_l.row(e)[c];
          r += wo_wv[static_cast<size_t>(o) * E + e] * c3.lin_r.row(e)[c];
        }
        w[k.w3 + static_cast<int64_t>(c) * k.ld_w3 + o] = static_cast<float>(l);
        w[k.w3 + static_cast<int64_t>(H + c) * k.ld_w3 + o] = static_cast<float>(r);
      }
      double b = m.out_bias[o];
      for (int j = 0; j < E; ++j) b += static_cast<double>(m.out_proj.row(o)[j]) * m.in_bias[2 * E + j];
      for (int e = 0; e < E; ++e) b += wo_wv[static_cast<size_t>(o) * E + e] * c3.bias[e];
      par[k.b3 + o] = static_cast<float>(b);
    }
  } else {
    put_sage(m.conv[2], k.w3, k.ld_w3, H, E);
    std::copy(m.conv[2].bias.begin(), m.conv[2].bias.end(), par + k.b3);
    for (int o = 0; o < 3 * E; ++o) {
      for (int c = 0; c < E; ++c) w[k.wqkv + static_cast<int64_t>(c) * k.ld_qkv + o] = m.in_proj.row(o)[c];
    }
    std::copy(m.in_bias.begin(), m.in_bias.end(), par + k.bqkv);
    for (int o = 0; o < E; ++o) {
      for (int c = 0; c < E; ++c) par[k.wout + static_cast<int64_t>(c) * E + o] = m.out_proj.row(o)[c];
    }
    std::copy(m.out_bias.begin(), m.out_bias.end(), par + k.bout);
  }
  std::copy(m.norm_weight.begin(), m.norm_weight.end(), par + k.norm_w);
  std::copy(m.norm_bias.begin(), m.norm_bias.end(), par + k.norm_b);
  const Matrix* heads[] = {&m.direction_head, &m.magnitude_head, &m.volatility_head};
  const std::vector<float>* biases[] = {&m.direction_bias, &m.magnitude_bias, &m.volatility_bias};
  int row = 0;
  for (int h = 0; h < 3; ++h) {
    for (int r = 0; r < heads[h]->rows; ++r, ++row) {
      std::copy(heads[h]->row(r), heads[h]->row(r) + E, par + k.heads_w + static_cast<int64_t>(row) * E);
      par[k.heads_b + row] = (*biases[h])[r];
    }
  }
  p.offsets = m.topology.offsets;
  p.sources = m.topology.sources;
  return p;
}

}  // namespace hawkgraph::cuda
