// Every record the addon writes into (or reads from) a Float64Array by position, named once. The
// C++ writers index with these names and the addon's constants() exports them to JS
// (layouts.*), so lib/ reads the same offsets instead of a hand-kept copy. Plain C++.
#pragma once

#include "host_device.hpp"

namespace hawkgraph {

// One prediction as a row of doubles (predict(), and each stream record from stream_record::kRow).
namespace prediction_row {
constexpr int kDirection = 0;   // 0 down, 1 flat, 2 up
constexpr int kLogits = 1;      // 3 values
constexpr int kProbs = 4;       // 3 values
constexpr int kConfidence = 7;
constexpr int kMagnitude = 8;
constexpr int kVolatility = 9;
constexpr int kLevelsUsed = 10;
constexpr int kModel = 11;      // the serial of the model that made it (the addon maps it to its id)
constexpr int kEmbedding = 12;  // E values
constexpr int width(int embed) { return kEmbedding + embed; }
}  // namespace prediction_row

// predictBatch's packed books: book k's columns from k * kColumns * L, L values each; its level
// counts at [kWidth k + kBids], [kWidth k + kAsks] of the counts array.
namespace batch_book {
constexpr int kBidPrice = 0;
constexpr int kBidSize = 1;
constexpr int kAskPrice = 2;
constexpr int kAskSize = 3;
constexpr int kColumns = 4;
}  // namespace batch_book
namespace batch_counts {
constexpr int kBids = 0;
constexpr int kAsks = 1;
constexpr int kWidth = 2;
}  // namespace batch_counts

namespace stream {

// One delivered book as a row of doubles in a result block, copied to the stream's inbox.
namespace record {
constexpr int kSymbol = 0;
constexpr int kSeq = 1;
constexpr int kTs = 2;
constexpr int kSubmitNs = 3;   // steady clock at submit
constexpr int kQueueNs = 4;    // submit -> its batch started
constexpr int kComputeNs = 5;  // the batch's forward pass
constexpr int kMid = 6;        // (best bid + best ask) / 2 of the book as submitted
constexpr int kSlot = 7;       // which of the stream's models answered (model_slot::*)
constexpr int kRow = 8;        // prediction_row values up to (not including) the embedding
constexpr int kWidth = kRow + prediction_row::kEmbedding;
}  // namespace record

// A record's kSlot: the primary model, the A/B split's model B, or a shadow (its own records).
namespace model_slot {
constexpr int kPrimary = 0;
constexpr int kB = 1;
constexpr int kShadow = 2;
}  // namespace model_slot

// counters(out): the stream's counters in this order.
namespace counter {
constexpr int kSubmitted = 0;
constexpr int kSuperseded = 1;
constexpr int kDiscarded = 2;
constexpr int kQueued = 3;
constexpr int kInFlight = 4;
constexpr int kInDelivery = 5;
constexpr int kReleased = 6;
constexpr int kBatches = 7;
constexpr int kWidth = 8;
}  // namespace counter

// A shadow's counters(out), in this order (ShadowCounters).
namespace shadow_counter {
constexpr int kOffered = 0;
constexpr int kDropped = 1;
constexpr int kDiscarded = 2;
constexpr int kQueued = 3;
constexpr int kDelivered = 4;
constexpr int kFailed = 5;
constexpr int kBatches = 6;
constexpr int kWidth = 7;
}  // namespace shadow_counter

// submit()'s submitOut: the seq of the book it superseded, or 0.
namespace submit_out {
constexpr int kSuperseded = 0;
constexpr int kWidth = 1;
}  // namespace submit_out

// close()'s discarded books: [symbol, seq] pairs.
namespace discarded {
constexpr int kSymbol = 0;
constexpr int kSeq = 1;
constexpr int kWidth = 2;
}  // namespace discarded

}  // namespace stream

namespace hawkes {

// The statistics row of a simulation (sums over paths): events, gaps (consecutive events within a
// path), sum of gaps, sum of squared gaps, sum of final mid changes (ticks, LOB), their squares,
// then D counts per type, D squared counts per type (for the variance of counts), D intensities
// at end_time.
namespace stats_row {
constexpr int kEvents = 0;
constexpr int kGaps = 1;
constexpr int kGapSum = 2;
constexpr int kGapSquares = 3;
constexpr int kMidChangeSum = 4;
constexpr int kMidChangeSquares = 5;
constexpr int kHead = 6;
// Where each block of D values starts (the device kernels write the row too).
HG_HD constexpr int counts(int) { return kHead; }
HG_HD constexpr int count_squares(int dims) { return kHead + dims; }
HG_HD constexpr int terminal_intensity(int dims) { return kHead + 2 * dims; }
HG_HD constexpr int width(int dims) { return kHead + 3 * dims; }
}  // namespace stats_row

}  // namespace hawkes

namespace backtest {

// The state a JS strategy callback reads each step (prices in ticks).
namespace callback_state {
constexpr int kPath = 0;
constexpr int kStep = 1;
constexpr int kTime = 2;
constexpr int kInventory = 3;
constexpr int kBid = 4;
constexpr int kAsk = 5;
constexpr int kTrend = 6;
constexpr int kCash = 7;
constexpr int kWidth = 8;
}  // namespace callback_state

// The action it returns: offsets in ticks from the mid (NaN: no quote), and a market order
// (> 0 buy, < 0 sell, 0 none).
namespace callback_action {
constexpr int kBidOffset = 0;
constexpr int kAskOffset = 1;
constexpr int kMarket = 2;
constexpr int kWidth = 3;
}  // namespace callback_action

}  // namespace backtest

}  // namespace hawkgraph
