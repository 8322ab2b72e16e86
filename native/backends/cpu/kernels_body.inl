// The kernel bodies shared by every ISA, written once on GCC/Clang vector extensions so the same
// source becomes zmm code in kernels_avx512.cpp, ymm in kernels_avx2.cpp and xmm/NEON in
// kernels_portable.cpp. Included inside an anonymous namespace of each of those files, after:
//   constexpr int kVec;        floats per SIMD register
//   constexpr int kRowTile;    rows of a dense register tile (2 * kRowTile accumulators + 3 temps
//                              must fit the register file)
//   vf load_f16(const uint16_t*)  kVec IEEE halves -> floats
// Internal linkage only: the same names exist once per ISA.

constexpr int kPanel = 2 * kVec;

typedef float vf __attribute__((vector_size(kVec * 4)));
typedef float vf_u __attribute__((vector_size(kVec * 4), aligned(4), may_alias));
typedef int32_t vi __attribute__((vector_size(kVec * 4)));
typedef uint32_t vu_u __attribute__((vector_size(kVec * 4), aligned(4), may_alias));
typedef uint32_t vu __attribute__((vector_size(kVec * 4)));

#define HG_INLINE inline __attribute__((always_inline))

HG_INLINE vf loadv(const float* p) { return *reinterpret_cast<const vf_u*>(p); }
HG_INLINE void storev(float* p, vf v) { *reinterpret_cast<vf_u*>(p) = v; }
HG_INLINE vf splat(float s) { return vf{} + s; }

// ---- dense maps ---------------------------------------------------------------------------

template <int R>
HG_INLINE void store_tile(vf (&acc)[R][2], const DenseArgs& d, int r0, int col0) {
  const int valid = d.w->out - col0 < kPanel ? d.w->out - col0 : kPanel;
  for (int r = 0; r < R; ++r) {
    vf v0 = acc[r][0], v1 = acc[r][1];
    if (d.relu) {
      v0 = v0 > 0.0f ? v0 : vf{};
      v1 = v1 > 0.0f ? v1 : vf{};
    }
    float* y = d.y + static_cast<size_t>(r0 + r) * d.ldy + col0;
    if (valid == kPanel) {
      storev(y, v0);
      storev(y + kVec, v1);
    } else {
      float tmp[kPanel];
      storev(tmp, v0);
      storev(tmp + kVec, v1);
      for (int c = 0; c < valid; ++c) y[c] = tmp[c];
    }
  }
}

