// One path's full-depth book (depth_model.hpp): the queues a side from each best price and the
// events that change them. Allocated once per thread (reset per path); an event allocates nothing.
// Plain C++; no Node or CUDA headers.
#pragma once

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "../hawkes/hawkes_rng_cpu.hpp"
#include "../hawkes/hawkes_step.hpp"
#include "depth_model.hpp"

namespace hawkgraph::depth {

// Philox(seed, path), generated 16 blocks at a time (the same numbers as hawkes::PathRng). The
// clocks take 53-bit uniforms (their logs need the tail); the discrete choices (class, limit
// distance, cancelled unit) take 32-bit ones, one word each instead of two.
using Rng = hawkes::BatchRng;

// A Poisson draw by inversion (the means here are a few units).
inline int64_t poisson(Rng& r, double mean) {
  const double u = hawkes::rng_uniform(r);
  double p = std::exp(-mean), cdf = p;
  int64_t k = 0;
  while (u > cdf && k < 100000) {
    ++k;
    p *= mean / static_cast<double>(k);
    cdf += p;
    if (p == 0) break;  // past the mass a double holds
  }
  return k;
}

// 1 + a geometric number of units with mean `mean` (>= 1).
inline int64_t order_size(Rng& r, double mean) {
  if (mean <= 1) return 1;
  const double q = 1.0 - 1.0 / mean;  // P(size > k) = q^k
  return 1 + static_cast<int64_t>(std::floor(std::log(hawkes::rng_uniform(r)) / std::log(q)));
}

class DepthBook {
 public:
  explicit DepthBook(const DepthParams& p)
      : p_(p), bid_(p.window), ask_(p.window), theta_by_distance_(2 * static_cast<size_t>(p.window) - 1),
        blocks_((p.window + kBlock - 1) / kBlock) {
    double total = 0;
    limit_cdf_.resize(p.window);
    for (int i = 0; i < p.window; ++i) limit_cdf_[i] = (total += p.limit_rate[i]);
    limit_total_ = total;
    for (size_t k = 0; k < theta_by_distance_.size(); ++k) theta_by_distance_[k] = p.cancel_rate[std::min<size_t>(k, p.window - 1)];
    for (auto& side : block_rate_) side.assign(static_cast<size_t>(blocks_), 0.0);
  }

  // The initial book: prices from the parameters, each level at its steady depth without market
  // orders (limit_rate / cancel_rate, or far_depth where a level has no cancellations), at least
  // one unit at each best.
  void reset(Rng& r) {
    bid_px_ = p_.initial_bid;
    ask_px_ = p_.initial_ask;
    const int64_t spread = ask_px_ - bid_px_;
    for (int j = 0; j < p_.window; ++j) {
      const int i = static_cast<int>(std::min<int64_t>(spread + j, p_.window)) - 1;
      const double mean = p_.cancel_rate[i] > 0 ? p_.limit_rate[i] / p_.cancel_rate[i] : p_.far_depth;
      bid_[j] = poisson(r, mean);
      ask_[j] = poisson(r, mean);
    }
    bid_[0] = std::max<int64_t>(bid_[0], 1);
    ask_[0] = std::max<int64_t>(ask_[0], 1);
    recount();
  }

  int64_t bid_price() const { return bid_px_; }
  int64_t ask_price() const { return ask_px_; }
  double mid() const { return 0.5 * static_cast<double>(bid_px_ + ask_px_); }
  const std::vector<int64_t>& bids() const { return bid_; }
  const std::vector<int64_t>& asks() const { return ask_; }
  double limit_total() const { return limit_total_; }

  // The baseline cancellation rate of a side: each resting unit at its distance's rate.
  double cancel_total(bool bid_side) const { return std::max(0.0, bid_side ? cancel_bid_ : cancel_ask_); }  // rounding of the running sums stays >= 0

  void apply(int cls, Rng& r) {
    const int64_t spread = ask_px_ - bid_px_;
    switch (cls) {
      case MarketBuy: market(ask_, ask_px_, +1, order_size(r, p_.market_size_mean), r); break;
      case MarketSell: market(bid_, bid_px_, -1, order_size(r, p_.market_size_mean), r); break;
      case LimitBuy: limit(bid_, bid_px_, ask_px_, +1, r); break;
      case LimitSell: limit(ask_, ask_px_, bid_px_, -1, r); break;
      case CancelBid: cancel(bid_, bid_px_, -1, r); break;
      default: cancel(ask_, ask_px_, +1, r); break;
    }
    // The rates hang on distances from the opposite best: a new spread moves every level's rate.
    if (ask_px_ - bid_px_ != spread || moved_) recount();
  }

 private:
  // Each side's cancellation rate from scratch (after the spread or a side's levels moved; in
  // between, events update it by what they add or remove).
  // Also the rates of each block of kBlock levels, and theta_ for the spread now.
  void recount() {
    const int64_t spread = ask_px_ - bid_px_;
    theta_ = theta_by_distance_.data() + std::min<int64_t>(spread, p_.window) - 1;
    cancel_bid_ = cancel_ask_ = 0;
    double* bid_blocks = block_rate_[0].data();
    double* ask_blocks = block_rate_[1].data();
    for (int b = 0; b < blocks_; ++b) bid_blocks[b] = ask_blocks[b] = 0;
    for (int j = 0; j < p_.window; ++j) {
      const double bid = theta_[j] * static_cast<double>(bid_[j]), ask = theta_[j] * static_cast<double>(ask_[j]);
      cancel_bid_ += bid;
      cancel_ask_ += ask;
      bid_blocks[j / kBlock] += bid;
      ask_blocks[j / kBlock] += ask;
    }
    moved_ = false;
  }

