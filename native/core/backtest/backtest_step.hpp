// The per-step and per-event math of a market-making backtest on the 8-event LOB model, shared by
// the CPU driver (g++) and the CUDA kernel (nvcc) as HG_HD functions, so the CPU tests exercise
// the very code a GPU thread runs. Depends only on hawkes_step.hpp: no allocation, no Node or
// CUDA headers. Prices are integer ticks; cash is in price units (ticks * tick).
//
// Streams (all Philox, keyed by seed and counter (block, path)): the market draws from (seed,
// path) exactly like LobModel.simulate; the agent's fill coins (Z1..Z3) and the baseline noise
// use their own keys, so the market path of a seed is the same whatever the strategy, the fees or
// the quotes (common random numbers across strategies and settings).
#pragma once

#include <cstdint>

#include "../hawkes/hawkes_step.hpp"

namespace hawkgraph::backtest {

using hawkes::HawkesTables;
using hawkes::LobTables;
using hawkes::PathState;

constexpr uint64_t kCoinKey = 0xD1B54A32D192ED03ull;
constexpr uint64_t kNoiseKey = 0x9E3779B97F4A7C15ull;
constexpr int kMaxMlpLayers = 8;
constexpr int kMaxMlpWidth = 256;
constexpr int kPolicyInputs = 3;   // inventory, spread (ticks), trend
constexpr int kPolicyOutputs = 2;  // bid offset, ask offset (ticks from the mid)

// Everything about a run that is the same for every path (host or device memory alike: no pointers).
struct BacktestSpec {
  double tick;
  double dt;
  double horizon;
  int64_t steps;            // ceil(horizon / dt); the last step ends at horizon
  int64_t initial_bid, initial_ask;
  int64_t inventory_limit;  // c: |I| <= c always
  double z1, z2, z3;
  double phi;
  double fee_maker, fee_taker;
  double noise_std;         // sqrt of the variance of the Gaussian noise on each mu_k (0: none)
  int64_t grid;             // wealth samples over time (0: none)
  uint64_t seed;
};

// A quote decision for one step: prices in ticks; market = +1 buy / -1 sell one unit now.
struct Quotes {
  bool has_bid, has_ask;
  int64_t bid, ask;
  int market;
};

// What a strategy observes at the start of a step.
struct Observation {
  double time;
  int64_t inventory;
  int64_t bid, ask;  // best prices, ticks
  double trend;      // lambda_MAb + lambda_MNb - lambda_MAs - lambda_MNs (when the strategy asks for it)
  double cash;       // net of fees
  int64_t step;
};

// Offsets (ticks from the mid; NaN: no quote) to prices: the bid rounds down and the ask up to a
// tick, and neither crosses the market (a quote that would is clipped to one tick inside it).
HG_HD Quotes quotes_from_offsets(const Observation& o, double bid_offset, double ask_offset) {
  Quotes q{false, false, 0, 0, 0};
  const double mid = 0.5 * static_cast<double>(o.bid + o.ask);
  if (bid_offset == bid_offset) {  // not NaN
    double p = floor(mid - bid_offset);
    const double hi = static_cast<double>(o.ask - 1);
    if (p > hi) p = hi;
    if (p > -4.0e15) {
      q.has_bid = true;
      q.bid = static_cast<int64_t>(p);
    }
  }
  if (ask_offset == ask_offset) {
    double p = ceil(mid + ask_offset);
    const double lo = static_cast<double>(o.bid + 1);
    if (p < lo) p = lo;
    if (p < 4.0e15) {
      q.has_ask = true;
      q.ask = static_cast<int64_t>(p);
    }
  }
  if (q.has_bid && q.has_ask && q.bid >= q.ask) q.has_bid = q.has_ask = false;  // a self-crossing pair is dropped
  return q;
}

// A JS strategy's action: offsets as quotes_from_offsets reads them, and a market order now
// (> 0 buy, < 0 sell, anything else none).
HG_HD Quotes quotes_from_action(const Observation& o, double bid_offset, double ask_offset, double market) {
  Quotes q = quotes_from_offsets(o, bid_offset, ask_offset);
  q.market = market > 0 ? 1 : market < 0 ? -1 : 0;
  return q;
}

// ---- Strategies that run natively (CPU and GPU) -------------------------------------------------

// kCostlyDecision: deciding costs far more than an event (the policy network), so a GPU warp's
// paths should decide together at each step boundary (see run_path).
struct SymStrategy {
  static constexpr bool kNeedsTrend = false;
  static constexpr bool kCostlyDecision = false;
  HG_HD Quotes decide(const Observation& o) const { return Quotes{true, true, o.bid, o.ask, 0}; }
};

// Offsets linear in inventory (ticks from the mid): delta_b = bid0 + bid1 I, delta_a = ask0 + ask1 I.
// The GLFT approximation is the case bid0 = ask0 = c1 + sigma c2 / 2, bid1 = -ask1 = sigma c2.
struct LinStrategy {
  static constexpr bool kNeedsTrend = false;
  static constexpr bool kCostlyDecision = false;
  double bid0, bid1, ask0, ask1;
  HG_HD Quotes decide(const Observation& o) const {
    const double i = static_cast<double>(o.inventory);
    return quotes_from_offsets(o, bid0 + bid1 * i, ask0 + ask1 * i);
  }
};

// A ReLU MLP in float32, weights transposed to [in][out] so the inner loop runs over contiguous
// outputs (vectorises on the CPU, coalesces nothing but stays in L1/L2 on the GPU: every thread
// reads the same weights).
struct MlpView {
  int layers;
  int width[kMaxMlpLayers + 1];  // width[0] = kPolicyInputs, width[layers] = kPolicyOutputs
  const float* weight_t[kMaxMlpLayers];  // [width[l]][width[l+1]]
  const float* bias[kMaxMlpLayers];      // [width[l+1]]
  float input_mean[kPolicyInputs], input_std[kPolicyInputs];
  float output_scale[kPolicyOutputs], output_offset[kPolicyOutputs];
  int output_tanh;
};

HG_HD void mlp_forward(const MlpView& m, const float* x, float* out, float* a, float* b) {
  for (int i = 0; i < kPolicyInputs; ++i) a[i] = (x[i] - m.input_mean[i]) / m.input_std[i];
  for (int l = 0; l < m.layers; ++l) {
    const int n_in = m.width[l], n_out = m.width[l + 1];
    const float* __restrict__ w = m.weight_t[l];
    const float* __restrict__ bias = m.bias[l];
    float* __restrict__ h = b;
    for (int j = 0; j < n_out; ++j) h[j] = bias[j];
    for (int i = 0; i < n_in; ++i) {
      const float xi = a[i];
      const float* __restrict__ row = w + static_cast<size_t>(i) * n_out;
      for (int j = 0; j < n_out; ++j) h[j] += xi * row[j];
    }
    if (l + 1 < m.layers) {
      for (int j = 0; j < n_out; ++j) h[j] = h[j] > 0.0f ? h[j] : 0.0f;
    }
    float* t = a;
    a = b;
    b = t;
  }
  for (int j = 0; j < kPolicyOutputs; ++j) {
    float v = a[j];
    if (m.output_tanh) v = tanhf(v);
    out[j] = v * m.output_scale[j] + m.output_offset[j];
  }
}

// Inputs: inventory (raw; normalise it in the metadata, e.g. mean 0 and std c), spread in
// ticks, trend; outputs: the bid and ask offsets in ticks from the mid.
template <class Forward>
struct PolicyStrategy {
  static constexpr bool kNeedsTrend = true;
  static constexpr bool kCostlyDecision = true;
  const MlpView* mlp;
  Forward forward;
  float* scratch;  // 2 * kMaxMlpWidth floats
  HG_HD Quotes decide(const Observation& o) const {
    const float x[kPolicyInputs] = {static_cast<float>(o.inventory), static_cast<float>(o.ask - o.bid), static_cast<float>(o.trend)};
    float y[kPolicyOutputs];
    forward(*mlp, x, y, scratch, scratch + kMaxMlpWidth);
    return quotes_from_offsets(o, y[0], y[1]);
  }
};

struct InlineForward {
  HG_HD void operator()(const MlpView& m, const float* x, float* y, float* a, float* b) const { mlp_forward(m, x, y, a, b); }
};

// ---- One path --------------------------------------------------------------------------------

// Per-path results. Cash is net of the run's fees; gross_* is what it would be at zero fees,
// maker/taker_notional the traded value the fees apply to: net = gross - fee * notional exactly,
// so a fee sweep of a strategy whose quotes do not depend on fees needs one simulation.
struct PathResult {
  double pnl, gross_pnl, maker_notional, taker_notional, cash, mid;
  double map;  // time-average of |I|
  double reward;  // pnl - phi * integral of |I| dt
  int64_t inventory, trades, events;
};

// Optional per-step / per-fill records (CPU tests); the no-op recorder compiles away.
struct NoRecorder {
  int64_t path = 0;
  HG_HD void step(int64_t, double, int64_t, int64_t, const Quotes&, int64_t, double, double) {}
  HG_HD void fill(int64_t, double, int, int64_t, double, bool, int64_t, double, int64_t, int64_t) {}
};

// Writes gross wealth and notionals at grid point g (time (g + 1) * horizon / grid).
struct GridOut {
  double* gross;  // [grid] or null
  double* maker;
  double* taker;
};

// Intensity of dimension k at time t >= s.t without touching the state (so asking for the trend
// does not change the rounding of the market path).
HG_HD double intensity_at(const HawkesTables& m, const PathState& s, int k, double t) {
  const double dt = t - s.t;
  if (m.comps == m.dims) return m.mu[k] + s.y[k] * exp(-m.group_beta[m.comp_group[k]] * dt);
  double lam = m.mu[k];
  for (int c = m.dim_comp_begin[k]; c < m.dim_comp_begin[k + 1]; ++c) lam += s.y[c] * exp(-m.group_beta[m.comp_group[c]] * dt);
  return lam;
}

// A standard normal by Box-Muller from two 53-bit uniforms.
template <class Rng>
HG_HD double standard_normal(Rng& r) {
  const double u1 = hawkes::rng_uniform(r), u2 = hawkes::rng_uniform(r);
  return sqrt(-2.0 * log(u1)) * cos(6.283185307179586 * u2);
}

// Per-path baseline noise: mu_k + N(0, variance), clipped at zero, drawn from the noise stream.
// Writes the perturbed mu and its cdf into mu/cdf (caller storage of D doubles each) and points
// `m` at them.
template <class Rng>
HG_HD void perturb_baseline(HawkesTables& m, const HawkesTables& base, double noise_std, Rng& noise, double* mu, double* cdf) {
  m = base;
  double total = 0.0;
  for (int k = 0; k < base.dims; ++k) {
    double v = base.mu[k] + noise_std * standard_normal(noise);
    mu[k] = v > 0.0 ? v : 0.0;
    total += mu[k];
  }
  double acc = 0.0;
  for (int k = 0; k < base.dims; ++k) {
    acc += mu[k];
    cdf[k] = total > 0.0 ? acc / total : 1.0;
  }
  cdf[base.dims - 1] = 1.0;
  m.mu = mu;
  m.mu_cdf = cdf;
  m.mu_total = total;
}

// One path as a resumable state machine: start(), then advance() until it returns false, then
// finish(). advance() consumes one market event (or closes a step and opens the next), so the
// CPU can interleave a few paths event by event to fill the latency of their log/exp chains,
// while a GPU thread simply loops. At each step the agent's quotes are replaced, then the step's
// events are simulated one at a time and consumed as they come: nothing is stored.
template <int N, bool G1, class Rng, class Strategy, class Recorder>
struct PathRun {
  const HawkesTables* m;
  const LobTables* lob;
  const BacktestSpec* spec;
  const Strategy* strategy;
  Rng* market;
  Rng* coins;
  PathState* s;
  Recorder* rec;
  GridOut grid;
  int64_t bid = 0, ask = 0, inv = 0, trades = 0, events = 0, k = 0, next_grid = 0;
  double gross_cash = 0, maker = 0, taker = 0, abs_integral = 0, last_change = 0, t1 = 0;
  Quotes q{false, false, 0, 0, 0};