// One register tile: rows r0..r0+R of one output panel. The row pointers share the k index, so
// each weight pair loaded feeds 2R fused multiply-adds with the activation broadcast from memory.
template <int R, WeightFormat F>
HG_INLINE void dense_tile(const DenseArgs& d, int r0, int pn) {
  const PackedDense& w = *d.w;
  vf acc[R][2];
  const vf b0 = loadv(w.bias.data() + pn * kPanel), b1 = loadv(w.bias.data() + pn * kPanel + kVec);
  for (int r = 0; r < R; ++r) {
    acc[r][0] = b0;
    acc[r][1] = b1;
  }
  const float* wf = w.full.data() + pn * w.panel_stride;
  const uint16_t* wh = w.half.data() + pn * w.panel_stride;
  for (int src = 0; src < 2; ++src) {
    const int K = src == 0 ? w.k1 : w.k2;
    if (K == 0) continue;
    const float* a = src == 0 ? d.a1 : d.a2;
    const size_t lda = src == 0 ? d.lda1 : d.lda2;
    const float* row[R];
    for (int r = 0; r < R; ++r) row[r] = a + static_cast<size_t>(r0 + r) * lda;
    if constexpr (F == WeightFormat::BF16) {
      // Pairs [k, k+1] per output lane: the even weight is the low half shifted up, the odd one
      // the high half with the low bits cleared; both exact bf16 -> fp32 widenings.
      const int full_pairs = K / 2;
      for (int q = 0; q < full_pairs; ++q, wh += 2 * kPanel) {
        const vu p0 = *reinterpret_cast<const vu_u*>(wh), p1 = *reinterpret_cast<const vu_u*>(wh + kPanel);
        const vf e0 = reinterpret_cast<vf>(p0 << 16), o0 = reinterpret_cast<vf>(p0 & 0xFFFF0000u);
        const vf e1 = reinterpret_cast<vf>(p1 << 16), o1 = reinterpret_cast<vf>(p1 & 0xFFFF0000u);
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r) {
          const float s0 = row[r][2 * q], s1 = row[r][2 * q + 1];
          acc[r][0] += e0 * s0 + o0 * s1;
          acc[r][1] += e1 * s0 + o1 * s1;
        }
      }
      if (K & 1) {
        const vu p0 = *reinterpret_cast<const vu_u*>(wh), p1 = *reinterpret_cast<const vu_u*>(wh + kPanel);
        const vf e0 = reinterpret_cast<vf>(p0 << 16), e1 = reinterpret_cast<vf>(p1 << 16);
        for (int r = 0; r < R; ++r) {
          const float s0 = row[r][K - 1];
          acc[r][0] += e0 * s0;
          acc[r][1] += e1 * s0;
        }
        wh += 2 * kPanel;
      }
    } else {
      for (int k = 0; k < K; ++k) {
        vf w0, w1;
        if constexpr (F == WeightFormat::F32) {
          w0 = loadv(wf);
          w1 = loadv(wf + kVec);
          wf += kPanel;
        } else {
          w0 = load_f16(wh);
          w1 = load_f16(wh + kVec);
          wh += kPanel;
        }
#pragma GCC unroll 16
        for (int r = 0; r < R; ++r) {
          const float s = row[r][k];
          acc[r][0] += w0 * s;
          acc[r][1] += w1 * s;
        }
      }
    }
  }
  store_tile<R>(acc, d, r0, pn * kPanel);
}

// Row tiles of kRowTile, then one tile of the remaining rows (compiled for every count, so
// a 1-row matrix-vector product costs one row, not a full tile).
template <WeightFormat F, int R>
HG_INLINE void dense_rest(const DenseArgs& d, int r0, int rows, int pn) {
  if constexpr (R > 0) {
    if (rows == R) {
      dense_tile<R, F>(d, r0, pn);
    } else {
      dense_rest<F, R - 1>(d, r0, rows, pn);
    }
  }
}

template <WeightFormat F>
void dense_format(const DenseArgs& d) {
  const int full = d.rows - d.rows % kRowTile;
  // Panel-outer: one panel of weights (k * kPanel values) stays in L1 across every row tile.
  for (int pn = 0; pn < d.w->panels; ++pn) {
    for (int r0 = 0; r0 < full; r0 += kRowTile) dense_tile<kRowTile, F>(d, r0, pn);
    if (full < d.rows) dense_rest<F, kRowTile - 1>(d, full, d.rows - full, pn);
  }
}

void dense_generic(const DenseArgs& d) {
  switch (d.w->format) {
    case WeightFormat::F32: return dense_format<WeightFormat::F32>(d);
    case WeightFormat::F16: return dense_format<WeightFormat::F16>(d);
    case WeightFormat::BF16: return dense_format<WeightFormat::BF16>(d);
  }
}

// ---- graph and pooling ----------------------------------------------------------------------

void mean_aggregate(const int32_t* offsets, const int32_t* sources, int nodes, const float* x, int width,
                    float* agg) {
  for (int i = 0; i < nodes; ++i) {
    float* __restrict a = agg + static_cast<size_t>(i) * width;
    // Sources are sorted: the first ones below `nodes` are the induced subgraph's edges.
    int end = offsets[i];
    while (end < offsets[i + 1] && sources[end] < nodes) ++end;
    const int begin = offsets[i], degree = end - begin;
    const float inv = degree > 1 ? 1.0f / static_cast<float>(degree) : 1.0f;
    // Each column block sums its neighbours in a register and is stored once.
    int c = 0;
    for (; c + kVec <= width; c += kVec) {
      vf sum{};
      for (int e = begin; e < end; ++e) sum += loadv(x + static_cast<size_t>(sources[e]) * width + c);
      storev(a + c, sum * inv);
    }
    for (; c < width; ++c) {
      float sum = 0.0f;
      for (int e = begin; e < end; ++e) sum += x[static_cast<size_t>(sources[e]) * width + c];
      a[c] = sum * inv;
    }
  }
}

