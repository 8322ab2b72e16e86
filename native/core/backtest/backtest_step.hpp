// The per-step and per-event math of a market-making backtest on the 8-event LOB model, shared by
// the CPU driver (g++) and the CUDA kernel (nvcc) as HG_HD functions, so the CPU tests exercise
// the very code a GPU thread runs. Depends only on hawkes_step.hpp: no allocation, no Node or
// CUDA headers. Prices are integer ticks; cash is in price units (ticks * tick).
//
// Streams (all Philox, keyed by seed and counter (block, path)): the market's events and jumps
// draw from (seed, path) like LobModel.simulate; the agent's coins (Z1, Z2, Z3, the fill where a
// sweep stops) and the jumps of its own aggressive orders, and the baseline noise, use their own
// keys. The model is interactive (the agent's orders excite the order flow), so a market path is
// shared across strategies only until the agent's orders first differ.
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

// The event loop that drives the order flow between the agent's steps.
enum EventLoop : int {
  kExactLoop = 0,      // the process simulated exactly (hawkes::exact_next)
  kPublishedLoop = 1,  // the seed paper's published code, its thinning bug included (published_next)
  kPublishedFixedLoop = 2,  // the same code with the authors' later fix of that bug
};

// Everything about a run that is the same for every path (host or device memory alike: no pointers).
struct BacktestSpec {
  double tick;
  double dt;
  double horizon;
  int64_t steps;            // ceil(horizon / dt); the last step ends at horizon
  int64_t initial_bid, initial_ask;
  int64_t inventory_limit;  // c: |I| <= c always
  double z1;                // the agent's market order is aggressive
  double z2;                // the agent's cancellation of a quote at the best price is aggressive
  double z3;                // a non-aggressive market order fills the agent's quote at the best price
  double fill_at_sweep_stop;  // an aggressive market order that stops exactly at the agent's quote fills it
  double phi;
  double fee_maker, fee_taker;
  double noise_std;         // sqrt of the variance of the Gaussian noise on each mu_k (0: none)
  int64_t grid;             // wealth samples over time (0: none)
  uint64_t seed;
  int event_loop;           // EventLoop
};

// A strategy's decision for one step: offsets in ticks (NaN: no quote on that side), measured
// from the best prices (from_best: bid = best bid - bid_offset, ask = best ask + ask_offset,
// rounded to the nearest tick: the seed paper's action, times 1 / tick) or from the mid (the bid
// rounds down, the ask up); market +1 / -1 replaces the bid by one at the best ask / the ask by
// one at the best bid, a quote the book takes as a market order. Prices are set after the
// step's cancellations, from the book they leave.
struct Decision {
  double bid_offset, ask_offset;
  bool from_best;
  int market;
};

// The agent's resting quotes (ticks).
struct Quotes {
  bool has_bid, has_ask;
  int64_t bid, ask;
};

// What a strategy observes at the start of a step, before its cancellations.
struct Observation {
  double time;
  int64_t inventory;
  int64_t bid, ask;  // best prices, ticks
  double trend;      // lambda_MAb + lambda_MNb - lambda_MAs - lambda_MNs (when the strategy asks for it)
  double cash;       // net of fees
  int64_t step;
};

HG_HD Decision offsets_from_mid(double bid_offset, double ask_offset) { return Decision{bid_offset, ask_offset, false, 0}; }

// ---- Strategies that run natively (CPU and GPU) -------------------------------------------------

// kCostlyDecision: deciding costs far more than an event (the policy network), so a GPU warp's
// paths should decide together at each step boundary (see run_path).
struct SymStrategy {
  static constexpr bool kNeedsTrend = false;
  static constexpr bool kCostlyDecision = false;
  HG_HD Decision decide(const Observation&) const { return Decision{0.0, 0.0, true, 0}; }
};

