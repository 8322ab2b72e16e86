// sha256_blocks_shani: the compression with the SHA extensions. Compiled with -msha -msse4.1
// (CMakeLists.txt, binding.gyp); without them it builds as a stub that sha256.cpp never calls.
//
// The extensions keep the eight working variables in two registers, {A, B, E, F} and
// {C, D, G, H} (lane 3 first); each sha256rnds2 does two rounds and swaps their roles, and
// sha256msg1/msg2 extend the message schedule four words at a time.
#include "sha256_blocks.hpp"

#if defined(__SHA__) && defined(__SSE4_1__)
#include <immintrin.h>

namespace hawkgraph {
namespace {

void compress(__m128i& abef, __m128i& cdgh, const uint8_t* block) {
  // The message words are big-endian.
  const __m128i big_endian = _mm_set_epi64x(0x0c0d0e0f08090a0bULL, 0x0405060700010203ULL);
  const __m128i abef_in = abef, cdgh_in = cdgh;
  __m128i w[4];
  for (int g = 0; g < 16; ++g) {
    __m128i& wg = w[g & 3];
    if (g < 4) {
      wg = _mm_shuffle_epi8(_mm_loadu_si128(reinterpret_cast<const __m128i*>(block + 16 * g)), big_endian);
    } else {
      // w[t] = s1(w[t-2]) + w[t-7] + s0(w[t-15]) + w[t-16], for t = 4g .. 4g + 3.
      const __m128i low = _mm_sha256msg1_epu32(wg, w[(g - 3) & 3]);
      const __m128i minus7 = _mm_alignr_epi8(w[(g - 1) & 3], w[(g - 2) & 3], 4);
      wg = _mm_sha256msg2_epu32(_mm_add_epi32(low, minus7), w[(g - 1) & 3]);
    }
    __m128i msg = _mm_add_epi32(wg, _mm_load_si128(reinterpret_cast<const __m128i*>(kSha256Round + 4 * g)));
    cdgh = _mm_sha256rnds2_epu32(cdgh, abef, msg);
    msg = _mm_shuffle_epi32(msg, 0x0E);
    abef = _mm_sha256rnds2_epu32(abef, cdgh, msg);
  }
  abef = _mm_add_epi32(abef, abef_in);
  cdgh = _mm_add_epi32(cdgh, cdgh_in);
}

}  // namespace

bool sha256_shani_built() { return true; }

void sha256_blocks_shani(uint32_t state[8], const uint8_t* blocks, size_t count) {
  // {a, b, c, d}, {e, f, g, h} -> {f, e, b, a}, {h, g, d, c} (lane 0 first), the instructions' order.
  const __m128i dcba = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state)), 0xB1);
  const __m128i hgfe = _mm_shuffle_epi32(_mm_loadu_si128(reinterpret_cast<const __m128i*>(state + 4)), 0x1B);
  __m128i abef = _mm_alignr_epi8(dcba, hgfe, 8);
  __m128i cdgh = _mm_blend_epi16(hgfe, dcba, 0xF0);
  for (size_t b = 0; b < count; ++b) compress(abef, cdgh, blocks + 64 * b);
  const __m128i abef_lanes = _mm_shuffle_epi32(abef, 0x1B);
  const __m128i cdgh_lanes = _mm_shuffle_epi32(cdgh, 0xB1);
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state), _mm_blend_epi16(abef_lanes, cdgh_lanes, 0xF0));
  _mm_storeu_si128(reinterpret_cast<__m128i*>(state + 4), _mm_alignr_epi8(cdgh_lanes, abef_lanes, 8));
}

}  // namespace hawkgraph
#else
namespace hawkgraph {

bool sha256_shani_built() { return false; }
void sha256_blocks_shani(uint32_t*, const uint8_t*, size_t) {}

}  // namespace hawkgraph
#endif