void weighted_column_sum(const float* x, int rows, int width, const float* weight, float* out) {
  float* __restrict o = out;
  for (int c = 0; c < width; ++c) o[c] = 0.0f;
  for (int i = 0; i < rows; ++i) {
    const float s = weight[i];
    const float* __restrict xi = x + static_cast<size_t>(i) * width;
    for (int c = 0; c < width; ++c) o[c] += s * xi[c];
  }
}

// ---- load-time folds --------------------------------------------------------------------------

typedef double vd __attribute__((vector_size(kVec * 4)));  // one float vector's width of doubles
typedef double vd_u __attribute__((vector_size(kVec * 4), aligned(8), may_alias));
constexpr int kVd = kVec / 2;

// A 4 x (2 vectors) tile of c stays in registers over the whole k loop.
void fold_product(const double* a, const double* b, double* c, int rows, int inner, int cols) {
  constexpr int R = 4, C = 2 * kVd;
  const auto dot = [&](int i, int j) {
    double acc = 0;
    for (int k = 0; k < inner; ++k) acc += a[static_cast<size_t>(i) * inner + k] * b[static_cast<size_t>(k) * cols + j];
    return acc;
  };
  int i = 0;
  for (; i + R <= rows; i += R) {
    int j = 0;
    for (; j + C <= cols; j += C) {
      vd acc[R][2] = {};
      for (int k = 0; k < inner; ++k) {
        const double* bk = b + static_cast<size_t>(k) * cols + j;
        const vd b0 = *reinterpret_cast<const vd_u*>(bk), b1 = *reinterpret_cast<const vd_u*>(bk + kVd);
        for (int r = 0; r < R; ++r) {
          const double s = a[static_cast<size_t>(i + r) * inner + k];
          acc[r][0] += s * b0;
          acc[r][1] += s * b1;
        }
      }
      for (int r = 0; r < R; ++r) {
        double* cr = c + static_cast<size_t>(i + r) * cols + j;
        *reinterpret_cast<vd_u*>(cr) = acc[r][0];
        *reinterpret_cast<vd_u*>(cr + kVd) = acc[r][1];
      }
    }
    for (; j < cols; ++j) {
      for (int r = 0; r < R; ++r) c[static_cast<size_t>(i + r) * cols + j] = dot(i + r, j);
    }
  }
  for (; i < rows; ++i) {
    for (int j = 0; j < cols; ++j) c[static_cast<size_t>(i) * cols + j] = dot(i, j);
  }
}

// ---- attention ------------------------------------------------------------------------------

// e^x for x <= 0 (softmax after subtracting the max): Cephes' expf range reduction and degree-6
// polynomial, about 2 ulp; large negative inputs flush to ~1e-38 instead of 0, which no softmax
// weight can tell apart.
HG_INLINE vf exp_nonpositive(vf x) {
  x = x < -87.0f ? splat(-87.0f) : x;
  const vf fx = x * 1.44269504088896341f + 0.5f;
  vi n = __builtin_convertvector(fx, vi);
  const vf nf0 = __builtin_convertvector(n, vf);
  n += (nf0 > fx);  // truncation toward zero -> floor (true lanes are -1)
  const vf nf = __builtin_convertvector(n, vf);
  vf r = x - nf * 0.693359375f;
  r = r - nf * -2.12194440e-4f;
  vf p = splat(1.9875691500e-4f);
  p = p * r + 1.3981999507e-3f;
  p = p * r + 8.3334519073e-3f;
  p = p * r + 4.1665795894e-2f;
  p = p * r + 1.6666665459e-1f;
  p = p * r + 5.0000001201e-1f;
  p = p * (r * r) + r + 1.0f;
  const vi bits = (n + 127) << 23;
  return p * reinterpret_cast<vf>(bits);
}

