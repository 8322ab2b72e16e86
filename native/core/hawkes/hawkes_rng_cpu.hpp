// The CPU's view of a path's Philox stream: the same (key, counter) -> bits map as PathRng in
// hawkes_step.hpp, so a path draws identical numbers on either device, but generated 16 blocks
// at a time in a loop the compiler vectorises (Philox blocks are independent of each other).
#pragma once

#include <cstdint>

#include "hawkes_step.hpp"

namespace hawkgraph::hawkes {

struct BatchRng {
  static constexpr int kBlocks = 16;
  uint32_t k0, k1, path_lo, path_hi;
  uint64_t block;  // counter of the next block to generate
  int pos;         // next unread 32-bit word in buf
  alignas(64) uint32_t buf[4 * kBlocks];
};

void batch_rng_refill(BatchRng& r);

inline void rng_init(BatchRng& r, uint64_t seed, uint64_t path) {
  r.k0 = static_cast<uint32_t>(seed);
  r.k1 = static_cast<uint32_t>(seed >> 32);
  r.path_lo = static_cast<uint32_t>(path);
  r.path_hi = static_cast<uint32_t>(path >> 32);
  r.block = 0;
  r.pos = 4 * BatchRng::kBlocks;
}

// Same consumption rule as PathRng: two words of one block, a lone last word skipped.
inline double rng_uniform(BatchRng& r) {
  r.pos += ((r.pos & 3) + 1) >> 2;  // skip a lone last word of a block, without a branch
  if (r.pos == 4 * BatchRng::kBlocks) batch_rng_refill(r);
  const uint64_t hi = r.buf[r.pos], lo = r.buf[r.pos + 1];
  r.pos += 2;
  const uint64_t bits = ((hi << 32) | lo) >> 11;
  return (static_cast<double>(bits) + 0.5) * (1.0 / 9007199254740992.0);
}

inline double rng_uniform32(BatchRng& r) {
  if (r.pos == 4 * BatchRng::kBlocks) batch_rng_refill(r);
  const uint32_t w = r.buf[r.pos];
  r.pos += 1;
  return (static_cast<double>(w) + 0.5) * (1.0 / 4294967296.0);
}

}  // namespace hawkgraph::hawkes
