// Weight packing and kernel selection; compiled for the baseline target like the rest of the
// core (no wide instructions here).
#include "kernels.hpp"

#include <cmath>
#include <cstdlib>
#include <cstring>

#include "../../core/error.hpp"

namespace hawkgraph::cpu {
namespace {

uint16_t to_bf16(float f) {
  uint32_t u;
  std::memcpy(&u, &f, 4);
  // Round to nearest even; the weights are finite (the loader rejects others).
  u += 0x7FFFu + ((u >> 16) & 1u);
  return static_cast<uint16_t>(u >> 16);
}

uint16_t to_f16(float f) {
  // IEEE binary16, round to nearest even; fixture weights are far inside its range, and values
  // past it saturate to infinity as a hardware conversion would.
  uint32_t u;
  std::memcpy(&u, &f, 4);
  const uint32_t sign = (u >> 16) & 0x8000u;
  const int32_t exp = static_cast<int32_t>((u >> 23) & 0xFF) - 127 + 15;
  uint32_t mant = u & 0x7FFFFFu;
  if (exp >= 31) return static_cast<uint16_t>(sign | 0x7C00u);
  if (exp <= 0) {
    if (exp < -10) return static_cast<uint16_t>(sign);
    mant |= 0x800000u;
    const int shift = 14 - exp;
    uint32_t half = mant >> shift;
    const uint32_t rem = mant & ((1u << shift) - 1), mid = 1u << (shift - 1);
    if (rem > mid || (rem == mid && (half & 1u))) ++half;
    return static_cast<uint16_t>(sign | half);
  }
  uint32_t half = (static_cast<uint32_t>(exp) << 10) | (mant >> 13);
  const uint32_t rem = mant & 0x1FFFu;
  if (rem > 0x1000u || (rem == 0x1000u && (half & 1u))) ++half;  // may carry into the exponent: correct
  return static_cast<uint16_t>(sign | half);
}

}  // namespace

PackedDense pack_dense(const float* w1, int k1, const float* w2, int k2, const float* bias, int out,
                       int panel, WeightFormat format) {
  PackedDense p;
  p.k1 = k1;
  p.k2 = w2 ? k2 : 0;
  p.out = out;
  p.panel = panel;
  p.panels = (out + panel - 1) / panel;
  p.format = format;
  p.bias.assign(static_cast<size_t>(p.panels) * panel, 0.0f);
  if (bias) std::memcpy(p.bias.data(), bias, sizeof(float) * out);
  auto weight = [&](int k, int o) -> float {
    if (o >= out) return 0.0f;
    if (k < k1) return w1[static_cast<size_t>(o) * k1 + k];
    return w2[static_cast<size_t>(o) * p.k2 + (k - k1)];
  };
  const int K = k1 + p.k2;
  if (format == WeightFormat::BF16) {
    const int pairs1 = (k1 + 1) / 2, pairs2 = (p.k2 + 1) / 2;
    p.panel_stride = static_cast<size_t>(pairs1 + pairs2) * panel * 2;
    p.half.assign(p.panel_stride * p.panels, 0);
    for (int pn = 0; pn < p.panels; ++pn) {
      uint16_t* dst = p.half.data() + pn * p.panel_stride;
      // Pair q of input s holds its k = 2q and 2q + 1 (zero past that input's end).
      auto put = [&](int dst_pair, int k_base, int k_count, int pair) {
        for (int c = 0; c < panel; ++c) {
          for (int h = 0; h < 2; ++h) {
            const int k = 2 * pair + h;
            const float v = k < k_count ? weight(k_base + k, pn * panel + c) : 0.0f;
            dst[(static_cast<size_t>(dst_pair) * panel + c) * 2 + h] = to_bf16(v);
          }
        }
      };
      for (int q = 0; q < pairs1; ++q) put(q, 0, k1, q);
      for (int q = 0; q < pairs2; ++q) put(pairs1 + q, k1, p.k2, q);
    }
    return p;
  }
  p.panel_stride = static_cast<size_t>(K) * panel;
  if (format == WeightFormat::F32) {
    p.full.assign(p.panel_stride * p.panels, 0.0f);
  } else {
    p.half.assign(p.panel_stride * p.panels, 0);
  }
  for (int pn = 0; pn < p.panels; ++pn) {
    for (int k = 0; k < K; ++k) {
      for (int c = 0; c < panel; ++c) {
        const size_t at = pn * p.panel_stride + static_cast<size_t>(k) * panel + c;
        const float v = weight(k, pn * panel + c);
        if (format == WeightFormat::F32) {
          p.full[at] = v;
        } else {
          p.half[at] = to_f16(v);
        }
      }
    }
  }
  return p;
}

void pack_split_bf16(PackedDense& p, const float* w1, int k1, const float* w2, int k2) {
  std::vector<float> hi1(w1, w1 + static_cast<size_t>(p.out) * k1), lo1(hi1.size());
  std::vector<float> hi2(w2 ? w2 : w1, (w2 ? w2 : w1) + (w2 ? static_cast<size_t>(p.out) * k2 : 0)), lo2(hi2.size());
  auto split = [](std::vector<float>& hi, std::vector<float>& lo) {
    for (size_t i = 0; i < hi.size(); ++i) {
      const uint32_t b = static_cast<uint32_t>(to_bf16(hi[i])) << 16;
      float h;
      std::memcpy(&h, &b, 4);
      lo[i] = hi[i] - h;
      hi[i] = h;
    }
  };
  split(hi1, lo1);
  split(hi2, lo2);
  const PackedDense h = pack_dense(hi1.data(), k1, w2 ? hi2.data() : nullptr, k2, nullptr, p.out, p.panel, WeightFormat::BF16);
  const PackedDense l = pack_dense(lo1.data(), k1, w2 ? lo2.data() : nullptr, k2, nullptr, p.out, p.panel, WeightFormat::BF16);
  p.split_hi = h.half;
  p.split_lo = l.half;
  p.split_stride = h.panel_stride;
}

std::vector<std::string> available_kernels() {
  std::vector<std::string> names;
  for (const CpuKernels* k : {amx_kernels(), avx512_kernels(), avx2_kernels(), portable_kernels()}) {
    if (k) names.emplace_back(k->name);
  }
  return names;
}

const CpuKernels& select_kernels(const std::string& requested) {
  std::string name = requested;
  std::string source = "option kernels";
  if (name.empty() || name == "auto") {
    const char* env = std::getenv("HAWKGRAPH_CPU_KERNELS");
    name = env && *env ? env : "auto";
    source = "HAWKGRAPH_CPU_KERNELS";
  }
  if (name == "auto") {
    for (const CpuKernels* k : {amx_kernels(), avx512_kernels(), avx2_kernels(), portable_kernels()}) {
      if (k) return *k;
    }
  }
  const CpuKernels* table = nullptr;
  if (name == "amx") {
    table = amx_kernels();
  } else if (name == "avx512") {
    table = avx512_kernels();
  } else if (name == "avx2") {
    table = avx2_kernels();
  } else if (name == "portable") {
    table = portable_kernels();
  } else {
    throw Error("ERR_INVALID_OPTION",
                source + " must be 'auto', 'amx', 'avx512', 'avx2' or 'portable', got \"" + name + "\"");
  }
  if (!table) {
    std::string have;
    for (const auto& n : available_kernels()) have += (have.empty() ? "" : ", ") + n;
    throw Error("ERR_BACKEND_UNAVAILABLE",
                source + " \"" + name + "\" needs instructions this CPU (or build) lacks; available: " + have);
  }
  return *table;
}

}  // namespace hawkgraph::cpu
