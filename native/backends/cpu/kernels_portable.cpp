// The portable kernel table: the shared bodies on 128-bit vectors (SSE2 on any x86-64, NEON on
// arm64), compiled with the baseline flags of the rest of the library. Always available.
#include <chrono>
#include <cmath>
#include <cstring>

#include "kernels.hpp"

namespace hawkgraph::cpu {
namespace {

constexpr int kVec = 4;
constexpr int kRowTile = 6;

float half_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  uint32_t exp = (h >> 10) & 0x1Fu, mant = h & 0x3FFu, bits;
  if (exp == 0x1F) {
    bits = sign | 0x7F800000u | (mant << 13);
  } else if (exp != 0) {
    bits = sign | ((exp + 112) << 23) | (mant << 13);
  } else if (mant == 0) {
    bits = sign;
  } else {
    // Subnormal half: normalise into a float exponent.
    exp = 113;
    while (!(mant & 0x400u)) {
      mant <<= 1;
      --exp;
    }
    bits = sign | (exp << 23) | ((mant & 0x3FFu) << 13);
  }
  float f;
  std::memcpy(&f, &bits, 4);
  return f;
}

typedef float vf4 __attribute__((vector_size(16)));
inline vf4 load_f16(const uint16_t* p) {
  return vf4{half_to_float(p[0]), half_to_float(p[1]), half_to_float(p[2]), half_to_float(p[3])};
}

#include "kernels_body.inl"

double peak(double seconds, bool bf16) { return bf16 ? 0.0 : peak_fp32_gflops(seconds); }

const CpuKernels kTable = {"portable", kPanel, false, false, dense_generic, mean_aggregate, weighted_column_sum,
                           attention_key_weights, attention_rows, peak, fold_product};

}  // namespace

const CpuKernels* portable_kernels() { return &kTable; }

}  // namespace hawkgraph::cpu
