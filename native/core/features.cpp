#include "features.hpp"

#include <algorithm>
#include <cmath>

namespace hawkgraph {

int levels_used(const BookView& book, int model_levels) {
  return std::min({model_levels, book.bids.count, book.asks.count});
}

int build_node_features(const BookView& book, int model_levels, const double* order_flow, double* out) {
  const int L = levels_used(book, model_levels);
  const double mid = (book.bids.price[0] + book.asks.price[0]) / 2;
  // Sum in level order, as numpy's pairwise sum does for short arrays, to match to 1e-15.
  double bid_total = 0, ask_total = 0;
  for (int i = 0; i < L; ++i) {
    bid_total += book.bids.size[i];
    ask_total += book.asks.size[i];
  }
  bid_total += 1e-8;
  ask_total += 1e-8;
  for (int i = 0; i < L; ++i) {
    const double level_frac = static_cast<double>(i) / L;
    const double inv_rank = 1.0 / (i + 1);
    double* bid = out + (2 * i) * kNodeFeatures;
    double* ask = bid + kNodeFeatures;
    const double bid_size = book.bids.size[i], ask_size = book.asks.size[i];
    bid[0] = 1.0;
    bid[1] = std::log1p(bid_size);
    bid[2] = (mid - book.bids.price[i]) / mid;
    bid[3] = order_flow ? order_flow[2 * i] : 0.0;
    bid[4] = level_frac;
    bid[5] = inv_rank;
    bid[6] = bid_size / bid_total;
    bid[7] = 0.0;
    ask[0] = 0.0;
    ask[1] = std::log1p(ask_size);
    ask[2] = (book.asks.price[i] - mid) / mid;
    ask[3] = order_flow ? order_flow[2 * i + 1] : 0.0;
    ask[4] = level_frac;
    ask[5] = inv_rank;
    ask[6] = ask_size / ask_total;
    ask[7] = 0.0;
  }
  return L;
}

void order_flow_per_ms(const BookView& now, const BookView* prev, double dt_ms, int model_levels, double* out) {
  const int L = levels_used(now, model_levels);
  const bool usable = prev != nullptr && dt_ms > 0;
  for (int i = 0; i < L; ++i) {
    out[2 * i] = usable && i < prev->bids.count ? (now.bids.size[i] - prev->bids.size[i]) / dt_ms : 0.0;
    out[2 * i + 1] = usable && i < prev->asks.count ? (now.asks.size[i] - prev->asks.size[i]) / dt_ms : 0.0;
  }
}

}  // namespace hawkgraph
