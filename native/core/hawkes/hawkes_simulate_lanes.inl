// The body of the vector exact simulators (hawkes_simulate_avx512.cpp, hawkes_simulate_avx2.cpp):
// the exact method (hawkes_step.hpp) on kLanes paths at once, one per vector lane, for models with
// one decay rate per excited dimension (the 8-event LOB model among them), D up to 64.
//
// Each lane runs its own path through the same arithmetic, in the same order, as the scalar
// exact_step/lob_apply, and draws the same Philox words (same counters, same consumption rule),
// so a path's events equal the scalar driver's up to this file's exp/log (fdlibm's algorithms):
// they differ from glibc's by at most 1 ulp (exp on about 10% of arguments, log on 2.5%), which
// moves later event times by a few ulps and, rarely, flips a comparison. Branches become lane
// masks: which clock fires, the event type and the jump are random, and a scalar loop
// mispredicts on them every few events. The including file compiles with -ffp-contract=off, so
// no multiply-add is fused where the scalar code rounds twice.
//
// Included inside namespace hawkgraph::hawkes::{anonymous} after the ISA's lane primitives
// (hawkes_lanes_avx512.inl or hawkes_lanes_avx2.inl): kLanes, kLaneShift, Vd, Vi, Mask, the vx_*
// operations named after their AVX-512 intrinsics, vx_lane_ids() and table_lookup().

constexpr int kMaxDims = 64;  // HawkesModel's bound

inline Vd splat(double v) { return vx_set1_pd(v); }
inline Vd neg(Vd v) { return vx_xor_pd(v, vx_set1_pd(-0.0)); }
inline Vi splat_i(int64_t v) { return vx_set1_epi64(v); }

// ---- exp and log on every lane (fdlibm e_exp.c and e_log.c) ---------------------------------------