// Offsets linear in inventory, in ticks from the mid or (from_best) from the best prices, as the
// seed paper's LIN: delta_b = bid0 + bid1 I, delta_a = ask0 + ask1 I. The GLFT approximation is
// the case from the mid, bid0 = ask0 = c1 + sigma c2 / 2, bid1 = -ask1 = sigma c2.
struct LinStrategy {
  static constexpr bool kNeedsTrend = false;
  static constexpr bool kCostlyDecision = false;
  double bid0, bid1, ask0, ask1;
  bool from_best;
  HG_HD Decision decide(const Observation& o) const {
    const double i = static_cast<double>(o.inventory);
    return Decision{bid0 + bid1 * i, ask0 + ask1 * i, from_best, 0};
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
  int offsets_from_best;  // the outputs are offsets from the best prices (the paper's action), else from the mid
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
// ticks, trend; outputs: the bid and ask offsets in ticks, from the mid or the best prices.
template <class Forward>
struct PolicyStrategy {
  static constexpr bool kNeedsTrend = true;
  static constexpr bool kCostlyDecision = true;
  const MlpView* mlp;
  Forward forward;
  float* scratch;  // 2 * kMaxMlpWidth floats
  HG_HD Decision decide(const Observation& o) const {
    const float x[kPolicyInputs] = {static_cast<float>(o.inventory), static_cast<float>(o.ask - o.bid), static_cast<float>(o.trend)};
    float y[kPolicyOutputs];
    forward(*mlp, x, y, scratch, scratch + kMaxMlpWidth);
    return Decision{y[0], y[1], mlp->offsets_from_best != 0, 0};
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

// Optional per-step / per-fill / per-event records (CPU tests); the no-op recorder compiles away.
// An event's record carries the intensities just after it (kEvents: the recorder wants them).
struct NoRecorder {
  static constexpr bool kEvents = false;
  int64_t path = 0;
  HG_HD void step(int64_t, double, int64_t, int64_t, const Quotes&, int64_t, double, double) {}
  HG_HD void fill(int64_t, double, int, double, double, bool, int64_t, double, int64_t, int64_t) {}
  HG_HD void event(int64_t, double, int, bool, int64_t, int64_t, const double*) {}
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

// A jump of `type` (ticks): J = max(1, round(location + scale * Exp(1))).
template <class Rng>
HG_HD int64_t lob_jump(const LobTables& lob, Rng& r, int type) {
  const double raw = lob.jump_location[type] + lob.jump_scale[type] * -log(hawkes::rng_uniform(r));
  const int64_t j = static_cast<int64_t>(floor(raw + 0.5));
  return j < 1 ? 1 : j;
}

// A jump of `type` given J <= cap (cap >= 1): the law the seed paper's code gets by redrawing
// until J <= cap, in one draw by inverting the truncated exponential (J <= cap exactly when
// location + scale * E < cap + 0.5). A law that cannot reach cap (scale 0 and location above
// it) gives cap.
template <class Rng>
HG_HD int64_t lob_jump_at_most(const LobTables& lob, Rng& r, int type, int64_t cap) {
  const double loc = lob.jump_location[type], scale = lob.jump_scale[type];
  const double room = static_cast<double>(cap) + 0.5 - loc;
  int64_t j = cap;
  if (scale > 0.0 && room > 0.0) {
    const double reach = -expm1(-room / scale);  // P(E < room / scale)
    const double e = -log1p(-hawkes::rng_uniform(r) * reach);
    j = static_cast<int64_t>(floor(loc + scale * e + 0.5));
  } else if (room > 0.0) {
    j = static_cast<int64_t>(floor(loc + 0.5));
  }
  if (j < 1) j = 1;
  return j < cap ? j : cap;
}

// The published code's event loop (BGasperov/drlformm as the paper's tables were made): a
// candidate at the total intensity of the state's time, its type drawn from the intensities
// then, and never rejected (the thinning test's "event_type == 0" compares instead of
// assigning), so events come at the intensity of the last event or step start, not the decayed
// one. With fixed (the authors' later fix) a candidate is kept with probability lambda(t) /
// bound, but its type is still the one drawn from the intensities before the decay, which
// exact thinning draws from those at the candidate. A candidate past end_time ends the step
// with the state decayed to it (-1).
template <int N, bool G1, class Rng>
HG_HD int published_next(const HawkesTables& m, PathState& s, Rng& r, double end_time, bool fixed) {
  for (;;) {
    double total = m.mu_total;
    for (int c = 0; c < hawkes::comp_count<N>(m); ++c) total += s.y[c];
    const double candidate = s.t + hawkes::exponential(r, total);
    const int type = hawkes::pick_dimension(m, s, hawkes::rng_uniform(r) * total);
    if (!(candidate < end_time)) {
      hawkes::decay_to<N, G1>(m, s, end_time);
      return -1;
    }
    hawkes::decay_to<N, G1>(m, s, candidate);
    if (!fixed) return type;
    double now = m.mu_total;
    for (int c = 0; c < hawkes::comp_count<N>(m); ++c) now += s.y[c];
    if (hawkes::rng_uniform(r) * total < now) return type;
  }
}

// One path of the interactive model as a resumable state machine. The agent's orders are
// events of the book: at each step its quotes are cancelled (one standing at the best price
// aggressively with probability Z2: the price moves and CA is excited), then it places a bid and
// an ask (inside the spread: the new best price, an LA event; crossing it: a market order, MA
// with probability Z1, else MN), then the step's market events run one at a time against the
// book and the agent's resting quotes.
//
// Driven by a strategy: start(), then advance() until it returns false, then finish().
// advance() consumes one market event (or closes a step and opens the next), so the CPU can
// interleave a few paths event by event to fill the latency of their log/exp chains, while a
// GPU thread simply loops. Driven by a caller that picks the actions itself (a trainer):
// reset(), then observe() and step(decision) (the step's reward) until done(), then finish();
// the Strategy type is then unused.
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
  double gross_cash = 0, maker = 0, taker = 0, abs_integral = 0, last_change = 0, t0 = 0, t1 = 0;
  double step_start_wealth = 0, step_start_penalty = 0;
  Quotes q{false, false, 0, 0};

  HG_HD double net_cash() const { return gross_cash - spec->fee_maker * maker - spec->fee_taker * taker; }
  HG_HD double mid() const { return 0.5 * static_cast<double>(bid + ask) * spec->tick; }
  HG_HD double wealth() const { return net_cash() + static_cast<double>(inv) * mid(); }
  HG_HD bool done() const { return k == spec->steps; }

  HG_HD void move_inventory(int64_t by, double t) {
    abs_integral += static_cast<double>(inv < 0 ? -inv : inv) * (t - last_change);
    last_change = t;
    inv += by;
  }

  HG_HD void reset() {
    hawkes::hawkes_init<N, G1>(*m, *s, *market);
    bid = spec->initial_bid;
    ask = spec->initial_ask;
    inv = trades = events = k = next_grid = 0;
    gross_cash = maker = taker = abs_integral = last_change = 0.0;
    q = Quotes{false, false, 0, 0};
    open_step();
  }

  HG_HD void start() {
    reset();
    begin_step();
  }

  HG_HD Observation observe(bool with_trend) const {
    using namespace hawkes;
    Observation o{t0, inv, bid, ask, 0.0, net_cash(), k};
    if (with_trend) {
      o.trend = intensity_at(*m, *s, MAb, t0) + intensity_at(*m, *s, MNb, t0) - intensity_at(*m, *s, MAs, t0) - intensity_at(*m, *s, MNs, t0);
    }
    return o;
  }

  HG_HD void begin_step() { act(strategy->decide(observe(Strategy::kNeedsTrend))); }

  // The step's reward: dW - phi * integral of |I| dt over it (W = cash + I * mid).
  HG_HD double step(const Decision& d) {
    act(d);
    while (event()) {
    }
    const double penalty = spec->phi * (abs_integral + static_cast<double>(inv < 0 ? -inv : inv) * (t1 - last_change));
    const double reward = wealth() - step_start_wealth - (penalty - step_start_penalty);
    close_step();
    if (!done()) open_step();
    return reward;
  }

  HG_HD void open_step() {
    t0 = static_cast<double>(k) * spec->dt;
    t1 = k + 1 == spec->steps ? spec->horizon : static_cast<double>(k + 1) * spec->dt;
    step_start_wealth = wealth();
    step_start_penalty = spec->phi * (abs_integral + static_cast<double>(inv < 0 ? -inv : inv) * (t0 - last_change));
  }

  HG_HD bool coin(double p) { return p >= 1.0 || (p > 0.0 && hawkes::rng_uniform32(*coins) < p); }

  // An event of the book: its excitation joins the process (agent: the agent's own order).
  HG_HD void excite(int type, double t, bool agent) {
    hawkes::excite_at<N, G1>(*m, *s, *market, type, t, spec->event_loop == kExactLoop);
    record_event(type, t, agent);
  }

  HG_HD void record_event(int type, double t, bool agent) {
    if constexpr (Recorder::kEvents) {
      double lambda[8];
      for (int d = 0; d < 8; ++d) lambda[d] = intensity_at(*m, *s, d, t);
      rec->event(k, t, type, agent, bid, ask, lambda);
    }
  }

  // side +1: the agent buys. price in ticks (a half tick for an aggressive market order).
  HG_HD void fill(int side, double price, bool limit, double t) {
    const double value = price * spec->tick;
    move_inventory(side, t);
    gross_cash += side > 0 ? -value : value;
    if (limit) maker += value; else taker += value;
    ++trades;
    rec->fill(k, t, side, price, (limit ? spec->fee_maker : spec->fee_taker) * value, limit, inv, net_cash(), bid, ask);
  }

  // The agent's market order (side +1 buy): aggressive with probability Z1 (it fills at the
  // best price + J / 2 and moves it by J, an MA event), else at the best price (MN). The
  // published code cancels both of the agent's quotes after it.
  HG_HD void market_order(int side) {
    using namespace hawkes;
    if (coin(spec->z1)) {
      const int64_t j = lob_jump(*lob, *coins, side > 0 ? MAb : MAs);
      if (side > 0) {
        fill(1, static_cast<double>(ask) + 0.5 * static_cast<double>(j), false, t0);
        ask += j;
      } else {
        fill(-1, static_cast<double>(bid) - 0.5 * static_cast<double>(j), false, t0);
        bid -= j;
      }
      excite(side > 0 ? MAb : MAs, t0, true);
    } else {
      fill(side, static_cast<double>(side > 0 ? ask : bid), false, t0);
      excite(side > 0 ? MNb : MNs, t0, true);
    }
    q.has_bid = q.has_ask = false;
  }

  // Cancels the previous quotes, then places the decision's (orders that could break |I| <= c
  // are not placed), in the published code's order: the ask first.
  HG_HD void act(const Decision& d) {
    using namespace hawkes;
    if (q.has_ask && q.ask == ask && coin(spec->z2)) {
      ask += lob_jump(*lob, *coins, CAs);
      excite(CAs, t0, true);
    }
    if (q.has_bid && q.bid == bid && coin(spec->z2)) {
      bid -= lob_jump(*lob, *coins, CAb);
      excite(CAb, t0, true);
    }
    q = Quotes{false, false, 0, 0};
    const double mid_ticks = 0.5 * static_cast<double>(bid + ask);
    if (d.bid_offset == d.bid_offset) {  // not NaN
      const double p = d.from_best ? floor(static_cast<double>(bid) - d.bid_offset + 0.5) : floor(mid_ticks - d.bid_offset);
      if (p > -4.0e15 && p < 4.0e15) q = Quotes{true, false, static_cast<int64_t>(p), 0};
    }
    if (d.ask_offset == d.ask_offset) {
      const double p = d.from_best ? floor(static_cast<double>(ask) + d.ask_offset + 0.5) : ceil(mid_ticks + d.ask_offset);
      if (p > -4.0e15 && p < 4.0e15) {
        q.has_ask = true;
        q.ask = static_cast<int64_t>(p);
      }
    }
    if (d.market > 0) q = Quotes{true, false, ask, 0};
    if (d.market < 0) q = Quotes{false, true, 0, bid};
    const int64_t c = spec->inventory_limit;
    if (inv <= -c) q.has_ask = false;
    if (inv >= c) q.has_bid = false;
    if (q.has_bid && q.has_ask && q.ask <= q.bid) q.has_bid = q.has_ask = false;
    if (q.has_ask) {
      if (q.ask <= bid) {
        market_order(-1);
      } else if (q.ask < ask) {
        ask = q.ask;
        excite(LAs, t0, true);
      }
    }
    if (q.has_bid) {
      if (q.bid >= ask) {
        market_order(1);
      } else if (q.bid > bid) {
        bid = q.bid;
        excite(LAb, t0, true);
      }
    }
    rec->step(k, t0, bid, ask, q, inv, net_cash(), wealth());
  }

  // Applies a market event to the book and the agent's quotes; false when the book rules it
  // out (LA on a one-tick spread; CA with the best price on the agent's resting quote), and then
  // it does not excite either.
  HG_HD bool apply(int type) {
    using namespace hawkes;
    const BacktestSpec& sp = *spec;
    const int64_t c = sp.inventory_limit;
    const double t = s->t;
    switch (type) {
      case MAb:
        ask += lob_jump(*lob, *market, MAb);
        if (q.has_ask) {
          // An order that passes the agent's ask fills it; one that stops exactly at it, sometimes.
          const double p = q.ask < ask ? 1.0 : q.ask == ask ? sp.fill_at_sweep_stop : 0.0;
          if (inv > -c && coin(p)) {
            q.has_ask = false;
            fill(-1, static_cast<double>(q.ask), true, t);
          }
          if (q.has_ask && q.ask < ask) q.has_ask = false;  // passed but the inventory limit stops the fill
        }
        return true;
      case MAs:
        bid -= lob_jump(*lob, *market, MAs);
        if (q.has_bid) {
          const double p = q.bid > bid ? 1.0 : q.bid == bid ? sp.fill_at_sweep_stop : 0.0;
          if (inv < c && coin(p)) {
            q.has_bid = false;
            fill(1, static_cast<double>(q.bid), true, t);
          }
          if (q.has_bid && q.bid > bid) q.has_bid = false;
        }
        return true;
      case LAb:
        if (ask - bid < 2) return false;
        bid += lob_jump_at_most(*lob, *market, LAb, ask - bid - 1);
        return true;
      case LAs:
        if (ask - bid < 2) return false;
        ask -= lob_jump_at_most(*lob, *market, LAs, ask - bid - 1);
        return true;
      case CAb:
        // The agent's resting bid holds its level: the best bid cannot fall below it.
        if (q.has_bid && bid < q.bid + 1) return false;
        bid -= q.has_bid ? lob_jump_at_most(*lob, *market, CAb, bid - q.bid) : lob_jump(*lob, *market, CAb);
        return true;
      case CAs:
        if (q.has_ask && ask > q.ask - 1) return false;
        ask += q.has_ask ? lob_jump_at_most(*lob, *market, CAs, q.ask - ask) : lob_jump(*lob, *market, CAs);
        return true;
      case MNb:
        if (q.has_ask && q.ask == ask && inv > -c && coin(sp.z3)) {
          q.has_ask = false;
          fill(-1, static_cast<double>(q.ask), true, t);
        }
        return true;
      default:  // MNs
        if (q.has_bid && q.bid == bid && inv < c && coin(sp.z3)) {
          q.has_bid = false;
          fill(1, static_cast<double>(q.bid), true, t);
        }
        return true;
    }
  }

  // One event, or the end of a step; false once the path is complete.
  HG_HD bool advance() { return event() || end_step(); }

  // The step's next event; false when the step has none left.
  HG_HD bool event() {
    if (spec->event_loop == kExactLoop) {
      hawkes::ExactPending pending;
      const int type = hawkes::exact_next<N, G1>(*m, *s, *market, t1, pending);
      if (type < 0) return false;
      const bool happens = apply(type);
      hawkes::exact_commit<N, G1>(*m, *s, *market, type, happens, pending);
      if (happens) {
        ++events;
        record_event(type, s->t, false);
      }
      return true;
    }
    const int type = published_next<N, G1>(*m, *s, *market, t1, spec->event_loop == kPublishedFixedLoop);
    if (type < 0) return false;
    if (apply(type)) {
      hawkes::add_excitation<N, G1>(*m, *s, *market, type, false);
      ++events;
      record_event(type, s->t, false);
    }
    return true;
  }

  // Closes the step (grid samples).
  HG_HD void close_step() {
    // Grid point g sits at the end of step floor((g + 1) * steps / grid) - 1.
    while (next_grid < spec->grid && (k + 1) * spec->grid >= (next_grid + 1) * spec->steps) {
      if (grid.gross) {
        grid.gross[next_grid] = gross_cash + static_cast<double>(inv) * mid();
        grid.maker[next_grid] = maker;
        grid.taker[next_grid] = taker;
      }
      ++next_grid;
    }
    ++k;
  }

  // Closes the step and opens the next; false when it was the last.
  HG_HD bool end_step() {
    close_step();
    if (done()) return false;
    open_step();
    begin_step();
    return true;
  }

  HG_HD void finish(PathResult& out) {
    move_inventory(0, spec->horizon);
    const double fees = spec->fee_maker * maker + spec->fee_taker * taker;
    out.gross_pnl = gross_cash + static_cast<double>(inv) * mid();
    out.pnl = out.gross_pnl - fees;
    out.cash = gross_cash - fees;
    out.mid = mid();
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