  HG_HD double net_cash() const { return gross_cash - spec->fee_maker * maker - spec->fee_taker * taker; }

  HG_HD void move_inventory(int64_t by, double t) {
    abs_integral += static_cast<double>(inv < 0 ? -inv : inv) * (t - last_change);
    last_change = t;
    inv += by;
  }

  HG_HD void start() {
    hawkes::hawkes_init<N, G1>(*m, *s, *market);
    bid = spec->initial_bid;
    ask = spec->initial_ask;
    inv = trades = events = k = next_grid = 0;
    gross_cash = maker = taker = abs_integral = last_change = 0.0;
    begin_step();
  }

  // Cancels the previous quotes and places this step's (orders that could break |I| <= c are not placed).
  HG_HD void begin_step() {
    using namespace hawkes;
    const double t0 = static_cast<double>(k) * spec->dt;
    t1 = k + 1 == spec->steps ? spec->horizon : static_cast<double>(k + 1) * spec->dt;
    Observation o{t0, inv, bid, ask, 0.0, net_cash(), k};
    if (Strategy::kNeedsTrend) {
      o.trend = intensity_at(*m, *s, MAb, t0) + intensity_at(*m, *s, MNb, t0) - intensity_at(*m, *s, MAs, t0) - intensity_at(*m, *s, MNs, t0);
    }
    q = strategy->decide(o);
    const int64_t c = spec->inventory_limit;
    if (q.market != 0 && (q.market > 0 ? inv < c : inv > -c)) {
      const int64_t px = q.market > 0 ? ask : bid;
      const double value = static_cast<double>(px) * spec->tick;
      move_inventory(q.market > 0 ? 1 : -1, t0);
      gross_cash += q.market > 0 ? -value : value;
      taker += value;
      ++trades;
      rec->fill(k, t0, q.market, px, spec->fee_taker * value, false, inv, net_cash(), bid, ask);
    }
    if (inv >= c) q.has_bid = false;
    if (inv <= -c) q.has_ask = false;
    rec->step(k, t0, bid, ask, q, inv, net_cash(), net_cash() + static_cast<double>(inv) * 0.5 * static_cast<double>(bid + ask) * spec->tick);
  }

