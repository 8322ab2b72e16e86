#include "constants_wrap.hpp"

#include <initializer_list>
#include <utility>

#include "../core/features.hpp"
#include "../core/layouts.hpp"
#include "../core/limits.hpp"

namespace hawkgraph::addon {
namespace {

using Fields = std::initializer_list<std::pair<const char*, double>>;

Napi::Object frozen(Napi::Object o) {
  o.Freeze();
  return o;
}

Napi::Object record(Napi::Env env, Fields fields) {
  Napi::Object o = Napi::Object::New(env);
  for (const auto& [k, v] : fields) o.Set(k, v);
  return frozen(o);
}

Napi::Object range(Napi::Env env, const limits::IntRange& r) {
  return record(env, {{"min", r.min}, {"max", r.max}, {"default", r.fallback}});
}

Napi::Object limits_object(Napi::Env env) {
  using namespace limits;
  Napi::Object o = Napi::Object::New(env);
  o.Set("maxBookLevels", kMaxBookLevels);
  o.Set("maxBatchBooks", kMaxBatchBooks);
  o.Set("maxBatchCapacity", kMaxBatchCapacity);
  o.Set("maxBatchLevels", kMaxBatchLevels);
  o.Set("maxModelBytes", kMaxModelBytes);
  o.Set("maxEngineThreads", kMaxEngineThreads);
  o.Set("maxPeakSeconds", kMaxPeakSeconds);
  Napi::Object stream = Napi::Object::New(env);
  stream.Set("maxBatch", range(env, kStreamMaxBatch));
  stream.Set("maxWaitUs", range(env, kStreamMaxWaitUs));
  stream.Set("maxSymbols", range(env, kStreamMaxSymbols));
  stream.Set("spinUs", range(env, kStreamSpinUs));
  stream.Set("driftWindowBooks", range(env, kDriftWindowBooks));
  stream.Set("shadowQueueBooks", range(env, kShadowQueueBooks));
  o.Set("stream", frozen(stream));
  o.Set("maxHawkesDims", kMaxHawkesDims);
  o.Set("defaultMaxEvents", static_cast<double>(kDefaultMaxEvents));
  o.Set("defaultMaxStoredEvents", static_cast<double>(kDefaultMaxStoredEvents));
  o.Set("maxPaths", static_cast<double>(kMaxPaths));
  o.Set("maxSafeInteger", kMaxSafeInteger);
  o.Set("maxSimulationThreads", kMaxSimulationThreads);
  o.Set("maxJumpTicks", kMaxJumpTicks);
  o.Set("maxTicks", kMaxTicks);
  o.Set("maxSteps", kMaxSteps);
  o.Set("stepTolerance", kStepTolerance);
  o.Set("maxTimeGrid", kMaxTimeGrid);
  o.Set("maxRecordedSteps", static_cast<double>(kMaxRecordedSteps));
  o.Set("maxInventoryLimit", kMaxInventoryLimit);
  o.Set("maxPolicyBytes", static_cast<double>(kMaxPolicyBytes));
  o.Set("maxWindowGapRatio", kMaxWindowGapRatio);
  o.Set("fitKktTolerance", kFitKktTolerance);
  o.Set("fitGainTolerance", kFitGainTolerance);
  o.Set("fitMaxIterations", kFitMaxIterations);
  o.Set("maxFitThreads", kMaxFitThreads);
  o.Set("maxDepthWindow", kMaxDepthWindow);
  o.Set("maxDepthHorizonEvents", static_cast<double>(kMaxDepthHorizonEvents));
  o.Set("maxDepthExpectedEventsPerPath", kMaxDepthExpectedEventsPerPath);
  o.Set("maxDepthOutputBytes", static_cast<double>(kMaxDepthOutputBytes));
  o.Set("maxSacSteps", static_cast<double>(kMaxSacSteps));
  o.Set("maxSacBatch", kMaxSacBatch);
  o.Set("maxSacBuffer", static_cast<double>(kMaxSacBuffer));
  o.Set("maxSacGradientSteps", kMaxSacGradientSteps);
  o.Set("maxSacThreads", kMaxSacThreads);
  o.Set("maxSacHiddenLayers", kMaxSacHiddenLayers);
  o.Set("maxSacHiddenWidth", kMaxSacHiddenWidth);
  o.Set("maxSacLearningRate", kMaxSacLearningRate);
  o.Set("maxSacInitialAlpha", kMaxSacInitialAlpha);
  o.Set("maxSacTargetEntropy", kMaxSacTargetEntropy);
  o.Set("maxSacCalibrationSteps", static_cast<double>(kMaxSacCalibrationSteps));
  return frozen(o);
}

Napi::Object layouts_object(Napi::Env env) {
  Napi::Object o = Napi::Object::New(env);
  {
    namespace r = prediction_row;
    // `width` is the row without the embedding; a row holds width + embed values.
    o.Set("predictionRow", record(env, {{"direction", r::kDirection},
                                        {"logits", r::kLogits},
                                        {"probs", r::kProbs},
                                        {"confidence", r::kConfidence},
                                        {"magnitude", r::kMagnitude},
                                        {"volatility", r::kVolatility},
                                        {"levelsUsed", r::kLevelsUsed},
                                        {"model", r::kModel},
                                        {"embedding", r::kEmbedding},
                                        {"width", r::width(0)}}));
  }
  // nodeFeatures(): per node (bid0, ask0, bid1, ...), `width` values each.
  o.Set("nodeFeatures", record(env, {{"width", kNodeFeatures}}));
  {
    namespace b = batch_book;
    namespace c = batch_counts;
    o.Set("batchBook", record(env, {{"bidPrice", b::kBidPrice},
                                    {"bidSize", b::kBidSize},
                                    {"askPrice", b::kAskPrice},
                                    {"askSize", b::kAskSize},
                                    {"columns", b::kColumns}}));
    o.Set("batchCounts", record(env, {{"bids", c::kBids}, {"asks", c::kAsks}, {"width", c::kWidth}}));
  }
  {
    namespace r = stream::record;
    o.Set("streamRecord", record(env, {{"symbol", r::kSymbol},
                                       {"seq", r::kSeq},
                                       {"ts", r::kTs},
                                       {"submitNs", r::kSubmitNs},
                                       {"queueNs", r::kQueueNs},
                                       {"computeNs", r::kComputeNs},
                                       {"mid", r::kMid},
                                       {"slot", r::kSlot},
                                       {"row", r::kRow},
                                       {"width", r::kWidth}}));
    namespace m = stream::model_slot;
    o.Set("streamModelSlot", record(env, {{"primary", m::kPrimary}, {"B", m::kB}, {"shadow", m::kShadow}}));
    namespace n = stream::counter;
    o.Set("streamCounters", record(env, {{"submitted", n::kSubmitted},
                                         {"superseded", n::kSuperseded},
                                         {"discarded", n::kDiscarded},
                                         {"queued", n::kQueued},
                                         {"inFlight", n::kInFlight},
                                         {"inDelivery", n::kInDelivery},
                                         {"released", n::kReleased},
                                         {"batches", n::kBatches},
                                         {"width", n::kWidth}}));
    namespace sc = stream::shadow_counter;
    o.Set("shadowCounters", record(env, {{"offered", sc::kOffered},
                                         {"dropped", sc::kDropped},
                                         {"discarded", sc::kDiscarded},
                                         {"queued", sc::kQueued},
                                         {"delivered", sc::kDelivered},
                                         {"failed", sc::kFailed},
                                         {"batches", sc::kBatches},
                                         {"width", sc::kWidth}}));
    o.Set("streamSubmitOut", record(env, {{"superseded", stream::submit_out::kSuperseded},
                                          {"width", stream::submit_out::kWidth}}));
    namespace d = stream::discarded;
    o.Set("streamDiscarded", record(env, {{"symbol", d::kSymbol}, {"seq", d::kSeq}, {"width", d::kWidth}}));
  }
  {
    namespace s = hawkes::stats_row;
    // Then D values per block: block b starts at head + b * D, and a row holds head + blocks * D.
    o.Set("hawkesStats", record(env, {{"events", s::kEvents},
                                      {"gaps", s::kGaps},
                                      {"gapSum", s::kGapSum},
                                      {"gapSquares", s::kGapSquares},
                                      {"midChangeSum", s::kMidChangeSum},
                                      {"midChangeSquares", s::kMidChangeSquares},
                                      {"head", s::kHead},
                                      {"countsBlock", s::counts(1) - s::kHead},
                                      {"countSquaresBlock", s::count_squares(1) - s::kHead},
                                      {"terminalIntensityBlock", s::terminal_intensity(1) - s::kHead},
                                      {"blocks", s::width(1) - s::kHead}}));
  }
  {
    namespace s = backtest::callback_state;
    o.Set("backtestCallbackState", record(env, {{"path", s::kPath},
                                                {"step", s::kStep},
                                                {"time", s::kTime},
                                                {"inventory", s::kInventory},
                                                {"bid", s::kBid},
                                                {"ask", s::kAsk},
                                                {"trend", s::kTrend},
                                                {"cash", s::kCash},
                                                {"width", s::kWidth}}));
    namespace a = backtest::callback_action;
    o.Set("backtestCallbackAction", record(env, {{"bidOffset", a::kBidOffset},
                                                 {"askOffset", a::kAskOffset},
                                                 {"market", a::kMarket},
                                                 {"width", a::kWidth}}));
  }
  return frozen(o);
}

// constants() -> { limits, layouts }, frozen all the way down (lib/ reads it once at load).
Napi::Value constants(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Object o = Napi::Object::New(env);
  o.Set("limits", limits_object(env));
  o.Set("layouts", layouts_object(env));
  return frozen(o);
}

}  // namespace

void register_constants(Napi::Env env, Napi::Object exports) {
  exports.Set("constants", Napi::Function::New(env, constants, "constants"));
}

}  // namespace hawkgraph::addon
