// A full-depth order book driven by order flow: the zero-intelligence model of Cont, Stoikov and
// Talreja (2010, "A stochastic model for order book dynamics") with Hawkes self- and
// cross-excitation between its six event classes on top (as in Lu and Abergel 2018). The
// parameters, their checks and what each means. Plain C++; no Node or CUDA headers.
//
// The book: queue sizes (units) on a tick grid, `window` levels a side tracked from each best
// price. Order flow, in events per second:
// - a limit buy at distance i ticks from the best ask (price ask - i), i = 1 .. window, at rate
//   limit_rate[i - 1]; a limit sell at distance i from the best bid, the same rates;
// - a market buy (sell) at rate market_rate: it takes units from the best ask (bid), sweeping
//   further levels when it is larger than the best queue;
// - each resting unit at distance i from the opposite best cancels at rate cancel_rate[i - 1]
//   (units further than `window` at the last rate);
// - on top of these baseline rates, every event of class l adds alpha[k][l] to class k's
//   intensity, decaying as exp(-beta t) (one beta: all components decay together).
// Sizes are 1 + a geometric number of units with the given means (1: unit orders, as CST).
// Levels entering the window from beyond it (after the best moved away) hold a Poisson number of
// units with mean far_depth: the book beyond the window is at a steady depth.
#pragma once

#include <array>
#include <cstdint>
#include <vector>

namespace hawkgraph::depth {

// The event classes, in the order of alpha's rows and columns.
enum EventClass : int { MarketBuy, MarketSell, LimitBuy, LimitSell, CancelBid, CancelAsk };
constexpr int kClasses = 6;

struct DepthParams {
  int window = 0;                   // levels tracked a side
  std::vector<double> limit_rate;   // [window] lambda(i), i = 1 .. window
  std::vector<double> cancel_rate;  // [window] theta(i), per resting unit
  double market_rate = 0;           // mu, per side
  double limit_size_mean = 1;       // >= 1
  double market_size_mean = 1;      // >= 1
  double far_depth = 1;             // > 0: units a level entering the window holds, on average
  std::array<double, kClasses * kClasses> alpha{};  // [target * 6 + source]
  double beta = 1;
  double tick = 0.01;
  int64_t initial_bid = 0, initial_ask = 1;  // ticks
};

// ERR_INVALID_OPTION naming the field and value; ERR_HAWKES_UNSTABLE when the spectral radius of
// alpha / beta is >= 1 (the excitation would explode).
void validate_depth_params(const DepthParams& p);

// The spectral radius of alpha / beta.
double depth_excitation_radius(const DepthParams& p);

}  // namespace hawkgraph::depth
