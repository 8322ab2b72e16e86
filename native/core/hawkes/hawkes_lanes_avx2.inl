// Lane primitives for hawkes_simulate_lanes.inl on AVX2 + FMA: four double lanes. Masks are lane
// bit masks, as on AVX-512, expanded to vector masks for blends; the operations AVX2 lacks (64-bit
// conversions and min/max, getexp/getmant/scalef, scatters, register permutes) are built from what
// it has, exactly for the ranges this simulator uses.

constexpr int kLanes = 4;
constexpr int kLaneShift = 2;  // log2(kLanes)
constexpr unsigned kAllLanes = 0xF;

using Vd = __m256d;
using Vi = __m256i;
using Mask = uint8_t;

inline Vi mask_si(Mask m) {
  const Vi bits = _mm256_set_epi64x(8, 4, 2, 1);
  return _mm256_cmpeq_epi64(_mm256_and_si256(_mm256_set1_epi64x(m), bits), bits);
}
inline Vd mask_pd(Mask m) { return _mm256_castsi256_pd(mask_si(m)); }
inline Mask lanes_of(Vd v) { return static_cast<Mask>(_mm256_movemask_pd(v)); }
inline Mask lanes_of(Vi v) { return lanes_of(_mm256_castsi256_pd(v)); }

#define vx_add_epi64 _mm256_add_epi64
#define vx_add_pd _mm256_add_pd
#define vx_and_si512 _mm256_and_si256
#define vx_div_pd _mm256_div_pd
#define vx_fmadd_pd _mm256_fmadd_pd
#define vx_fnmadd_pd _mm256_fnmadd_pd
#define vx_max_pd _mm256_max_pd
#define vx_mul_epu32 _mm256_mul_epu32
#define vx_mul_pd _mm256_mul_pd
#define vx_or_si512 _mm256_or_si256
#define vx_set1_epi64 _mm256_set1_epi64x
#define vx_set1_pd _mm256_set1_pd
#define vx_setzero_pd _mm256_setzero_pd
#define vx_setzero_si512 _mm256_setzero_si256
#define vx_slli_epi64 _mm256_slli_epi64
#define vx_srli_epi64 _mm256_srli_epi64
#define vx_store_pd _mm256_store_pd
#define vx_store_si512(p, v) _mm256_store_si256(reinterpret_cast<__m256i*>(p), v)
#define vx_sub_epi64 _mm256_sub_epi64
#define vx_sub_pd _mm256_sub_pd
#define vx_xor_pd _mm256_xor_pd
#define vx_xor_si512 _mm256_xor_si256
#define vx_roundscale_pd(x, mode) _mm256_round_pd(x, mode)
#define vx_cmp_pd_mask(a, b, predicate) lanes_of(_mm256_cmp_pd(a, b, predicate))
#define vx_mask_cmp_pd_mask(m, a, b, predicate) static_cast<Mask>((m) & lanes_of(_mm256_cmp_pd(a, b, predicate)))
#define vx_maskz_getmant_pd(m, x, interval, sign) mantissa_1_2(x)

inline Vd vx_mask_mov_pd(Vd src, Mask m, Vd a) { return _mm256_blendv_pd(src, a, mask_pd(m)); }
inline Vd vx_mask_add_pd(Vd src, Mask m, Vd a, Vd b) { return vx_mask_mov_pd(src, m, _mm256_add_pd(a, b)); }
inline Vd vx_mask_mul_pd(Vd src, Mask m, Vd a, Vd b) { return vx_mask_mov_pd(src, m, _mm256_mul_pd(a, b)); }
inline Vd vx_mask_div_pd(Vd src, Mask m, Vd a, Vd b) { return vx_mask_mov_pd(src, m, _mm256_div_pd(a, b)); }
inline Vi vx_mask_mov_epi64(Vi src, Mask m, Vi a) { return _mm256_blendv_epi8(src, a, mask_si(m)); }
inline Vi vx_maskz_mov_epi64(Mask m, Vi a) { return _mm256_and_si256(a, mask_si(m)); }
inline Vi vx_mask_add_epi64(Vi src, Mask m, Vi a, Vi b) { return vx_mask_mov_epi64(src, m, _mm256_add_epi64(a, b)); }
inline Vi vx_mask_sub_epi64(Vi src, Mask m, Vi a, Vi b) { return vx_mask_mov_epi64(src, m, _mm256_sub_epi64(a, b)); }

inline Mask vx_cmpeq_epi64_mask(Vi a, Vi b) { return lanes_of(_mm256_cmpeq_epi64(a, b)); }
inline Mask vx_cmple_epi64_mask(Vi a, Vi b) { return static_cast<Mask>(~lanes_of(_mm256_cmpgt_epi64(a, b)) & kAllLanes); }
inline Mask vx_mask_cmpeq_epi64_mask(Mask m, Vi a, Vi b) { return static_cast<Mask>(m & vx_cmpeq_epi64_mask(a, b)); }
inline Mask vx_mask_cmpneq_epi64_mask(Mask m, Vi a, Vi b) { return static_cast<Mask>(m & ~vx_cmpeq_epi64_mask(a, b)); }
inline Mask vx_mask_cmpgt_epi64_mask(Mask m, Vi a, Vi b) { return static_cast<Mask>(m & lanes_of(_mm256_cmpgt_epi64(a, b))); }
inline Mask vx_mask_cmplt_epi64_mask(Mask m, Vi a, Vi b) { return static_cast<Mask>(m & lanes_of(_mm256_cmpgt_epi64(b, a))); }
inline Mask vx_mask_cmpge_epi64_mask(Mask m, Vi a, Vi b) { return static_cast<Mask>(m & ~lanes_of(_mm256_cmpgt_epi64(b, a))); }
inline Vi vx_max_epi64(Vi a, Vi b) { return _mm256_blendv_epi8(b, a, _mm256_cmpgt_epi64(a, b)); }
inline Vi vx_mask_min_epi64(Vi src, Mask m, Vi a, Vi b) {
  return vx_mask_mov_epi64(src, m, _mm256_blendv_epi8(a, b, _mm256_cmpgt_epi64(a, b)));
}

