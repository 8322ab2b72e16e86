// Lane primitives for hawkes_simulate_lanes.inl on AVX-512 (F and DQ): eight double lanes, masks
// in k registers; the vx_* names map one to one onto the intrinsics.

constexpr int kLanes = 8;
constexpr int kLaneShift = 3;  // log2(kLanes)

using Vd = __m512d;
using Vi = __m512i;
using Mask = __mmask8;

#define vx_add_epi64 _mm512_add_epi64
#define vx_add_pd _mm512_add_pd
#define vx_and_si512 _mm512_and_si512
#define vx_cmp_pd_mask _mm512_cmp_pd_mask
#define vx_cmpeq_epi64_mask _mm512_cmpeq_epi64_mask
#define vx_cmple_epi64_mask _mm512_cmple_epi64_mask
#define vx_cvtepu64_pd _mm512_cvtepu64_pd
#define vx_cvttpd_epi64 _mm512_cvttpd_epi64
#define vx_div_pd _mm512_div_pd
#define vx_fmadd_pd _mm512_fmadd_pd
#define vx_fnmadd_pd _mm512_fnmadd_pd
#define vx_getexp_pd _mm512_getexp_pd
#define vx_mask_add_epi64 _mm512_mask_add_epi64
#define vx_mask_add_pd _mm512_mask_add_pd
#define vx_mask_cmp_pd_mask _mm512_mask_cmp_pd_mask
#define vx_mask_cmpeq_epi64_mask _mm512_mask_cmpeq_epi64_mask
#define vx_mask_cmpge_epi64_mask _mm512_mask_cmpge_epi64_mask
#define vx_mask_cmpgt_epi64_mask _mm512_mask_cmpgt_epi64_mask
#define vx_mask_cmplt_epi64_mask _mm512_mask_cmplt_epi64_mask
#define vx_mask_cmpneq_epi64_mask _mm512_mask_cmpneq_epi64_mask
#define vx_mask_div_pd _mm512_mask_div_pd
#define vx_mask_i64gather_epi64 _mm512_mask_i64gather_epi64
#define vx_mask_i64scatter_epi64 _mm512_mask_i64scatter_epi64
#define vx_mask_min_epi64 _mm512_mask_min_epi64
#define vx_mask_mov_epi64 _mm512_mask_mov_epi64
#define vx_mask_mov_pd _mm512_mask_mov_pd
#define vx_mask_mul_pd _mm512_mask_mul_pd
#define vx_mask_sub_epi64 _mm512_mask_sub_epi64
#define vx_maskz_getmant_pd _mm512_maskz_getmant_pd
#define vx_maskz_mov_epi64 _mm512_maskz_mov_epi64
#define vx_max_epi64 _mm512_max_epi64
#define vx_max_pd _mm512_max_pd
#define vx_mul_epu32 _mm512_mul_epu32
#define vx_mul_pd _mm512_mul_pd
#define vx_or_si512 _mm512_or_si512
#define vx_roundscale_pd _mm512_roundscale_pd
#define vx_scalef_pd _mm512_scalef_pd
#define vx_set1_epi64 _mm512_set1_epi64
#define vx_set1_pd _mm512_set1_pd
#define vx_setzero_pd _mm512_setzero_pd
#define vx_setzero_si512 _mm512_setzero_si512
#define vx_slli_epi64 _mm512_slli_epi64
#define vx_srli_epi64 _mm512_srli_epi64
#define vx_store_pd _mm512_store_pd
#define vx_store_si512 _mm512_store_si512
#define vx_sub_epi64 _mm512_sub_epi64
#define vx_sub_pd _mm512_sub_pd
#define vx_xor_pd _mm512_xor_pd
#define vx_xor_si512 _mm512_xor_si512

inline Vi vx_lane_ids() { return _mm512_set_epi64(7, 6, 5, 4, 3, 2, 1, 0); }

// A table of up to 64 entries indexed per lane: one permute while it fits a register.
inline Vd table_lookup(const double* v, int size, Vi index) {
  return size <= kLanes ? _mm512_permutexvar_pd(index, _mm512_load_pd(v)) : _mm512_i64gather_pd(index, v, 8);
}
inline Vi table_lookup(const int64_t* v, int size, Vi index) {
  return size <= kLanes ? _mm512_permutexvar_epi64(index, _mm512_load_si512(v)) : _mm512_i64gather_epi64(index, v, 8);
}
