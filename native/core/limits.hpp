// Every bound, default and rule the package applies to its inputs, written once. The core and the
// addon check against these names, and the addon's constants() exports them to JS (limits.*) so
// lib/ validates with the same numbers before native code runs. Plain C++; no Node headers.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

namespace hawkgraph::limits {

// ---- Books and the GNN engine ----
// Levels one side of a book may carry into the addon (the model reads at most its own depth).
constexpr int32_t kMaxBookLevels = int32_t{1} << 24;
// Books one predictBatch() takes, and the capacity of one BookBatch.
constexpr int32_t kMaxBatchBooks = int32_t{1} << 30;
constexpr int32_t kMaxBatchCapacity = int32_t{1} << 24;
// Levels a BookBatch holds per side.
constexpr int32_t kMaxBatchLevels = int32_t{1} << 16;
// A model file is read whole into one Uint8Array.
constexpr double kMaxModelBytes = 2147483647.0;  // 2^31 - 1
// How long one measurement of the CPU's peak may run (seconds, per kernel kind).
constexpr double kMaxPeakSeconds = 10;
// Host threads of an engine (the CPU backend's forward threads, a staged backend's stagers).
constexpr int kMaxEngineThreads = 256;

// ---- The streaming scheduler: { min, max, default } of each option ----
struct IntRange {
  int32_t min, max, fallback;
};
constexpr IntRange kStreamMaxBatch{1, 4096, 32};
constexpr IntRange kStreamMaxWaitUs{0, 1000000, 0};
constexpr IntRange kStreamMaxSymbols{1, 1 << 16, 1024};
constexpr IntRange kStreamSpinUs{0, 10000, 0};
// Input drift: the sliding window of books the histograms cover (0 turns them off).
constexpr IntRange kDriftWindowBooks{100, 100000000, 10000};
// A shadow model's queue of books waiting for its thread (beyond it they are dropped, counted).
constexpr IntRange kShadowQueueBooks{1, 1 << 20, 4096};

// ---- Hawkes processes, the LOB model, backtests ----
constexpr int kMaxHawkesDims = 64;
// Events one path may hold before it stops (truncated), unless the caller says otherwise.
constexpr int64_t kDefaultMaxEvents = 10000000;
// Events stored over all paths of one simulation: 2^28 events are about 3 GiB.
constexpr int64_t kDefaultMaxStoredEvents = int64_t{1} << 28;
constexpr int64_t kMaxPaths = int64_t{1} << 40;
constexpr double kMaxSafeInteger = 9007199254740991.0;  // 2^53 - 1: seeds, event budgets
// Threads of a simulation or a backtest.
constexpr int kMaxSimulationThreads = 1024;
// Jump location and scale (ticks): J = location + scale * Exp(1) then stays below 2^31 (the
// Int32Array of jumps) and 64-bit tick prices cannot overflow.
constexpr double kMaxJumpTicks = 1e6;
// A price in ticks (initial bid / ask) stays within +-2^52, where every integer is a double.
constexpr double kMaxTicks = 4503599627370496.0;  // 2^52
// Steps of a backtest (horizon / dt) and the tolerance of the step rule below.
constexpr double kMaxSteps = 1e9;
constexpr double kStepTolerance = 1e-9;
// Points of a backtest's time grid, and records a run may keep (paths * steps).
constexpr int32_t kMaxTimeGrid = 100000;
constexpr int64_t kMaxRecordedSteps = int64_t{1} << 22;
constexpr double kMaxInventoryLimit = 1e15;
// Hawkes calibration. An observation window [startTime, endTime] is refused when an empty
// stretch at either end is longer than this many mean gaps between its events (the gaps of a
// stationary process are about exponential: such a stretch has probability ~e^-1000; in practice
// it is epoch timestamps read against a window that starts at 0).
constexpr double kMaxWindowGapRatio = 1000;
// A fitted row (mu_k, alpha[k][*]) is a maximum when a further Newton step would gain less than
// kFitGainTolerance nats (half the squared Newton decrement on the free coordinates) and every
// standardised gradient |g_j| / sqrt(-H_jj) on a free coordinate, and every positive one at a
// coordinate held at 0, is at most kFitKktTolerance (moving it alone could gain < 5e-9 nats).
// Tighter is not resolvable: f is a sum of n_k logs, its rounding about 1e-12 |f|.
constexpr double kFitKktTolerance = 1e-4;
constexpr double kFitGainTolerance = 1e-9;
// Newton iterations one row may take before the fit reports converged: false for it (a safety
// net: the projected Newton method of hawkes_row_solver takes 3 to 15 where measured, D = 1 to 64).
constexpr int kFitMaxIterations = 500;
// Rows of a fit that share one decay rate (a scalar beta) get their statistics from one pass
// over the stream, held together until solved: at most this many bytes of them a pass (a pass
// costs O(n D); D = 8 at 1e6 events needs 72 MiB, D = 64 at 1e6 three passes).
constexpr int64_t kFitSharedStatisticsBytes = int64_t{256} << 20;
// Native threads of a fit (rows run in parallel).
constexpr int kMaxFitThreads = 256;
// Full-depth book simulation (core/depth). Levels tracked a side; rates (events per second),
// mean order sizes and times (seconds) each below a bound that keeps the arithmetic exact enough.
constexpr int kMaxDepthWindow = 1024;
constexpr double kMaxDepthRate = 1e9;
constexpr double kMaxDepthSizeMean = 1e9;
constexpr double kMaxDepthSeconds = 1e9;
constexpr int64_t kMaxDepthHorizonEvents = 1000000000;
// A path keeps its events (time, mid) for the labels: 24 bytes each, so its expected events
// (baseline rates over 1 - the excitation's spectral radius, times its length) stay below this.
constexpr double kMaxDepthExpectedEventsPerPath = 1e7;
// Snapshots one call returns (4 * levels + 8 doubles each with their labels).
constexpr int64_t kMaxDepthOutputBytes = int64_t{2} << 30;
// A policy file (safetensors MLP) is read whole.
constexpr int64_t kMaxPolicyBytes = int64_t{64} << 20;
// ---- SAC training (trainPolicy) ----
// Environment steps of one training run, and the steps before the first update or between two.
constexpr int64_t kMaxSacSteps = int64_t{1} << 40;
// Rows of one minibatch.
constexpr int32_t kMaxSacBatch = 1 << 16;
// Transitions the replay buffer holds: 2^26 transitions of the LOB env are about 2.5 GiB.
constexpr int64_t kMaxSacBuffer = int64_t{1} << 26;
// Updates after each train_freq steps.
constexpr int32_t kMaxSacGradientSteps = 1000;
// Threads of an update: the twin critics' two tasks.
constexpr int kMaxSacThreads = 2;
// Hidden layers of the actor and critics: the policy file holds at most 8 layers of at most 256
// units (backtest::kMaxMlpLayers, kMaxMlpWidth), the output layer among them.
constexpr int kMaxSacHiddenLayers = 7;
constexpr int kMaxSacHiddenWidth = 256;
// Adam's learning rate, the initial entropy coefficient and |target entropy|.
constexpr double kMaxSacLearningRate = 1;
constexpr double kMaxSacInitialAlpha = 1e6;
constexpr double kMaxSacTargetEntropy = 1e6;
// Environment steps of random actions that set the LOB env's z-scores (spread and trend).
constexpr int64_t kMaxSacCalibrationSteps = int64_t{1} << 32;

// The step rule: a backtest of `horizon` seconds in steps of `dt` runs ceil(horizon / dt) steps,
// at least 1, with a tolerance so 0.3 / 0.1 is 3 steps, not 4. 0 when either is not a finite
// number > 0. (A double: a count past kMaxSteps is refused, and said, as it is.)
inline double backtest_steps(double horizon, double dt) {
  if (!(std::isfinite(horizon) && std::isfinite(dt) && dt > 0 && horizon > 0)) return 0;
  return std::max(1.0, std::ceil(horizon / dt - kStepTolerance));
}
// The same as a count, saturated just past kMaxSteps (which validation then refuses).
inline int64_t backtest_step_count(double horizon, double dt) {
  return static_cast<int64_t>(std::min(backtest_steps(horizon, dt), kMaxSteps + 1));
}

// The thread-count default of simulations and backtests: one per core, no more than the paths.
inline int default_threads(int cores, int64_t paths) {
  return static_cast<int>(std::max<int64_t>(1, std::min<int64_t>(std::min(cores, kMaxSimulationThreads), paths)));
}

}  // namespace hawkgraph::limits
