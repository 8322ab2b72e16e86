// Per-element math of the CUDA GNN kernels, written once for both compilers: nvcc builds it into
// the kernels (__host__ __device__), g++ into the host twin (gnn_cuda_emulate.cpp) that the
// GPU-less test suite runs against the fixtures. Plain arithmetic only: no CUDA headers, no
// allocation, no state. Must not depend on anything but <cmath>/<cstdint> and host_device.hpp.
#pragma once

#include <cmath>
#include <cstdint>
#include <cstring>

#include "../../core/host_device.hpp"

namespace hawkgraph::cuda::math {

// Node features from the staged raw values (core/features.hpp): `dist` = |price - mid| / mid,
// `size` and `order_flow` come from the host (dist in float64 there, so the subtraction loses
// nothing); `side_total` is the sum of that side's sizes over the levels used, plus 1e-8.
HG_HD void node_features(int node, int levels, float dist, float size, float order_flow, float side_total, float* f8) {
  const int level = node >> 1;
  f8[0] = (node & 1) == 0 ? 1.0f : 0.0f;
  f8[1] = log1pf(size);
  f8[2] = dist;
  f8[3] = order_flow;
  f8[4] = static_cast<float>(level) / static_cast<float>(levels);
  f8[5] = 1.0f / static_cast<float>(level + 1);
  f8[6] = size / side_total;
  f8[7] = 0.0f;
}

// SAGE mean aggregation: PyG's scatter-mean leaves a node with no in-edges at zero and divides
// by the in-degree otherwise.
HG_HD float mean_scale(int degree) { return degree > 1 ? 1.0f / static_cast<float>(degree) : 1.0f; }

HG_HD float relu(float v) { return v > 0.0f ? v : 0.0f; }

HG_HD float sigmoid(float v) { return 1.0f / (1.0f + expf(-v)); }

HG_HD float attention_scale(int head_dim) { return 1.0f / sqrtf(static_cast<float>(head_dim)); }

HG_HD float layer_norm_inv_std(float variance) { return 1.0f / sqrtf(variance + 1e-5f); }

HG_HD float layer_norm_value(float a, float mean, float inv_std, float weight, float bias) {
  return (a - mean) * inv_std * weight + bias;
}

// IEEE binary16 round-to-nearest-even, bit-exact with __float2half_rn, so the host twin rounds
// activations and weights exactly where the tensor-core kernels do.
HG_HD uint16_t float_to_half_bits(float f) {
  uint32_t x;
  memcpy(&x, &f, 4);
  const uint32_t sign = (x >> 16) & 0x8000u;
  const uint32_t abs = x & 0x7fffffffu;
  if (abs >= 0x7f800000u) return static_cast<uint16_t>(sign | 0x7c00u | (abs > 0x7f800000u ? 0x200u : 0u));
  if (abs >= 0x477ff000u) return static_cast<uint16_t>(sign | 0x7c00u);  // rounds past 65504
  if (abs < 0x38800000u) {                                                // half subnormal or zero
    if (abs < 0x33000000u) return static_cast<uint16_t>(sign);
    const uint32_t mant = (abs & 0x7fffffu) | 0x800000u;
    const int shift = 126 - static_cast<int>(abs >> 23);  // 14..24
    uint32_t h = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1u), half_way = 1u << (shift - 1);
    if (rem > half_way || (rem == half_way && (h & 1u))) ++h;
    return static_cast<uint16_t>(sign | h);
  }
  uint32_t h = ((abs - 0x38000000u) >> 13);
  const uint32_t rem = abs & 0x1fffu;
  if (rem > 0x1000u || (rem == 0x1000u && (h & 1u))) ++h;
  return static_cast<uint16_t>(sign | h);
}

HG_HD float half_bits_to_float(uint16_t h) {
  const uint32_t sign = static_cast<uint32_t>(h & 0x8000u) << 16;
  const uint32_t exp = (h >> 10) & 0x1fu, mant = h & 0x3ffu;
  uint32_t x;
  if (exp == 0x1fu) {
    x = sign | 0x7f800000u | (mant << 13);
  } else if (exp != 0) {
    x = sign | ((exp + 112u) << 23) | (mant << 13);
  } else if (mant == 0) {
    x = sign;
  } else {  // subnormal: normalise
    int e = -1;
    uint32_t m = mant;
    do {
      m <<= 1;
      ++e;
    } while ((m & 0x400u) == 0);
    x = sign | ((112u - static_cast<uint32_t>(e)) << 23) | ((m & 0x3ffu) << 13);
  }
  float f;
  memcpy(&f, &x, 4);
  return f;
}

HG_HD float round_to_half(float v) { return half_bits_to_float(float_to_half_bits(v)); }

}  // namespace hawkgraph::cuda::math