inline Vd exp_lanes(Vd x) {
  // exp(x) underflows to 0 below -745; the clamp keeps k and k * ln2 exact for any input.
  x = vx_max_pd(x, splat(-1000.0));
  const Vd k = vx_roundscale_pd(vx_mul_pd(x, splat(1.44269504088896338700e+00)),
                                    _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
  const Vd hi = vx_sub_pd(x, vx_mul_pd(k, splat(6.93147180369123816490e-01)));
  const Vd lo = vx_mul_pd(k, splat(1.90821492927058770002e-10));
  const Vd r = vx_sub_pd(hi, lo);
  const Vd t = vx_mul_pd(r, r);
  Vd p = vx_fmadd_pd(t, splat(4.13813679705723846039e-08), splat(-1.65339022054652515390e-06));
  p = vx_fmadd_pd(t, p, splat(6.61375632143793436117e-05));
  p = vx_fmadd_pd(t, p, splat(-2.77777777770155933842e-03));
  p = vx_fmadd_pd(t, p, splat(1.66666666666666019037e-01));
  const Vd c = vx_fnmadd_pd(t, p, r);  // r - t * p
  const Vd rc = vx_div_pd(vx_mul_pd(r, c), vx_sub_pd(splat(2.0), c));
  const Vd y = vx_sub_pd(splat(1.0), vx_sub_pd(vx_sub_pd(lo, rc), hi));
  return vx_scalef_pd(y, k);
}

// For positive, finite, normal x (the uniforms and ratios this file takes logs of).
inline Vd log_lanes(Vd x) {
  Vd m = vx_maskz_getmant_pd(0xff, x, _MM_MANT_NORM_1_2, _MM_MANT_SIGN_zero);  // [1, 2)
  Vd k = vx_getexp_pd(x);
  // Keep 1 + f within [sqrt(2)/2, sqrt(2)), where the polynomial is fitted.
  const Mask big = vx_cmp_pd_mask(m, splat(1.41421356237309504880), _CMP_GT_OQ);
  m = vx_mask_mul_pd(m, big, m, splat(0.5));
  k = vx_mask_add_pd(k, big, k, splat(1.0));
  const Vd f = vx_sub_pd(m, splat(1.0));
  const Vd s = vx_div_pd(f, vx_add_pd(splat(2.0), f));
  const Vd z = vx_mul_pd(s, s);
  const Vd w = vx_mul_pd(z, z);
  Vd t1 = vx_fmadd_pd(w, splat(1.531383769920937332e-01), splat(2.222219843214978396e-01));
  t1 = vx_fmadd_pd(w, t1, splat(3.999999999940941908e-01));
  t1 = vx_mul_pd(w, t1);
  Vd t2 = vx_fmadd_pd(w, splat(1.479819860511658591e-01), splat(1.818357216161805012e-01));
  t2 = vx_fmadd_pd(w, t2, splat(2.857142874366239149e-01));
  t2 = vx_fmadd_pd(w, t2, splat(6.666666666666735130e-01));
  t2 = vx_mul_pd(z, t2);
  const Vd R = vx_add_pd(t2, t1);
  const Vd hfsq = vx_mul_pd(vx_mul_pd(splat(0.5), f), f);
  // k * ln2_hi - ((hfsq - (s * (hfsq + R) + k * ln2_lo)) - f)
  const Vd inner = vx_fmadd_pd(s, vx_add_pd(hfsq, R), vx_mul_pd(k, splat(1.90821492927058770002e-10)));
  return vx_sub_pd(vx_mul_pd(k, splat(6.93147180369123816490e-01)), vx_sub_pd(vx_sub_pd(hfsq, inner), f));
}

// hawkes_step.hpp's fast_log1p, lane by lane.
inline Vd log1p_lanes(Vd x) {
  const Vd u = vx_add_pd(splat(1.0), x);
  const Mask one = vx_cmp_pd_mask(u, splat(1.0), _CMP_EQ_OQ);
  const Vd safe_u = vx_mask_mov_pd(u, one, splat(2.0));
  const Vd r = vx_mul_pd(log_lanes(safe_u), vx_div_pd(x, vx_sub_pd(safe_u, splat(1.0))));
  return vx_mask_mov_pd(r, one, x);
}

// ---- Philox streams, one per lane -----------------------------------------------------------------

// Lane i reads path i's stream from a ring of kWords words, word w at buf[w % kWords][i]. A
// lane's words are its blocks 0, 1, 2, ... in order, read under PathRng's rule, so they are the
// numbers the scalar driver draws. A refill appends the next block to every lane with room, so
// one Philox pass over every lane serves all of them instead of the one that ran dry.
struct LaneRng {
  static constexpr int kWords = 32;  // a multiple of 4: blocks never straddle the wrap
  alignas(64) uint64_t buf[kWords][kLanes];
  Vi read;     // words read (the next word's index before the wrap)
  Vi written;  // words written: 4 * the next block's counter
  Vi path_lo, path_hi;
  uint32_t k0 = 0, k1 = 0;
};

inline Vi lo32(Vi v) { return vx_and_si512(v, splat_i(0xffffffffLL)); }

// Index of word `w` of every lane in buf, for gathers and scatters of 8-byte elements.
inline Vi ring_index(Vi w) {
  return vx_add_epi64(vx_slli_epi64(vx_and_si512(w, splat_i(LaneRng::kWords - 1)), kLaneShift), vx_lane_ids());
}

void rng_refill(LaneRng& r) {
  const Mask room = vx_cmple_epi64_mask(vx_sub_epi64(r.written, r.read), splat_i(LaneRng::kWords - 4));
  const Vi ctr = vx_srli_epi64(r.written, 2);
  Vi c0 = lo32(ctr), c1 = vx_srli_epi64(ctr, 32), c2 = r.path_lo, c3 = r.path_hi;
  uint32_t k0 = r.k0, k1 = r.k1;
  for (int round = 0; round < 10; ++round) {
    const Vi p0 = vx_mul_epu32(c0, splat_i(0xD2511F53LL));
    const Vi p1 = vx_mul_epu32(c2, splat_i(0xCD9E8D57LL));
    const Vi n0 = vx_xor_si512(vx_xor_si512(vx_srli_epi64(p1, 32), c1), splat_i(k0));
    const Vi n2 = vx_xor_si512(vx_xor_si512(vx_srli_epi64(p0, 32), c3), splat_i(k1));
    c1 = lo32(p1);
    c3 = lo32(p0);
    c0 = n0;
    c2 = n2;
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
  uint64_t* base = &r.buf[0][0];
  vx_mask_i64scatter_epi64(base, room, ring_index(r.written), c0, 8);
  vx_mask_i64scatter_epi64(base, room, ring_index(vx_add_epi64(r.written, splat_i(1))), c1, 8);
  vx_mask_i64scatter_epi64(base, room, ring_index(vx_add_epi64(r.written, splat_i(2))), c2, 8);
  vx_mask_i64scatter_epi64(base, room, ring_index(vx_add_epi64(r.written, splat_i(3))), c3, 8);
  r.written = vx_mask_add_epi64(r.written, room, r.written, splat_i(4));
}

// Refills until every lane in `lanes` has `words` unread words.
inline void rng_ensure(LaneRng& r, Mask lanes, int words) {
  while (vx_mask_cmplt_epi64_mask(lanes, vx_sub_epi64(r.written, r.read), splat_i(words))) rng_refill(r);
}

inline Vi read_word(const LaneRng& r, Mask lanes, Vi w) {
  return vx_mask_i64gather_epi64(vx_setzero_si512(), lanes, ring_index(w), &r.buf[0][0], 8);
}

// rng_uniform for the lanes in `lanes`: two words of one block, a lone last word skipped.
inline Vd uniform53(LaneRng& r, Mask lanes) {
  const Vi skip = vx_srli_epi64(vx_add_epi64(vx_and_si512(r.read, splat_i(3)), splat_i(1)), 2);
  r.read = vx_mask_add_epi64(r.read, lanes, r.read, skip);
  rng_ensure(r, lanes, 2);
  const Vi hi = read_word(r, lanes, r.read);
  const Vi lo = read_word(r, lanes, vx_add_epi64(r.read, splat_i(1)));
  r.read = vx_mask_add_epi64(r.read, lanes, r.read, splat_i(2));
  const Vi bits = vx_srli_epi64(vx_or_si512(vx_slli_epi64(hi, 32), lo), 11);
  return vx_mul_pd(vx_add_pd(vx_cvtepu64_pd(bits), splat(0.5)), splat(1.0 / 9007199254740992.0));
}

// rng_uniform32 for the lanes in `lanes`.
inline Vd uniform32(LaneRng& r, Mask lanes) {
  rng_ensure(r, lanes, 1);
  const Vi w = read_word(r, lanes, r.read);
  r.read = vx_mask_add_epi64(r.read, lanes, r.read, splat_i(1));
  return vx_mul_pd(vx_add_pd(vx_cvtepu64_pd(w), splat(0.5)), splat(1.0 / 4294967296.0));
}

// ---- the model as lane tables ---------------------------------------------------------------------

// A table indexed by a per-lane value below 64 (an event type or a decay group), read with the
// ISA's table_lookup (a permute where it fits a register, else a gather). Indices are masked to
// 0..63, so the lanes whose index means nothing (an immigrant's fired group, -1) read a harmless
// entry.
template <typename T>
struct LaneTable {
  alignas(64) T v[kMaxDims];
  int size = 0;

  void fill(const T* values, int n, T pad) {
    size = n;
    for (int i = 0; i < kMaxDims; ++i) v[i] = i < n ? values[i] : pad;
  }
  auto operator()(Vi index) const { return table_lookup(v, size, vx_and_si512(index, splat_i(kMaxDims - 1))); }
};

struct LaneTables {
  int dims, groups, max_entries;
  double mu_total;
  double mu_cdf[kMaxDims];
  LaneTable<double> mu;                // [type]
  LaneTable<double> group_beta;        // [group]
  Vd neg_group_beta[kMaxDims];         // -beta of group g in every lane
  LaneTable<int64_t> group_multi;      // [group] 1 when the group has more than one component
  int comp_group[kMaxDims];
  LaneTable<double> exc[kMaxDims];     // exc[c][type]: the amplitude an event of `type` adds to c
  // Mass entry i of each type (hawkes_step.hpp add_excitation), padded with len = 0.
  LaneTable<int64_t> entry_len;        // [type]
  LaneTable<int64_t> entry_group[kMaxDims];  // [i][type]
  LaneTable<double> entry_g[kMaxDims], entry_q[kMaxDims], entry_inv_q[kMaxDims];
  // The components in group order, for the pick within the group that fired.
  int order_comp[kMaxDims], order_group[kMaxDims], order_rank[kMaxDims];
  bool order_last[kMaxDims];
  LaneTable<double> jump_location, jump_scale;  // [type], LOB only
};

// Fills only the tables this model uses (a full LaneTables is about 200 KiB).
void fill_lane_tables(LaneTables& t, const HawkesTables& m, const SimulateOptions& opt) {
  const int D = m.dims, G = m.groups;
  t.dims = D;
  t.groups = G;
  t.mu_total = m.mu_total;
  for (int k = 0; k < D; ++k) t.mu_cdf[k] = m.mu_cdf[k];
  t.mu.fill(m.mu, D, 0.0);
  t.group_beta.fill(m.group_beta, G, 1.0);
  int64_t multi[kMaxDims] = {};
  for (int g = 0; g < G; ++g) {
    t.neg_group_beta[g] = splat(-m.group_beta[g]);
    multi[g] = m.group_comp_begin[g + 1] - m.group_comp_begin[g] > 1 ? 1 : 0;
  }
  t.group_multi.fill(multi, G, 0);
  for (int c = 0; c < D; ++c) {
    t.comp_group[c] = m.comp_group[c];
    double col[kMaxDims];
    for (int l = 0; l < D; ++l) col[l] = m.exc_dense[static_cast<size_t>(l) * D + c];
    t.exc[c].fill(col, D, 0.0);
  }
  int64_t len[kMaxDims] = {};
  t.max_entries = 0;
  for (int i = 0; i < G; ++i) {
    int64_t grp[kMaxDims] = {};
    double g[kMaxDims] = {}, q[kMaxDims] = {}, inv_q[kMaxDims] = {};
    for (int l = 0; l < D; ++l) {
      const int e = m.mass_begin[l] + i;
      if (e >= m.mass_begin[l + 1]) continue;
      grp[l] = m.mass_group[e];
      g[l] = m.mass_g[e];
      q[l] = m.mass_q[e];
      inv_q[l] = m.mass_inv_q[e];
      len[l] = i + 1;
      t.max_entries = std::max(t.max_entries, i + 1);
    }
    t.entry_group[i].fill(grp, D, 0);
    t.entry_g[i].fill(g, D, 0.0);
    t.entry_q[i].fill(q, D, 0.0);
    t.entry_inv_q[i].fill(inv_q, D, 0.0);
  }
  t.entry_len.fill(len, D, 0);
  for (int g = 0; g < G; ++g) {
    for (int j = m.group_comp_begin[g]; j < m.group_comp_begin[g + 1]; ++j) {
      t.order_comp[j] = m.group_comps[j];
      t.order_group[j] = g;
      t.order_rank[j] = j - m.group_comp_begin[g];
      t.order_last[j] = j + 1 == m.group_comp_begin[g + 1];
    }
  }
  if (opt.lob) {
    t.jump_location.fill(opt.lob->jump_location, 8, 0.0);
    t.jump_scale.fill(opt.lob->jump_scale, 8, 0.0);
  }
}

// ---- kLanes paths in flight ---------------------------------------------------------------------------

struct Lanes {
  LaneRng rng;
  Vd t, next_base, last, gap_sum, gap_sq;
  Vd y[kMaxDims], next[kMaxDims], counts[kMaxDims];
  Vi n, bid, ask;
  Mask live = 0;
  int64_t path[kLanes];
  PathEvents* out[kLanes];
};

inline double lane_of(Vd v, int i) {
  alignas(64) double a[kLanes];
  vx_store_pd(a, v);
  return a[i];
}

inline int64_t lane_of(Vi v, int i) {
  alignas(64) int64_t a[kLanes];
  vx_store_si512(a, v);
  return a[i];
}

class BlockSimulator {
 public:
  BlockSimulator(const BlockRun& run, EventArena& arena, int64_t first, int64_t end, double* rows)
      : run_(run),
        arena_(arena),
        opt_(run.opt),
        m_(run.model.tables()),
        tables_(new LaneTables),  // not value-initialised: fill_lane_tables writes what is read
        tab_(*tables_),
        first_(first),
        end_(end),
        rows_(rows) {
    fill_lane_tables(*tables_, m_, opt_);
  }

  bool simulate() {
    const bool lob = opt_.lob != nullptr, store = !opt_.stats_only;
    if (m_.groups == 1) {
      if (lob) return store ? loop<true, true, true>() : loop<true, true, false>();
      return store ? loop<true, false, true>() : loop<true, false, false>();
    }
    if (lob) return store ? loop<false, true, true>() : loop<false, true, false>();
    return store ? loop<false, false, true>() : loop<false, false, false>();
  }

 private:
  const BlockRun& run_;
  EventArena& arena_;
  const SimulateOptions& opt_;
  const HawkesTables& m_;
  const std::unique_ptr<LaneTables> tables_;
  const LaneTables& tab_;
  const int64_t first_, end_;
  double* rows_;
  int64_t next_path_ = 0;
  int64_t paths_unreported_ = 0;  // finished paths not yet added to control->paths_done
  Lanes L_;

  void start(int i, int64_t p) {
    const Mask lane = static_cast<Mask>(1u << i);
    Lanes& s = L_;
    s.path[i] = p;
    s.out[i] = opt_.stats_only ? nullptr : &run_.events[p];
    const uint64_t counter = static_cast<uint64_t>(opt_.first_path + p);  // the path's index in the whole run
    s.rng.path_lo = vx_mask_mov_epi64(s.rng.path_lo, lane, splat_i(static_cast<uint32_t>(counter)));
    s.rng.path_hi = vx_mask_mov_epi64(s.rng.path_hi, lane, splat_i(static_cast<uint32_t>(counter >> 32)));
    s.rng.read = vx_mask_mov_epi64(s.rng.read, lane, vx_setzero_si512());
    s.rng.written = vx_mask_mov_epi64(s.rng.written, lane, vx_setzero_si512());
    const Vd zero = vx_setzero_pd();
    s.t = vx_mask_mov_pd(s.t, lane, zero);
    for (int c = 0; c < tab_.dims; ++c) {
      s.y[c] = vx_mask_mov_pd(s.y[c], lane, zero);
      s.counts[c] = vx_mask_mov_pd(s.counts[c], lane, zero);
    }
    for (int g = 0; g < tab_.groups; ++g) s.next[g] = vx_mask_mov_pd(s.next[g], lane, splat(kNever));
    // hawkes_init: the first immigrant.
    Vd base = splat(kNever);
    if (tab_.mu_total > 0.0) {
      base = vx_div_pd(neg(log_lanes(uniform53(s.rng, lane))), splat(tab_.mu_total));
    }
    s.next_base = vx_mask_mov_pd(s.next_base, lane, base);
    s.last = vx_mask_mov_pd(s.last, lane, zero);
    s.gap_sum = vx_mask_mov_pd(s.gap_sum, lane, zero);
    s.gap_sq = vx_mask_mov_pd(s.gap_sq, lane, zero);
    s.n = vx_mask_mov_epi64(s.n, lane, vx_setzero_si512());
    s.bid = vx_mask_mov_epi64(s.bid, lane, splat_i(opt_.lob ? opt_.lob->initial_bid : 0));
    s.ask = vx_mask_mov_epi64(s.ask, lane, splat_i(opt_.lob ? opt_.lob->initial_ask : 0));
    s.live |= lane;
  }

  // Ends lane i's path: its statistics row, then the next path of the block (or the lane idles).
  void finish(int i) {
    Lanes& s = L_;
    double y[kMaxDims], next[kMaxDims], decay[kMaxDims], counts[kMaxDims];
    for (int c = 0; c < tab_.dims; ++c) {
      y[c] = lane_of(s.y[c], i);
      counts[c] = lane_of(s.counts[c], i);
    }
    PathState state{lane_of(s.t, i), 0.0, y, next, decay};
    PathTally tally;
    tally.n = lane_of(s.n, i);
    tally.gap_sum = lane_of(s.gap_sum, i);
    tally.gap_sq = lane_of(s.gap_sq, i);
    tally.bid = lane_of(s.bid, i);
    tally.ask = lane_of(s.ask, i);
    if (s.out[i] != nullptr && tally.n >= opt_.max_events) s.out[i]->truncated = true;
    write_stats_row(m_, opt_, state, tally, counts, rows_ + (s.path[i] - first_) * stats_row_width(tab_.dims));
    ++paths_unreported_;
    s.live &= static_cast<Mask>(~(1u << i));
    if (next_path_ < end_) start(i, next_path_++);
  }

  void finish_lanes(Mask lanes) {
    for (int i = 0; i < kLanes; ++i) {
      if (lanes & (1u << i)) finish(i);
    }
  }

  // Progress goes to the shared counters in batches: an atomic add per path or event stalls on
  // the stores before it.
  void report(int64_t events) {
    run_.control->events_done.fetch_add(events, std::memory_order_relaxed);
    run_.control->paths_done.fetch_add(paths_unreported_, std::memory_order_relaxed);
    paths_unreported_ = 0;
  }

  template <bool G1, bool Lob, bool Store>
  bool loop() {
    Lanes& s = L_;
    s.rng.k0 = static_cast<uint32_t>(opt_.seed);
    s.rng.k1 = static_cast<uint32_t>(opt_.seed >> 32);
    s.rng.read = s.rng.written = s.rng.path_lo = s.rng.path_hi = vx_setzero_si512();
    s.n = s.bid = s.ask = vx_setzero_si512();
    s.t = s.next_base = s.last = s.gap_sum = s.gap_sq = vx_setzero_pd();
    for (int c = 0; c < kMaxDims; ++c) s.y[c] = s.next[c] = s.counts[c] = vx_setzero_pd();
    next_path_ = first_;
    for (int i = 0; i < kLanes && next_path_ < end_; ++i) start(i, next_path_++);
    SimulateControl* control = run_.control;
    int64_t unreported = 0;
    while (s.live) {
      const Mask go = step<G1, Lob, Store>();
      const int events = __builtin_popcount(go);
      unreported += events;
      if (unreported >= kCancelPollEvents && control) {
        report(unreported);
        unreported = 0;
        if (control->cancel.load(std::memory_order_relaxed)) return false;
      }
    }
    if (control) report(unreported);
    return true;
  }

  // One event on every live lane whose next event falls before end_time; lanes whose path ends
  // are finished and restarted. Returns the lanes that produced an event.
  template <bool G1, bool Lob, bool Store>
  Mask step() {
    Lanes& s = L_;
    const LaneTables& tb = tab_;
    const int D = tb.dims;
    // exact_step: the earliest of the immigrant clock and each group's pending arrival.
    Vd best = s.next_base;
    Vi fired = splat_i(-1);
    for (int g = 0; g < (G1 ? 1 : tb.groups); ++g) {
      const Mask earlier = vx_cmp_pd_mask(s.next[g], best, _CMP_LT_OQ);
      fired = vx_mask_mov_epi64(fired, earlier, splat_i(g));
      best = vx_mask_mov_pd(best, earlier, s.next[g]);
    }
    const Mask go = vx_mask_cmp_pd_mask(s.live, best, splat(opt_.end_time), _CMP_LE_OQ);
    if (go != s.live) {
      finish_lanes(s.live & static_cast<Mask>(~go));
      return 0;
    }
    // decay_to
    const Vd dt = vx_sub_pd(best, s.t);
    if (G1) {
      const Vd f = exp_lanes(vx_mul_pd(tb.neg_group_beta[0], dt));
      for (int c = 0; c < D; ++c) s.y[c] = vx_mul_pd(s.y[c], f);
    } else {
      Vd f[kMaxDims];
      for (int g = 0; g < tb.groups; ++g) f[g] = exp_lanes(vx_mul_pd(tb.neg_group_beta[g], dt));
      for (int c = 0; c < D; ++c) s.y[c] = vx_mul_pd(s.y[c], f[tb.comp_group[c]]);
    }
    s.t = best;
    const Mask imm = vx_mask_cmpeq_epi64_mask(go, fired, splat_i(-1));
    const Mask exc = go & static_cast<Mask>(~imm);
    // The type: pick_immigrant, or the component of the fired group in proportion to y.
    Mask draw_pick = go;
    if (!G1) draw_pick = imm | vx_mask_cmpneq_epi64_mask(exc, tb.group_multi(fired), vx_setzero_si512());
    const Vd u_pick = uniform32(s.rng, draw_pick);
    Vi type_imm = vx_setzero_si512();
    for (int i = 0; i < D - 1; ++i) {
      const Mask above = vx_cmp_pd_mask(u_pick, splat(tb.mu_cdf[i]), _CMP_GE_OQ);
      type_imm = vx_mask_add_epi64(type_imm, above, type_imm, splat_i(1));
    }
    Vd total = vx_setzero_pd();
    Vi comp;
    if (G1) {
      for (int c = 0; c < D; ++c) total = vx_add_pd(total, s.y[c]);
      const Vd x = vx_mul_pd(u_pick, total);
      Vd acc = vx_setzero_pd();
      comp = vx_setzero_si512();
      for (int c = 0; c < D - 1; ++c) {
        acc = vx_add_pd(acc, s.y[c]);
        const Mask above = vx_cmp_pd_mask(x, acc, _CMP_GE_OQ);
        comp = vx_mask_add_epi64(comp, above, comp, splat_i(1));
      }
    } else {
      Mask member[kMaxDims];
      for (int j = 0; j < D; ++j) {
        member[j] = vx_cmpeq_epi64_mask(fired, splat_i(tb.order_group[j]));
        total = vx_mask_add_pd(total, member[j], total, s.y[tb.order_comp[j]]);
      }
      const Vd x = vx_mul_pd(u_pick, total);
      Vd acc = vx_setzero_pd();
      Vi idx = vx_setzero_si512();
      for (int j = 0; j < D; ++j) {
        if (tb.order_last[j]) continue;
        acc = vx_mask_add_pd(acc, member[j], acc, s.y[tb.order_comp[j]]);
        const Mask above = vx_mask_cmp_pd_mask(member[j], x, acc, _CMP_GE_OQ);
        idx = vx_mask_add_epi64(idx, above, idx, splat_i(1));
      }
      comp = vx_setzero_si512();
      for (int j = 0; j < D; ++j) {
        const Mask pick = vx_mask_cmpeq_epi64_mask(member[j], idx, splat_i(tb.order_rank[j]));
        comp = vx_mask_mov_epi64(comp, pick, splat_i(tb.order_comp[j]));
      }
    }
    const Vi type = vx_mask_mov_epi64(comp, imm, type_imm);  // comps == dims: component c is type c
    // The immigrant clock restarts. With one decay group the lanes of both kinds draw their next
    // number here (the group that fired redraws nothing before its first arrival), so one draw
    // and one log serve the immigrant clock and the group's first arrival.
    Vd e = vx_setzero_pd();
    if (G1) {
      e = neg(log_lanes(uniform53(s.rng, go)));
      s.next_base = vx_mask_add_pd(s.next_base, imm, best, vx_div_pd(e, splat(tb.mu_total)));
    } else if (imm) {
      const Vd e_imm = neg(log_lanes(uniform53(s.rng, imm)));
      s.next_base = vx_mask_add_pd(s.next_base, imm, best, vx_div_pd(e_imm, splat(tb.mu_total)));
    }
    // The intensity of the event's type just before it.
    Vd lambda = vx_setzero_pd();
    if (Store && opt_.intensity) {
      lambda = tb.mu(type);
      for (int c = 0; c < D; ++c) {
        const Mask is = vx_cmpeq_epi64_mask(type, splat_i(c));
        lambda = vx_mask_add_pd(lambda, is, lambda, s.y[c]);
      }
    }
    if (G1) {
      add_excitation_one_group(type, imm, exc, total, e);
    } else {
      add_excitation(type, fired, exc, go, total);
    }
    Vi jump = vx_setzero_si512();
    if (Lob) jump = lob_apply_lanes(type, go);
    // Statistics and events.
    const Vd gap = vx_sub_pd(s.t, s.last);
    const Mask has_gap = vx_mask_cmpgt_epi64_mask(go, s.n, vx_setzero_si512());
    const Vd weight = vx_mask_mov_pd(vx_setzero_pd(), has_gap, splat(1.0));
    const Vd wgap = vx_mul_pd(weight, gap);
    s.gap_sum = vx_add_pd(s.gap_sum, wgap);
    s.gap_sq = vx_add_pd(s.gap_sq, vx_mul_pd(wgap, gap));
    s.last = s.t;
    for (int k = 0; k < D; ++k) {
      const Mask is = vx_cmpeq_epi64_mask(type, splat_i(k));
      s.counts[k] = vx_mask_add_pd(s.counts[k], is, s.counts[k], splat(1.0));
    }
    if (Store) store_events(go, type, lambda, jump);
    s.n = vx_add_epi64(s.n, splat_i(1));
    const Mask full = vx_mask_cmpge_epi64_mask(go, s.n, splat_i(opt_.max_events));
    if (full) finish_lanes(full);
    return go;
  }

  // Where a new mass fires (lanes `fire`; u uniform on [q, 1), q = exp(-g)): its number of points
  // n, Poisson(g) given n >= 1 by inversion from u, and v, uniform on (0, 1] from where u fell in
  // P(n) (a fresh draw where P(n) underflowed), kept at least 1e-300 for the log. Its first point
  // then comes Exp(n beta) after now: -log(v) / (n beta). Other lanes get n = 0 and v = 1.
  void new_mass_points(Mask fire, Vd u, Vd q, Vd g, Vd& n, Vd& v) {
    Vd p = q, below = q;
    n = vx_setzero_pd();
    Mask more = fire;
    while (more) {
      n = vx_mask_add_pd(n, more, n, splat(1.0));
      p = vx_mask_mul_pd(p, more, p, vx_div_pd(g, n));
      below = vx_mask_add_pd(below, more, below, p);
      more = vx_mask_cmp_pd_mask(more, u, below, _CMP_GE_OQ) &
             vx_mask_cmp_pd_mask(more, n, splat(100000.0), _CMP_LT_OQ);
    }
    const Mask positive = vx_mask_cmp_pd_mask(fire, p, vx_setzero_pd(), _CMP_GT_OQ);
    v = vx_mask_div_pd(splat(1.0), fire, vx_sub_pd(below, u), p);
    const Mask fresh = fire & static_cast<Mask>(~positive);
    if (fresh) v = vx_mask_mov_pd(v, fresh, uniform53(L_.rng, fresh));
    v = vx_mask_mov_pd(v, vx_mask_cmp_pd_mask(fire, v, vx_setzero_pd(), _CMP_LE_OQ), splat(1e-300));
  }

  // add_excitation when every component decays at one rate: each type has at most one mass
  // entry, the immigrant lanes' (the fired group's own entry adds to its redraw instead), so the
  // loop over entries disappears, and the arrival of a firing entry and the group's redrawn first
  // arrival (for the lanes the group fired on) share one log. e: -log of each lane's second draw.
  void add_excitation_one_group(Vi type, Mask imm, Mask exc, Vd total, Vd e) {
    Lanes& s = L_;
    const LaneTables& tb = tab_;
    for (int c = 0; c < tb.dims; ++c) s.y[c] = vx_add_pd(s.y[c], tb.exc[c](type));
    const Vd beta = splat(m_.group_beta[0]);
    const Mask has_entry = vx_mask_cmpgt_epi64_mask(imm | exc, tb.entry_len(type), vx_setzero_si512());
    const Vd g = tb.entry_g[0](type);
    const Vd redraw_mass = vx_mask_add_pd(total, has_entry & exc, total, vx_mul_pd(g, beta));
    // Immigrant lanes: does the new mass fire (u >= q), and with how many points?
    const Mask need = has_entry & imm;
    Mask fire = 0;
    Vd n = vx_setzero_pd(), v = splat(1.0);
    if (need) {
      const Vd u = uniform53(s.rng, need);
      const Vd q = tb.entry_q[0](type);
      fire = need & static_cast<Mask>(~vx_mask_cmp_pd_mask(need, u, q, _CMP_LT_OQ));
      if (fire) new_mass_points(fire, u, q, g, n, v);
    }
    // Lanes the group fired on: decaying_first_arrival(redraw_mass, beta) from e, with
    // fast_log1p(x) = log(1 + x) * (x / ((1 + x) - 1)), or x where 1 + x rounds to 1.
    const Vd mass = vx_div_pd(redraw_mass, beta);
    const Mask arrives = vx_mask_cmp_pd_mask(exc, e, mass, _CMP_LT_OQ);
    const Vd x = neg(vx_div_pd(e, mass));
    const Vd one_plus_x = vx_add_pd(splat(1.0), x);
    const Mask tiny = vx_mask_cmp_pd_mask(arrives, one_plus_x, splat(1.0), _CMP_EQ_OQ);
    const Mask log1p_lanes = arrives & static_cast<Mask>(~tiny);
    const Vd log_arg = vx_mask_mov_pd(v, log1p_lanes, one_plus_x);  // v is 1 outside `fire`
    const Vd logs = log_lanes(log_arg);
    if (fire) {
      const Vd arrival = vx_sub_pd(s.t, vx_div_pd(logs, vx_mul_pd(n, beta)));
      const Mask sooner = vx_mask_cmp_pd_mask(fire, arrival, s.next[0], _CMP_LT_OQ);
      s.next[0] = vx_mask_mov_pd(s.next[0], sooner, arrival);
    }
    if (exc) {
      Vd log1p = vx_mul_pd(logs, vx_div_pd(x, vx_sub_pd(one_plus_x, splat(1.0))));
      log1p = vx_mask_mov_pd(log1p, tiny, x);
      const Vd first = vx_mask_mov_pd(splat(kNever), arrives, vx_div_pd(neg(log1p), beta));
      s.next[0] = vx_mask_mov_pd(s.next[0], exc, vx_add_pd(s.t, first));
    }
  }

  // add_excitation with the exact method's redraws, lane by lane: each mass entry of the event's
  // type either stays silent (a fresh uniform carried on) or fires and merges its first arrival
  // into its group's clock; the group that fired gets one fresh first arrival for its remaining
  // mass together with the mass this event adds.
  void add_excitation(Vi type, Vi fired, Mask exc, Mask go, Vd total) {
    Lanes& s = L_;
    const LaneTables& tb = tab_;
    for (int c = 0; c < tb.dims; ++c) s.y[c] = vx_add_pd(s.y[c], tb.exc[c](type));
    Vd redraw_mass = total;
    Vd u = splat(-1.0);
    const Vi len = tb.entry_len(type);
    for (int i = 0; i < tb.max_entries; ++i) {
      const Mask valid = vx_mask_cmpgt_epi64_mask(go, len, splat_i(i));
      if (!valid) continue;
      const Vi grp = tb.entry_group[i](type);
      const Vd g = tb.entry_g[i](type);
      const Mask own = vx_mask_cmpeq_epi64_mask(valid & exc, grp, fired);
      redraw_mass = vx_mask_add_pd(redraw_mass, own, redraw_mass, vx_mul_pd(g, tb.group_beta(grp)));
      const Mask need = valid & static_cast<Mask>(~own);
      if (!need) continue;
      const Mask draw = vx_mask_cmp_pd_mask(need, u, vx_setzero_pd(), _CMP_LT_OQ);
      if (draw) u = vx_mask_mov_pd(u, draw, uniform53(s.rng, draw));
      const Vd q = tb.entry_q[i](type);
      const Mask silent = vx_mask_cmp_pd_mask(need, u, q, _CMP_LT_OQ);
      u = vx_mask_mul_pd(u, silent, u, tb.entry_inv_q[i](type));
      const Mask fire = need & static_cast<Mask>(~silent);
      if (!fire) continue;
      Vd n, v;
      new_mass_points(fire, u, q, g, n, v);
      const Vd arrival = vx_sub_pd(s.t, vx_div_pd(log_lanes(v), vx_mul_pd(n, tb.group_beta(grp))));
      for (int gi = 0; gi < tb.groups; ++gi) {
        const Mask mine = vx_mask_cmpeq_epi64_mask(fire, grp, splat_i(gi));
        const Mask sooner = vx_mask_cmp_pd_mask(mine, arrival, s.next[gi], _CMP_LT_OQ);
        s.next[gi] = vx_mask_mov_pd(s.next[gi], sooner, arrival);
      }
      u = vx_mask_mov_pd(u, fire, splat(-1.0));
    }
    if (!exc) return;
    // decaying_first_arrival for the group that fired.
    const Vd beta = tb.group_beta(fired);
    const Vd e = neg(log_lanes(uniform53(s.rng, exc)));
    const Vd mass = vx_div_pd(redraw_mass, beta);
    const Mask fires = vx_mask_cmp_pd_mask(exc, e, mass, _CMP_LT_OQ);
    const Vd x = neg(vx_div_pd(e, mass));
    const Vd safe_x = vx_mask_mov_pd(vx_setzero_pd(), fires, x);
    const Vd first = vx_mask_mov_pd(splat(kNever), fires,
                                        vx_div_pd(neg(log1p_lanes(safe_x)), beta));
    const Vd clock = vx_add_pd(s.t, first);
    for (int gi = 0; gi < tb.groups; ++gi) {
      const Mask mine = vx_mask_cmpeq_epi64_mask(exc, fired, splat_i(gi));
      s.next[gi] = vx_mask_mov_pd(s.next[gi], mine, clock);
    }
  }

  // lob_apply on every lane; returns the jump each lane's price moved by.
  Vi lob_apply_lanes(Vi type, Mask go) {
    Lanes& s = L_;
    const Mask moves = vx_mask_cmplt_epi64_mask(go, type, splat_i(MNb));
    if (!moves) return vx_setzero_si512();
    const Vd draw = neg(log_lanes(uniform53(s.rng, moves)));
    const Vd raw = vx_add_pd(tab_.jump_location(type), vx_mul_pd(tab_.jump_scale(type), draw));
    const Vd rounded = vx_roundscale_pd(vx_add_pd(raw, splat(0.5)), _MM_FROUND_TO_NEG_INF | _MM_FROUND_NO_EXC);
    Vi j = vx_cvttpd_epi64(rounded);  // jumps are bounded by validate_simulate_options
    j = vx_max_epi64(j, splat_i(1));
    const Vi room = vx_sub_epi64(vx_sub_epi64(s.ask, s.bid), splat_i(1));
    const Mask limit = vx_mask_cmpeq_epi64_mask(moves, type, splat_i(LAb)) | vx_mask_cmpeq_epi64_mask(moves, type, splat_i(LAs));
    j = vx_mask_min_epi64(j, limit, j, room);
    const Mask bid_up = vx_mask_cmpeq_epi64_mask(moves, type, splat_i(LAb));
    const Mask bid_down = vx_mask_cmpeq_epi64_mask(moves, type, splat_i(MAs)) | vx_mask_cmpeq_epi64_mask(moves, type, splat_i(CAb));
    const Mask ask_up = vx_mask_cmpeq_epi64_mask(moves, type, splat_i(MAb)) | vx_mask_cmpeq_epi64_mask(moves, type, splat_i(CAs));
    const Mask ask_down = vx_mask_cmpeq_epi64_mask(moves, type, splat_i(LAs));
    s.bid = vx_mask_add_epi64(s.bid, bid_up, s.bid, j);
    s.bid = vx_mask_sub_epi64(s.bid, bid_down, s.bid, j);
    s.ask = vx_mask_add_epi64(s.ask, ask_up, s.ask, j);
    s.ask = vx_mask_sub_epi64(s.ask, ask_down, s.ask, j);
    return vx_maskz_mov_epi64(moves, j);
  }

  void store_events(Mask go, Vi type, Vd lambda, Vi jump) {
    Lanes& s = L_;
    alignas(64) double t[kLanes], lam[kLanes];
    alignas(64) int64_t ty[kLanes], n[kLanes], bid[kLanes], ask[kLanes], j[kLanes];
    vx_store_pd(t, s.t);
    vx_store_pd(lam, lambda);
    vx_store_si512(ty, type);
    vx_store_si512(n, s.n);
    vx_store_si512(bid, s.bid);
    vx_store_si512(ask, s.ask);
    vx_store_si512(j, jump);
    for (unsigned lanes = go; lanes != 0; lanes &= lanes - 1) {
      const int i = __builtin_ctz(lanes);
      if ((n[i] & (kStoredChunk - 1)) == 0) count_stored_chunk(run_);
      s.out[i]->append(arena_, run_.columns, t[i], static_cast<int32_t>(ty[i]), lam[i], bid[i], ask[i], j[i]);
    }
  }
};

bool simulate_block_lanes(const BlockRun& run, EventArena& arena, int64_t first, int64_t end, double* rows) {
  // On the heap: with D up to 64 the lanes' state and tables take a few hundred KiB.
  auto sim = std::make_unique<BlockSimulator>(run, arena, first, end, rows);
  return sim->simulate();
}
