// The per-event math of Hawkes simulation, shared by the CPU driver (g++) and the CUDA kernels
// (nvcc): the Philox counter-based generator, the exact next-event step, Ogata's thinning step,
// and the LOB price update. Plain C++ with qualifiers behind HG_HD, so
// the CPU tests exercise exactly the code the GPU runs. No allocation, no Node or CUDA headers.
//
// Representation: the excitation is split into "components" c, each an exponentially decaying
// amplitude y_c with rate beta_c that adds to the intensity of one dimension. With one beta per
// excited dimension (the fast path) component c is dimension c; with a full beta matrix component
// k * D + l carries alpha[k][l] * exp(-beta[k][l] * t). Components with the same beta share one
// exp() per event (a "decay group").
#pragma once

#include <cmath>
#include <cstdint>

#include "../host_device.hpp"

namespace hawkgraph::hawkes {

// ---- Philox4x32-10 (Salmon et al., SC'11): output depends only on (key, counter) ----------------

struct Philox4 {
  uint32_t v[4];
};

HG_HD void mulhilo32(uint32_t a, uint32_t b, uint32_t& hi, uint32_t& lo) {
  const uint64_t p = static_cast<uint64_t>(a) * b;
  hi = static_cast<uint32_t>(p >> 32);
  lo = static_cast<uint32_t>(p);
}

HG_HD Philox4 philox4x32_10(uint32_t c0, uint32_t c1, uint32_t c2, uint32_t c3, uint32_t k0, uint32_t k1) {
#if defined(__CUDACC__)
#pragma unroll
#endif
  for (int round = 0; round < 10; ++round) {
    uint32_t hi0, lo0, hi1, lo1;
    mulhilo32(0xD2511F53u, c0, hi0, lo0);
    mulhilo32(0xCD9E8D57u, c2, hi1, lo1);
    const uint32_t n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
    c0 = n0;
    c1 = lo1;
    c2 = n2;
    c3 = lo0;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  return Philox4{{c0, c1, c2, c3}};
}

// One path's stream: key = seed, counter = (block, path). A 53-bit uniform takes two 32-bit
// words of the current block (a last lone word is skipped), a 32-bit uniform one, so the draws of
// path p are the same whatever thread or device runs it (BatchRng follows the same rule).
struct PathRng {
  uint32_t k0, k1;
  uint32_t path_lo, path_hi;
  uint64_t block;
  uint32_t buf[4];
  int avail;
};

HG_HD void rng_init(PathRng& r, uint64_t seed, uint64_t path) {
  r.k0 = static_cast<uint32_t>(seed);
  r.k1 = static_cast<uint32_t>(seed >> 32);
  r.path_lo = static_cast<uint32_t>(path);
  r.path_hi = static_cast<uint32_t>(path >> 32);
  r.block = 0;
  r.avail = 0;
}

HG_HD void rng_next_block(PathRng& r) {
  const Philox4 out = philox4x32_10(static_cast<uint32_t>(r.block), static_cast<uint32_t>(r.block >> 32),
                                    r.path_lo, r.path_hi, r.k0, r.k1);
  r.buf[0] = out.v[0];
  r.buf[1] = out.v[1];
  r.buf[2] = out.v[2];
  r.buf[3] = out.v[3];
  ++r.block;
  r.avail = 4;
}

// A uniform in the open interval (0, 1) with 53 random bits, so log(u) is always finite.
HG_HD double rng_uniform(PathRng& r) {
  if (r.avail < 2) rng_next_block(r);
  const uint64_t hi = r.buf[4 - r.avail], lo = r.buf[5 - r.avail];
  r.avail -= 2;
  const uint64_t bits = ((hi << 32) | lo) >> 11;
  return (static_cast<double>(bits) + 0.5) * (1.0 / 9007199254740992.0);
}

// A uniform in (0, 1) with 32 random bits: enough for choosing among a few event types.
HG_HD double rng_uniform32(PathRng& r) {
  if (r.avail < 1) rng_next_block(r);
  const uint32_t w = r.buf[4 - r.avail];
  r.avail -= 1;
  return (static_cast<double>(w) + 0.5) * (1.0 / 4294967296.0);
}

// ---- The model as flat tables (host or device pointers) -----------------------------------------

struct HawkesTables {
  int dims;        // D
  int comps;       // C: D (one beta per excited dimension) or D * D (full beta matrix)
  int groups;      // G: distinct decay rates among the components
  double mu_total;
  const double* mu;              // [D]
  const double* mu_cdf;          // [D] cumulative mu / mu_total, last entry exactly 1
  const int* comp_group;         // [C]
  const int* comp_dim;           // [C] the dimension a component excites
  const int* dim_comp_begin;     // [D + 1] components of dimension k: [begin[k], begin[k+1])
  const int* group_comp_begin;   // [G + 1] group g's components: group_comps[begin[g] .. begin[g+1])
  const int* group_comps;        // [C]
  const double* group_beta;      // [G]
  // The amplitude an event of type l adds: entries [exc_begin[l], exc_begin[l+1]).
  const int* exc_begin;          // [D + 1]
  const int* exc_comp;           // [E]
  const double* exc_alpha;       // [E]
  // The amplitudes as a dense [D x C] table (row l: what an event of type l adds to each
  // component), or null when C > kDenseComps: a contiguous loop the compiler vectorises.
  const double* exc_dense;
  // The same mass summed per decay group: entries [mass_begin[l], mass_begin[l+1]).
  const int* mass_begin;         // [D + 1]
  const int* mass_group;         // [M]
  const double* mass_g;          // [M] expected offspring in the group, sum of alpha / beta
  const double* mass_q;          // [M] exp(-mass_g): the chance the new mass never fires
  const double* mass_inv_q;      // [M] 1 / mass_q
};

// Everything a path carries between events. y, next and decay point into caller storage of
// C, G and G doubles (registers/local memory on the GPU, a per-thread arena on the CPU).
struct PathState {
  double t;          // time of the last event (or 0)
  double next_base;  // absolute time of the next immigrant (baseline) event
  double* y;         // [C] amplitude of each component at time t
  double* next;      // [G] absolute time of the next arrival from each group's mass (exact)
  double* decay;     // [G] scratch
};

constexpr double kNever = 1e300;
constexpr int kDenseComps = 64;

// log1p with one log(): exact to a few ulp (Goldberg's correction), and much cheaper than a
// libm log1p on the CPU.
HG_HD double fast_log1p(double x) {
  const double u = 1.0 + x;
  if (u == 1.0) return x;
  return log(u) * (x / (u - 1.0));
}

template <class Rng>
HG_HD double exponential(Rng& r, double rate) { return -log(rng_uniform(r)) / rate; }

// First arrival of an inhomogeneous Poisson process with intensity y * exp(-beta * s), s > 0, or
// kNever: it fires at all with probability 1 - exp(-y / beta) (its total mass), which an Exp(1)
// draw E below y / beta decides without an exp(); then E = (y / beta)(1 - exp(-beta s)).
template <class Rng>
HG_HD double decaying_first_arrival(Rng& r, double y, double beta) {
  const double e = -log(rng_uniform(r));
  const double mass = y / beta;
  if (!(e < mass)) return kNever;
  return -fast_log1p(-e / mass) / beta;
}

template <int N = 0, bool G1 = false, class Rng>
HG_HD void hawkes_init(const HawkesTables& m, PathState& s, Rng& r) {
  s.t = 0.0;
  for (int c = 0; c < (N > 0 ? N : m.comps); ++c) s.y[c] = 0.0;
  for (int g = 0; g < (G1 ? 1 : m.groups); ++g) s.next[g] = kNever;
  s.next_base = m.mu_total > 0.0 ? exponential(r, m.mu_total) : kNever;
}

// N > 0: the component count known at compile time (the CPU instantiates the common sizes so
// the loops over components unroll and vectorise); N = 0: read from the tables.
template <int N>
HG_HD int comp_count(const HawkesTables& m) {
  return N > 0 ? N : m.comps;
}

// G1: the model is known at compile time to have a single decay group (the common one-beta
// case), so no component is ever indexed at run time and, on the GPU, the amplitudes can live
// in registers.
template <int N = 0, bool G1 = false>
HG_HD void decay_to(const HawkesTables& m, PathState& s, double t) {
  const double dt = t - s.t;
  const int C = comp_count<N>(m);
  double* __restrict__ y = s.y;
  if (G1 || m.groups == 1) {
    const double f = exp(-m.group_beta[0] * dt);
    s.decay[0] = f;
    for (int c = 0; c < C; ++c) y[c] *= f;
  } else {
    for (int g = 0; g < m.groups; ++g) s.decay[g] = exp(-m.group_beta[g] * dt);
    for (int c = 0; c < C; ++c) y[c] *= s.decay[m.comp_group[c]];
  }
  s.t = t;
}

HG_HD double dim_intensity(const HawkesTables& m, const PathState& s, int k) {
  if (m.comps == m.dims) return m.mu[k] + s.y[k];  // one component per dimension
  double lam = m.mu[k];
  for (int c = m.dim_comp_begin[k]; c < m.dim_comp_begin[k + 1]; ++c) lam += s.y[c];
  return lam;
}

// Picks the dimension whose cumulative intensity first exceeds x (x uniform on [0, total)).
HG_HD int pick_dimension(const HawkesTables& m, const PathState& s, double x) {
  double acc = 0.0;
  for (int k = 0; k < m.dims - 1; ++k) {
    acc += dim_intensity(m, s, k);
    if (x < acc) return k;
  }
  return m.dims - 1;
}

// Branch-free: the winner is random, so a scan with an early exit mispredicts about once a call.
HG_HD int pick_immigrant(const HawkesTables& m, double u) {
  int k = 0;
  for (int i = 0; i < m.dims - 1; ++i) k += u >= m.mu_cdf[i] ? 1 : 0;
  return k;
}

// Adds the amplitude an event of type l brings. With the exact method the new mass of each
// decay group also gets its first arrival, merged into the group's pending one (superposition
// of independent Poisson processes: the earlier wins and the later stays valid, by
// memorylessness of the conditioning "no arrival yet"). One uniform serves every group that
// does not fire: u < q given no fire is uniform on (0, q), so u / q is a fresh uniform.
// redraw_group (or -1) is the group whose clock just fired: its remaining mass redraw_mass and
// the new mass are one Poisson process from now on, so it gets a single fresh first arrival.
template <int N = 0, bool G1 = false, class Rng>
HG_HD void add_excitation(const HawkesTables& m, PathState& s, Rng& r, int l, bool exact, int redraw_group = -1,
                          double redraw_mass = 0.0) {
  if (N > 0 || m.exc_dense != nullptr) {  // N > 0 only for C <= kDenseComps: the table exists
    const int C = comp_count<N>(m);
    const double* __restrict__ add = m.exc_dense + static_cast<size_t>(l) * C;
    double* __restrict__ y = s.y;
    for (int c = 0; c < C; ++c) y[c] += add[c];
  } else {
    for (int e = m.exc_begin[l]; e < m.exc_begin[l + 1]; ++e) s.y[m.exc_comp[e]] += m.exc_alpha[e];
  }
  if (!exact) return;
  double u = -1.0;  // drawn when first needed
  for (int e = m.mass_begin[l]; e < m.mass_begin[l + 1]; ++e) {
    const int grp = G1 ? 0 : m.mass_group[e];
    if (grp == redraw_group) {
      redraw_mass += m.mass_g[e] * m.group_beta[grp];
      continue;
    }
    if (u < 0.0) u = rng_uniform(r);
    if (u < m.mass_q[e]) {
      u *= m.mass_inv_q[e];
      continue;
    }
    // It fires: the new mass holds n >= 1 points (Poisson(g) given n >= 1, by inversion from
    // u), each Exp(beta) after now, so its first arrival is Exp(n beta): one log instead of
    // inverting the first-arrival law (two). Where u falls inside P(n) is a fresh uniform.
    const double g = m.mass_g[e];
    double p = m.mass_q[e], below = p;
    int n = 0;
    do {
      ++n;
      p *= g / n;
      below += p;
    } while (u >= below && n < 100000);
    const double v = p > 0.0 ? (below - u) / p : rng_uniform(r);  // uniform on (0, 1]
    const double arrival = s.t - log(v > 0.0 ? v : 1e-300) / (n * m.group_beta[grp]);
    if (arrival < s.next[grp]) s.next[grp] = arrival;
    u = -1.0;
  }
  if (redraw_group >= 0) {
    const int g = G1 ? 0 : redraw_group;
    s.next[g] = s.t + decaying_first_arrival(r, redraw_mass, m.group_beta[g]);
  }
}

// The exact method: the next event is the earliest of the immigrant clock and each decay
// group's pending arrival. Within a group every amplitude decays at the same rate, so the
// arrival belongs to component c with probability y_c / sum(y in group), fixed between events.
// Only the clock that fired is redrawn. It comes in two halves for a caller that decides from an
// event's type whether it happens (a backtest's book rules some out, and those do not excite):
// exact_next moves the state to the next event and returns its type (or -1 when it falls after
// end_time; the state then stays at the last event), exact_commit then adds the event's
// excitation, or only redraws the clock that fired.
struct ExactPending {
  int fired;     // the decay group whose clock fired, -1: the immigrant clock
  double total;  // that group's amplitude at the event
};

template <int N = 0, bool G1 = false, class Rng>
HG_HD int exact_next(const HawkesTables& m, PathState& s, Rng& r, double end_time, ExactPending& pending) {
  double best = s.next_base;
  int fired = -1;
  for (int g = 0; g < (G1 ? 1 : m.groups); ++g) {
    const double v = s.next[g];
    const bool earlier = v < best;  // conditional moves: which clock wins is random
    fired = earlier ? g : fired;
    best = earlier ? v : best;
  }
  if (!(best <= end_time)) return -1;
  decay_to<N, G1>(m, s, best);
  pending.fired = fired;
  pending.total = 0.0;
  if (fired < 0) {
    const int type = pick_immigrant(m, rng_uniform32(r));
    s.next_base = best + exponential(r, m.mu_total);
    return type;
  }
  int c;
  double total = 0.0;
  if (G1 || m.groups == 1) {
    // Every component is in the one group, in order.
    const int C = comp_count<N>(m);
    const double* __restrict__ y = s.y;
    for (int i = 0; i < C; ++i) total += y[i];
    const double x = rng_uniform32(r) * total;
    double acc = 0.0;
    int idx = 0;
    for (int i = 0; i < C - 1; ++i) {
      acc += y[i];
      idx += x >= acc ? 1 : 0;
    }
    c = idx;
  } else {
    const int begin = m.group_comp_begin[fired], end = m.group_comp_begin[fired + 1];
    const int* __restrict__ members = m.group_comps + begin;
    const int size = end - begin;
    for (int i = 0; i < size; ++i) total += s.y[members[i]];
    c = members[0];
    if (size > 1) {
      // Branch-free inverse CDF over the group's amplitudes (counts the prefix sums <= x).
      const double x = rng_uniform32(r) * total;
      double acc = 0.0;
      int idx = 0;
      for (int i = 0; i < size - 1; ++i) {
        acc += s.y[members[i]];
        idx += x >= acc ? 1 : 0;
      }
      c = members[idx];
    }
  }
  pending.total = total;
  return m.comp_dim[c];
}

// Given its first arrival is now, the fired group's remaining mass is again a Poisson process:
// add_excitation redraws it together with the mass the event adds; without the event, alone.
template <int N = 0, bool G1 = false, class Rng>
HG_HD void exact_commit(const HawkesTables& m, PathState& s, Rng& r, int type, bool excite, const ExactPending& pending) {
  if (excite) {
    add_excitation<N, G1>(m, s, r, type, true, pending.fired, pending.total);
  } else if (pending.fired >= 0) {
    const int g = G1 ? 0 : pending.fired;
    s.next[g] = s.t + decaying_first_arrival(r, pending.total, m.group_beta[g]);
  }
}

// *lambda_out gets the intensity of the event's type just before it.
template <int N = 0, bool G1 = false, class Rng>
HG_HD int exact_step(const HawkesTables& m, PathState& s, Rng& r, double end_time, double* lambda_out) {
  ExactPending pending;
  const int type = exact_next<N, G1>(m, s, r, end_time, pending);
  if (type < 0) return -1;
  *lambda_out = dim_intensity(m, s, type);
  exact_commit<N, G1>(m, s, r, type, true, pending);
  return type;
}

// An event caused from outside the process (a backtest agent's order) at time t >= s.t: its
// excitation joins the state like an event of the process's own. exact: the state runs the
// exact method (the new mass gets its first arrival), else thinning.
template <int N = 0, bool G1 = false, class Rng>
HG_HD void excite_at(const HawkesTables& m, PathState& s, Rng& r, int type, double t, bool exact) {
  decay_to<N, G1>(m, s, t);
  add_excitation<N, G1>(m, s, r, type, exact);
}

// Ogata's thinning (the reference): candidates from a Poisson clock at the current total
// intensity, which bounds the intensity until the next event because it only decays between
// events; accepted with probability lambda(t) / bound.
template <int N = 0, bool G1 = false, class Rng>
HG_HD int thinning_step(const HawkesTables& m, PathState& s, Rng& r, double end_time, double* lambda_out) {
  const int C = comp_count<N>(m);
  double bound = m.mu_total;
  for (int c = 0; c < C; ++c) bound += s.y[c];
  for (;;) {
    if (!(bound > 0.0)) return -1;
    const double cand = s.t + exponential(r, bound);
    if (!(cand <= end_time)) return -1;
    decay_to<N, G1>(m, s, cand);
    double lam = m.mu_total;
    for (int c = 0; c < C; ++c) lam += s.y[c];
    const double x = rng_uniform(r) * bound;
    if (x < lam) {  // x is then uniform on [0, lam): it also picks the type
      const int type = pick_dimension(m, s, x);
      *lambda_out = dim_intensity(m, s, type);
      add_excitation<N, G1>(m, s, r, type, false);
      return type;
    }
    bound = lam;
  }
}

// ---- The 8-event LOB model ----------------------------------------------------------------------

enum LobEvent { MAb = 0, MAs, LAb, LAs, CAb, CAs, MNb, MNs };

struct LobTables {
  const double* jump_location;  // [8] ticks
  const double* jump_scale;     // [8] ticks
};

// Applies an event to the book (prices in integer ticks) and returns the jump it moved a price by
// (0 for MNb/MNs and for an aggressive limit order when the spread is one tick).
template <class Rng>
HG_HD int64_t lob_apply(const LobTables& lob, Rng& r, int type, int64_t& bid, int64_t& ask) {
  if (type >= MNb) return 0;
  const double raw = lob.jump_location[type] + lob.jump_scale[type] * -log(rng_uniform(r));
  int64_t j = static_cast<int64_t>(floor(raw + 0.5));
  if (j < 1) j = 1;
  const int64_t room = ask - bid - 1;
  switch (type) {
    case MAb: ask += j; break;
    case MAs: bid -= j; break;
    case LAb: j = j < room ? j : room; bid += j; break;
    case LAs: j = j < room ? j : room; ask -= j; break;
    case CAb: bid -= j; break;
    default: ask += j; break;  // CAs
  }
  return j;
}

}  // namespace hawkgraph::hawkes
