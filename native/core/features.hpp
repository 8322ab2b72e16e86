// Book -> node features, exactly as the reference defines them
// (../shared/tools/torch_reference.py; its fixtures in test/fixtures): float64, 8 per node, nodes
// interleaved bid0, ask0, bid1, ask1, ...
#pragma once

#include "book.hpp"

namespace hawkgraph {

constexpr int kNodeFeatures = 8;

// The features whose value depends only on the node's place (side, level) and the levels used,
// not on the book's prices or sizes: is_bid, level_frac, inv_rank, reserved. (Drift histograms
// bin them once per depth instead of per book.)
constexpr bool kPlaceOnlyFeature[kNodeFeatures] = {true, false, false, false, true, true, false, true};

// Levels a book contributes for a model of depth `model_levels`: min(L, #bids, #asks).
int levels_used(const BookView& book, int model_levels);

// Writes 2 * levels_used(...) rows of kNodeFeatures doubles into `out`. `order_flow` is an
// optional per-node value (nullptr: 0, as in the fixtures). Returns the levels used.
// The book must already be validated.
int build_node_features(const BookView& book, int model_levels, const double* order_flow, double* out);

// Order flow between two snapshots of one symbol's book, per node in the same interleaved order
// (bid0, ask0, ...): (size_now[i] - size_prev[i]) / dt_ms for that side, as the original
// preprocessing's calculate_order_flow does. 0 where there is no previous snapshot (`prev`
// nullptr), dt_ms <= 0, or level i is beyond the previous book's side. Writes
// 2 * levels_used(now, model_levels) values; both books must already be validated.
void order_flow_per_ms(const BookView& now, const BookView* prev, double dt_ms, int model_levels, double* out);

}  // namespace hawkgraph