// Scores of query q against every key (kt: [d, n_pad], keys transposed so the loop runs over keys
// in SIMD width), into scores[0..n_pad).
HG_INLINE void softmax_scores(const float* q, const float* kt, int d, int n_pad, float scale, float* scores) {
  for (int j = 0; j < n_pad; j += kVec) storev(scores + j, vf{});
  for (int c = 0; c < d; ++c) {
    const float s = q[c] * scale;
    const float* krow = kt + static_cast<size_t>(c) * n_pad;
    for (int j = 0; j < n_pad; j += kVec) storev(scores + j, loadv(scores + j) + loadv(krow + j) * s);
  }
}

HG_INLINE void transpose_keys(const float* k, size_t ld, int n, int d, int n_pad, float* kt) {
  for (int c = 0; c < d; ++c) {
    float* dst = kt + static_cast<size_t>(c) * n_pad;
    for (int j = 0; j < n; ++j) dst[j] = k[static_cast<size_t>(j) * ld + c];
    for (int j = n; j < n_pad; ++j) dst[j] = 0.0f;
  }
}

// Lane reductions as a tree: depth log2(kVec) instead of a kVec-long dependency chain.
HG_INLINE float lane_max(vf v) {
  float t[kVec];
  storev(t, v);
  for (int w = kVec / 2; w >= 1; w /= 2) {
    for (int l = 0; l < w; ++l) t[l] = t[l] > t[l + w] ? t[l] : t[l + w];
  }
  return t[0];
}

HG_INLINE float lane_sum(vf v) {
  float t[kVec];
  storev(t, v);
  for (int w = kVec / 2; w >= 1; w /= 2) {
    for (int l = 0; l < w; ++l) t[l] += t[l + w];
  }
  return t[0];
}

// Exponentiates scores[0..n) against their max, zeroes the padding; returns the sum.
HG_INLINE float exp_scores(float* scores, int n, int n_pad) {
  for (int j = n; j < n_pad; ++j) scores[j] = -INFINITY;
  vf top_v = loadv(scores);
  for (int j = kVec; j < n_pad; j += kVec) {
    const vf s = loadv(scores + j);
    top_v = s > top_v ? s : top_v;
  }
  const float top = lane_max(top_v);
  vf total{};
  for (int j = 0; j < n_pad; j += kVec) {
    const vf s = loadv(scores + j);
    // exp(-inf - top) is clamped to ~1e-38 by exp_nonpositive; padding must weigh exactly 0.
    vf e = exp_nonpositive(s - top);
    e = s == -INFINITY ? vf{} : e;
    storev(scores + j, e);
    total += e;
  }
  return lane_sum(total);
}

// The whole per-query pass in registers: NV vectors of scores, the softmax and the key-weight
// accumulators never touch memory (books of up to 4 * kVec nodes on AVX-512: 32 levels).
template <int NV>
HG_INLINE void key_weights_in_registers(const AttentionArgs& a, int n_pad) {
  vf valid[NV], kw[NV];
  for (int v = 0; v < NV; ++v) {
    float lanes[kVec];
    for (int l = 0; l < kVec; ++l) lanes[l] = v * kVec + l < a.n ? 1.0f : 0.0f;
    valid[v] = loadv(lanes);
    kw[v] = vf{};
  }
  const float inv_n = 1.0f / static_cast<float>(a.n);
  for (int i = 0; i < a.n; ++i) {
    const float* q = a.q + static_cast<size_t>(i) * a.ld;
    vf s[NV];
    for (int v = 0; v < NV; ++v) s[v] = vf{};
    for (int c = 0; c < a.d; ++c) {
      const float qc = q[c] * a.scale;
      const float* krow = a.kt + static_cast<size_t>(c) * n_pad;
#pragma GCC unroll 8
      for (int v = 0; v < NV; ++v) s[v] += loadv(krow + v * kVec) * qc;
    }
    // Padding keys score 0 (zero columns of kt); they may raise the max, which only shifts the
    // exponent, and are weighted out below.
    vf top_v = s[0];
    for (int v = 1; v < NV; ++v) top_v = s[v] > top_v ? s[v] : top_v;
    const float top = lane_max(top_v);
    vf total{};
    for (int v = 0; v < NV; ++v) {
      s[v] = exp_nonpositive(s[v] - top) * valid[v];
      total += s[v];
    }
    const float w = inv_n / lane_sum(total);
    for (int v = 0; v < NV; ++v) kw[v] += s[v] * w;
  }
  for (int v = 0; v < NV; ++v) {
    float lanes[kVec];
    storev(lanes, kw[v]);
    for (int l = 0; l < kVec && v * kVec + l < a.n; ++l) a.key_weight[v * kVec + l] += lanes[l];
  }
}

