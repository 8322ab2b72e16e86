// Labelled snapshots of full-depth books (depth_model.hpp): paths simulated exactly on native
// threads, each snapshot written in the engine's packed batch layout (layouts.hpp kBatchBook*:
// bid prices, bid sizes, ask prices, ask sizes, `levels` each, best first, non-empty levels only)
// and labelled from its own path's future. Path p draws only from Philox(seed, p): results never
// depend on the thread count. Plain C++; no Node or CUDA headers.
#pragma once

#include <array>
#include <atomic>
#include <cstdint>
#include <vector>

#include "../hawkes/hawkes_simulate.hpp"
#include "depth_model.hpp"

namespace hawkgraph::depth {

struct SnapshotSpec {
  int levels = 20;             // L levels a side in each snapshot
  double interval = 0.1;       // seconds between snapshots; 0: one after every event
  double warmup = 10;          // seconds simulated before the first snapshot
  double duration = 60;        // seconds of snapshots per path, after the warm-up
  // The label horizon: horizon_seconds > 0 (time), or horizon_events > 0 (the next events).
  double horizon_seconds = 0.1;
  int64_t horizon_events = 0;
  double flat_band = 0;        // ticks: |move| <= flat_band is flat
  double magnitude_scale = 1;  // ticks: magnitude = 1 - exp(-|move| / magnitude_scale)
};

struct DepthRun {
  DepthParams params;
  SnapshotSpec snapshots;
  int64_t paths = 1;
  uint64_t seed = 0;
  int threads = 1;
};

// One path's snapshots, in time order.
struct PathSnapshots {
  std::vector<double> columns;    // [n * 4 * levels]
  std::vector<int32_t> counts;    // [n * 2] bid and ask levels written
  std::vector<double> time;       // [n]
  std::vector<double> mid;        // [n] price units
  std::vector<double> move;       // [n] mid at the horizon minus mid now, ticks
  std::vector<double> magnitude;  // [n] in [0, 1)
  std::vector<double> volatility; // [n] sqrt of the summed squared mid changes over the horizon, ticks
  std::vector<int32_t> direction; // [n] 0 down, 1 flat, 2 up (the engine's probs order)
  int64_t events = 0;             // events simulated on the path (-1: cancelled)
  std::array<int64_t, kClasses> class_events{};  // of each class (EventClass order)
};

// Slot 0 of a block of snapshots, column by column (the layouts of PathSnapshots).
struct SnapshotColumns {
  double* columns;
  int32_t* counts;
  double* time;
  double* mid;
  double* move;
  double* magnitude;
  double* volatility;
  int32_t* direction;
};

// ERR_INVALID_OPTION naming the field; ERR_HAWKES_UNSTABLE for explosive excitation.
void validate_depth_run(const DepthRun& run);

// The snapshots of every path with interval > 0: the same number for all; -1 for interval 0.
int64_t snapshots_per_path(const SnapshotSpec& s);

// Every path's snapshots (index p: path p). control: progress (paths_done, events_done) and
// cancellation, may be null; a cancelled run returns what it has, `cancelled` set.
std::vector<PathSnapshots> simulate_depth(const DepthRun& run, hawkes::SimulateControl* control, bool* cancelled);

// The same for interval > 0, written in place: path p's snapshots_per_path(s) slots from slot
// p * that, its events of each class at class_events[p * kClasses ..]. No copy, no allocation per
// snapshot.
void simulate_depth_into(const DepthRun& run, const SnapshotColumns& out, double* class_events, hawkes::SimulateControl* control);

}  // namespace hawkgraph::depth
