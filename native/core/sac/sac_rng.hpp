// The SAC trainer's random streams (xoshiro256** seeded by splitmix64): minibatch indices,
// exploration noise, the updates' reparameterisation noise and initial weights. Each stream is
// drawn in a fixed order by one task, so a seed fixes every draw whatever the thread count.
// Plain C++.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>

namespace hawkgraph::sac {

class SacRng {
 public:
  explicit SacRng(uint64_t seed) {
    for (uint64_t& w : s_) {
      seed += 0x9E3779B97F4A7C15ull;
      uint64_t z = seed;
      z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
      z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
      w = z ^ (z >> 31);
    }
  }

  uint64_t next() {
    const uint64_t result = rotl(s_[1] * 5, 7) * 9;
    const uint64_t t = s_[1] << 17;
    s_[2] ^= s_[0];
    s_[3] ^= s_[1];
    s_[1] ^= s_[2];
    s_[0] ^= s_[3];
    s_[2] ^= t;
    s_[3] = rotl(s_[3], 45);
    return result;
  }

  // Uniform in [0, 1) with 53 bits.
  double uniform() { return static_cast<double>(next() >> 11) * 0x1.0p-53; }
  // Uniform in [lo, hi).
  double uniform(double lo, double hi) { return lo + (hi - lo) * uniform(); }
  // Uniform integer in [0, n) (Lemire's multiply-shift; the bias is below 2^-32 for n < 2^32).
  uint64_t below(uint64_t n) { return static_cast<uint64_t>((static_cast<unsigned __int128>(next()) * n) >> 64); }
  // Standard normal (Box-Muller; one draw per call keeps the order of draws simple).
  double normal() {
    const double u1 = 1.0 - uniform(), u2 = uniform();
    return std::sqrt(-2.0 * std::log(u1)) * std::cos(6.283185307179586 * u2);
  }
  // n standard normals, both of each Box-Muller pair used (half the logs of normal()).
  void fill_normal(float* out, size_t n) {
    for (size_t i = 0; i < n; i += 2) {
      const double r = std::sqrt(-2.0 * std::log(1.0 - uniform())), angle = 6.283185307179586 * uniform();
      out[i] = static_cast<float>(r * std::cos(angle));
      if (i + 1 < n) out[i + 1] = static_cast<float>(r * std::sin(angle));
    }
  }

 private:
  static uint64_t rotl(uint64_t x, int k) { return (x << k) | (x >> (64 - k)); }
  uint64_t s_[4];
};

}  // namespace hawkgraph::sac