  // Which agent quote (if any) a market event trades with. Sells hit the agent's bid: an
  // aggressive market sell sweeps every level above the new best bid (and, with Z2, the level it
  // stopped at); a non-aggressive one trades at the best bid, first with an agent bid inside the
  // spread (Z1) or, queueing, with one at the best (Z3); an aggressive limit sell priced at or
  // below an agent bid inside the spread trades with it. Buys mirror this on the ask.
  HG_HD void match(int type, int64_t b0, int64_t a0) {
    using namespace hawkes;
    bool bid_fill = false, ask_fill = false;
    const BacktestSpec& sp = *spec;
    if (q.has_bid) {
      if (type == MAs) {
        bid_fill = q.bid > bid || (q.bid == bid && sp.z2 > 0.0 && rng_uniform32(*coins) < sp.z2);
      } else if (type == MNs) {
        if (q.bid > b0) {
          bid_fill = sp.z1 >= 1.0 || rng_uniform32(*coins) < sp.z1;
        } else if (q.bid == b0) {
          bid_fill = sp.z3 >= 1.0 || (sp.z3 > 0.0 && rng_uniform32(*coins) < sp.z3);
        }
      } else if (type == LAs) {
        bid_fill = q.bid >= ask;
      }
    }
    if (q.has_ask) {
      if (type == MAb) {
        ask_fill = q.ask < ask || (q.ask == ask && sp.z2 > 0.0 && rng_uniform32(*coins) < sp.z2);
      } else if (type == MNb) {
        if (q.ask < a0) {
          ask_fill = sp.z1 >= 1.0 || rng_uniform32(*coins) < sp.z1;
        } else if (q.ask == a0) {
          ask_fill = sp.z3 >= 1.0 || (sp.z3 > 0.0 && rng_uniform32(*coins) < sp.z3);
        }
      } else if (type == LAb) {
        ask_fill = q.ask <= bid;
      }
    }
    if (bid_fill | ask_fill) {
      const int64_t px = bid_fill ? q.bid : q.ask;
      const double value = static_cast<double>(px) * sp.tick;
      move_inventory(bid_fill ? 1 : -1, s->t);
      gross_cash += bid_fill ? -value : value;
      maker += value;
      ++trades;
      if (bid_fill) q.has_bid = false; else q.has_ask = false;
      rec->fill(k, s->t, bid_fill ? 1 : -1, px, sp.fee_maker * value, true, inv, net_cash(), bid, ask);
    }
  }