// 0 <= x < 2^52 as a double, exactly: x's bits under the exponent of 2^52.
inline Vd small_to_double(Vi x) {
  const Vd two52 = _mm256_set1_pd(4503599627370496.0);
  return _mm256_sub_pd(_mm256_castsi256_pd(_mm256_or_si256(x, _mm256_castpd_si256(two52))), two52);
}
// 0 <= x < 2^53 (the uniforms' bits), exactly: two halves, each exact, and an exact sum.
inline Vd vx_cvtepu64_pd(Vi x) {
  const Vd hi = small_to_double(_mm256_srli_epi64(x, 32));
  const Vd lo = small_to_double(_mm256_and_si256(x, _mm256_set1_epi64x(0xffffffffLL)));
  return _mm256_add_pd(_mm256_mul_pd(hi, _mm256_set1_pd(4294967296.0)), lo);
}
// |x| < 2^31 (the jumps, bounded by validation), truncated.
inline Vi vx_cvttpd_epi64(Vd x) { return _mm256_cvtepi32_epi64(_mm256_cvttpd_epi32(x)); }

// For positive normal x (all this simulator takes logs of): the exponent and the mantissa in [1, 2).
inline Vd vx_getexp_pd(Vd x) {
  const Vi biased = _mm256_srli_epi64(_mm256_castpd_si256(x), 52);
  return _mm256_sub_pd(small_to_double(biased), _mm256_set1_pd(1023.0));
}
inline Vd mantissa_1_2(Vd x) {
  const Vi bits = _mm256_and_si256(_mm256_castpd_si256(x), _mm256_set1_epi64x(0x000fffffffffffffLL));
  return _mm256_castsi256_pd(_mm256_or_si256(bits, _mm256_set1_epi64x(0x3ff0000000000000LL)));
}

// 2^k for integral k in [-1022, 1023].
inline Vd pow2(Vd k) {
  const Vi e = _mm256_cvtepi32_epi64(_mm256_cvtpd_epi32(_mm256_add_pd(k, _mm256_set1_pd(1023.0))));
  return _mm256_castsi256_pd(_mm256_slli_epi64(e, 52));
}
// y * 2^k for y in [0.5, 2] and integral k in [-1443, 1] (exp_lanes' range), rounded once like
// scalef: the first factor keeps y * 2^k1 normal and exact, the second rounds.
inline Vd vx_scalef_pd(Vd y, Vd k) {
  const Vd k1 = _mm256_max_pd(k, _mm256_set1_pd(-1020.0));
  return _mm256_mul_pd(_mm256_mul_pd(y, pow2(k1)), pow2(_mm256_sub_pd(k, k1)));
}

inline Vi vx_mask_i64gather_epi64(Vi src, Mask m, Vi index, const void* base, int) {
  return _mm256_mask_i64gather_epi64(src, static_cast<const long long*>(base), index, mask_si(m), 8);
}
inline void vx_mask_i64scatter_epi64(void* base, Mask m, Vi index, Vi v, int) {
  alignas(32) int64_t at[kLanes], value[kLanes];
  _mm256_store_si256(reinterpret_cast<__m256i*>(at), index);
  _mm256_store_si256(reinterpret_cast<__m256i*>(value), v);
  for (int i = 0; i < kLanes; ++i) {
    if (m & (1u << i)) static_cast<int64_t*>(base)[at[i]] = value[i];
  }
}

inline Vi vx_lane_ids() { return _mm256_set_epi64x(3, 2, 1, 0); }

// A table of up to 64 entries indexed per lane: up to 8 entries, two in-register permutes (of
// 32-bit halves) and a blend, since gathers are slow on many AVX2 CPUs; a gather beyond.
inline Vi table_lookup(const int64_t* v, int size, Vi index) {
  if (size > 8) return _mm256_i64gather_epi64(reinterpret_cast<const long long*>(v), index, 8);
  // Entry i is 32-bit words 2i and 2i + 1 of its half of the table.
  const Vi twice = _mm256_slli_epi64(_mm256_and_si256(index, _mm256_set1_epi64x(3)), 1);
  const Vi words = _mm256_or_si256(twice, _mm256_slli_epi64(_mm256_add_epi64(twice, _mm256_set1_epi64x(1)), 32));
  const Vi low = _mm256_permutevar8x32_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(v)), words);
  const Vi high = _mm256_permutevar8x32_epi32(_mm256_load_si256(reinterpret_cast<const __m256i*>(v + 4)), words);
  return _mm256_blendv_epi8(low, high, _mm256_cmpgt_epi64(index, _mm256_set1_epi64x(3)));
}
inline Vd table_lookup(const double* v, int size, Vi index) {
  static_assert(sizeof(double) == sizeof(int64_t));
  return _mm256_castsi256_pd(table_lookup(reinterpret_cast<const int64_t*>(v), size, index));
}