  bool is_bid(const std::vector<int64_t>& q) const { return &q == &bid_; }
  double& total_of(const std::vector<int64_t>& q) { return is_bid(q) ? cancel_bid_ : cancel_ask_; }

  // Level j of side q gained (units > 0) or lost units: the side's rate and its block's follow.
  void add_units(std::vector<int64_t>& q, int j, int64_t units) {
    const double rate = theta_[j] * static_cast<double>(units);
    total_of(q) += rate;
    block_rate_[is_bid(q) ? 0 : 1][static_cast<size_t>(j / kBlock)] += rate;
  }

  // A limit order at distance i from the opposite best (i drawn by limit_rate); away = +1 for a
  // bid (prices below the ask), -1 for an ask.
  void limit(std::vector<int64_t>& q, int64_t& best, int64_t opposite, int away, Rng& r) {
    const double u = hawkes::rng_uniform32(r) * limit_total_;
    const int i = 1 + static_cast<int>(std::upper_bound(limit_cdf_.begin(), limit_cdf_.end() - 1, u) - limit_cdf_.begin());
    const int64_t price = opposite - away * i;
    const int64_t size = order_size(r, p_.limit_size_mean);
    const int64_t ahead = (price - best) * away;  // ticks inside the current best (> 0: a new best)
    if (ahead > 0) {
      shift_out(q, ahead);
      q[0] = size;
      best = price;
      moved_ = true;
    } else {
      const size_t j = static_cast<size_t>(-ahead);  // i - spread <= window - 1
      q[j] += size;
      add_units(q, static_cast<int>(j), size);
    }
  }

  // A market order eats the best queue and sweeps on; toward = +1 on the ask side (prices rise
  // as levels empty), -1 on the bid side.
  void market(std::vector<int64_t>& q, int64_t& best, int toward, int64_t size, Rng& r) {
    while (size > 0) {
      const int64_t take = std::min(size, q[0]);
      q[0] -= take;
      size -= take;
      if (!moved_) add_units(q, 0, -take);  // once the best moved, recount follows
      if (q[0] == 0) next_best(q, best, toward, r);
    }
  }

  // One resting unit cancels, chosen by its distance's rate: the block holding it first (most of
  // the rate rests deep in the book), then the level within it.
  void cancel(std::vector<int64_t>& q, int64_t& best, int toward, Rng& r) {
    double u = hawkes::rng_uniform32(r) * total_of(q);
    const double* block = block_rate_[is_bid(q) ? 0 : 1].data();
    int b = 0;
    for (; b + 1 < blocks_ && u > block[b]; ++b) u -= block[b];
    int j = b * kBlock;
    for (; j + 1 < p_.window; ++j) {
      if (q[j] == 0) continue;
      u -= theta_[j] * static_cast<double>(q[j]);
      if (u <= 0) break;
    }
    while (q[j] == 0) --j;  // rounding past the last queue lands on the deepest non-empty one (q[0] > 0)
    add_units(q, j, -1);
    if (--q[j] == 0 && j == 0) next_best(q, best, toward, r);
  }

  // Levels move `by` places deeper (a new best in front); the deepest fall out of the window.
  void shift_out(std::vector<int64_t>& q, int64_t by) {
    const int64_t n = p_.window;
    for (int64_t j = n - 1; j >= by; --j) q[j] = q[j - by];
    for (int64_t j = 0; j < std::min(by, n); ++j) q[j] = 0;
  }

  // The best queue emptied: the next non-empty level becomes the best, and the levels entering
  // the window from beyond it get their far depth.
  void next_best(std::vector<int64_t>& q, int64_t& best, int toward, Rng& r) {
    const int n = p_.window;
    while (q[0] == 0) {
      int j = 1;
      while (j < n && q[j] == 0) ++j;
      for (int k = 0; k + j < n; ++k) q[k] = q[k + j];
      for (int k = std::max(0, n - j); k < n; ++k) q[k] = poisson(r, p_.far_depth);
      best += toward * j;
    }
    moved_ = true;
  }

  static constexpr int kBlock = 8;  // levels a block of cancellation rates

  const DepthParams& p_;
  std::vector<int64_t> bid_, ask_;  // [window] units at bid - j, ask + j
  // theta(i) at distance i + 1 for i in [0, 2 window - 1) (the last rate beyond the window), and
  // theta_, its view from the spread now: theta_[j] is the rate of level j of either side.
  std::vector<double> theta_by_distance_;
  const double* theta_ = nullptr;
  int blocks_;
  std::array<std::vector<double>, 2> block_rate_;  // [bid, ask][block]: the rate of each kBlock levels
  std::vector<double> limit_cdf_;
  double limit_total_ = 0;
  double cancel_bid_ = 0, cancel_ask_ = 0;  // cancel_total of each side
  bool moved_ = false;                      // a side's levels shifted since the last recount
  int64_t bid_px_ = 0, ask_px_ = 0;
};

}  // namespace hawkgraph::depth