  // One event, or the end of a step; false once the path is complete.
  HG_HD bool advance() { return event() || end_step(); }

  // The step's next event; false when the step has none left.
  HG_HD bool event() {
    using namespace hawkes;
    double lambda;
    const int type = exact_step<N, G1>(*m, *s, *market, t1, &lambda);
    if (type < 0) return false;
    ++events;
    const int64_t b0 = bid, a0 = ask;
    lob_apply(*lob, *market, type, bid, ask);
    if (q.has_bid | q.has_ask) match(type, b0, a0);
    return true;
  }

  // Closes the step (grid samples) and opens the next; false when it was the last.
  HG_HD bool end_step() {
    // Grid point g sits at the end of step floor((g + 1) * steps / grid) - 1.
    while (next_grid < spec->grid && (k + 1) * spec->grid >= (next_grid + 1) * spec->steps) {
      if (grid.gross) {
        grid.gross[next_grid] = gross_cash + static_cast<double>(inv) * 0.5 * static_cast<double>(bid + ask) * spec->tick;
        grid.maker[next_grid] = maker;
        grid.taker[next_grid] = taker;
      }
      ++next_grid;
    }
    if (++k == spec->steps) return false;
    begin_step();
    return true;
  }

  HG_HD void finish(PathResult& out) {
    move_inventory(0, spec->horizon);
    const double mid = 0.5 * static_cast<double>(bid + ask) * spec->tick;
    const double fees = spec->fee_maker * maker + spec->fee_taker * taker;
    out.gross_pnl = gross_cash + static_cast<double>(inv) * mid;
    out.pnl = out.gross_pnl - fees;
    out.cash = gross_cash - fees;
    out.mid = mid;
    out.maker_notional = maker;
    out.taker_notional = taker;
    out.map = abs_integral / spec->horizon;
    out.reward = out.pnl - spec->phi * abs_integral;
    out.inventory = inv;
    out.trades = trades;
    out.events = events;
  }
};

// One path start to end (the GPU's loop); the CPU driver interleaves PathRuns itself.
template <int N, bool G1, class Rng, class Strategy, class Recorder>
HG_HD void run_path(const HawkesTables& m, const LobTables& lob, const BacktestSpec& spec, const Strategy& strategy,
                    Rng& market, Rng& coins, PathState& s, PathResult& out, GridOut grid, Recorder& rec) {
  PathRun<N, G1, Rng, Strategy, Recorder> run{&m, &lob, &spec, &strategy, &market, &coins, &s, &rec, grid};
  run.start();
  if constexpr (Strategy::kCostlyDecision) {
    // Steps outside, events inside: a warp's threads leave the event loop, meet at the step
    // boundary and run the decision once, together. In one flat loop they reach boundaries on
    // different iterations, so a warp would run the network once per group of threads (up to 32).
    // Cheap decisions keep the flat loop, where a warp never waits at a boundary for the thread
    // with the most events in that step.
    do {
      while (run.event()) {
      }
    } while (run.end_step());
  } else {
    while (run.advance()) {
    }
  }
  run.finish(out);
}

}  // namespace hawkgraph::backtest