void attention_key_weights(const AttentionArgs& a) {
  const int n_pad = (a.n + kVec - 1) / kVec * kVec;
  transpose_keys(a.k, a.ld, a.n, a.d, n_pad, a.kt);
  switch (n_pad / kVec) {
    case 1: return key_weights_in_registers<1>(a, n_pad);
    case 2: return key_weights_in_registers<2>(a, n_pad);
    case 3: return key_weights_in_registers<3>(a, n_pad);
    case 4: return key_weights_in_registers<4>(a, n_pad);
    default: break;
  }
  const float inv_n = 1.0f / static_cast<float>(a.n);
  for (int i = 0; i < a.n; ++i) {
    softmax_scores(a.q + static_cast<size_t>(i) * a.ld, a.kt, a.d, n_pad, a.scale, a.scores);
    const float total = exp_scores(a.scores, a.n, n_pad);
    // Each query's weights sum to 1; the 1/n of the mean over queries folds into the same factor.
    const float w = inv_n / total;
    float* __restrict kw = a.key_weight;
    const float* __restrict sc = a.scores;
    for (int j = 0; j < a.n; ++j) kw[j] += sc[j] * w;
  }
}

void attention_rows(const AttentionRowsArgs& a) {
  const int n_pad = (a.n + kVec - 1) / kVec * kVec;
  transpose_keys(a.k, a.ld, a.n, a.d, n_pad, a.kt);
  for (int i = 0; i < a.n; ++i) {
    softmax_scores(a.q + static_cast<size_t>(i) * a.ld, a.kt, a.d, n_pad, a.scale, a.scores);
    const float inv_total = 1.0f / exp_scores(a.scores, a.n, n_pad);
    float* __restrict out = a.out + static_cast<size_t>(i) * a.ldo;
    for (int c = 0; c < a.d; ++c) out[c] = 0.0f;
    for (int j = 0; j < a.n; ++j) {
      const float p = a.scores[j] * inv_total;
      const float* __restrict v = a.v + static_cast<size_t>(j) * a.ld;
      for (int c = 0; c < a.d; ++c) out[c] += p * v[c];
    }
  }
}

// ---- peak -----------------------------------------------------------------------------------

// Independent multiply-add chains, enough to cover FMA latency x throughput on current cores
// (4 cycles x 2 ports = 8 in flight; 12 leaves slack), all in registers.
double peak_fp32_gflops(double seconds) {
  constexpr int kChains = 12;
  vf acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = splat(1.0f + 1e-3f * c);
  const vf m = splat(0.999999f), b = splat(1e-7f);
  const auto start = std::chrono::steady_clock::now();
  double flops = 0.0, elapsed = 0.0;
  do {
    for (int it = 0; it < 100000; ++it) {
#pragma GCC unroll 16
      for (int c = 0; c < kChains; ++c) acc[c] = acc[c] * m + b;
    }
    flops += 100000.0 * kChains * kVec * 2;
    elapsed = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  } while (elapsed < seconds);
  volatile float sink = 0.0f;
  for (int c = 0; c < kChains; ++c) sink = sink + acc[c][0];
  return flops / elapsed / 1e9;
}

#undef HG_INLINE
