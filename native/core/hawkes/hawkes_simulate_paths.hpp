// What the CPU simulators (the scalar driver and the vector ones) share: a path's
// stored events, the run a block of paths belongs to, how a finished path becomes a statistics
// row, and the entry points of the vector simulators. Plain C++; no Node or CUDA headers.
#pragma once

#include <atomic>
#include <cstdint>
#include <vector>

#include "event_store.hpp"
#include "hawkes_simulate.hpp"

namespace hawkgraph::hawkes {

constexpr int64_t kCancelPollEvents = 1 << 16;  // events between progress reports and cancel checks
constexpr int64_t kStoredChunk = 1 << 12;       // events a path stores between checks of the global bound

struct StoredEvents {
  std::vector<EventArena> arenas;  // own every chunk
  std::vector<PathEvents> paths;
};

// What every block of paths reads from the run it belongs to.
struct BlockRun {
  const HawkesModel& model;
  const SimulateOptions& opt;
  SimulateControl* control;
  std::atomic<int64_t>* stored;  // events stored by all workers, counted in chunks
  std::vector<PathEvents>& events;  // [paths], empty with stats_only
  EventColumns columns;
};

// Accounts one more chunk of kStoredChunk stored events; throws ERR_OUT_OF_MEMORY past the bound.
void count_stored_chunk(const BlockRun& run);

// A path's running statistics.
struct PathTally {
  int64_t n = 0;
  double gap_sum = 0, gap_sq = 0;
  int64_t bid = 0, ask = 0;
};

// Writes a finished path's statistics row (hawkes_simulate.hpp layout). Decays s to end_time, or
// leaves it at its last event when the path was cut at max_events.
void write_stats_row(const HawkesTables& m, const SimulateOptions& opt, PathState& s, const PathTally& tally,
                     const double* counts, double* row);

// The vector exact simulators (hawkes_simulate_lanes.inl): eight lanes on AVX-512 F and DQ, four on
// AVX2 and FMA. They run the exact method for models with one decay rate per excited dimension.
enum class LaneSimulator { None, Avx2, Avx512 };

// The widest one this build compiled and this CPU runs, for this model and method;
// $HAWKGRAPH_CPU_KERNELS narrows it ("avx2": at most AVX2, "portable": none, the scalar driver).
LaneSimulator lane_simulator(const HawkesModel& model, const SimulateOptions& opt);

// Whether this build compiled each (its compiler took the ISA's flags).
bool avx512_simulator_built();
bool avx2_simulator_built();

// Run paths [first, end) kLanes at a time, one per vector lane, drawing exactly the numbers the
// scalar driver draws for each path; write path p's statistics row at rows + (p - first) * W and
// its events (unless stats_only) into run.events[p] from `arena`. Return false when cancelled
// (the rows are then incomplete).
bool simulate_block_avx512(const BlockRun& run, EventArena& arena, int64_t first, int64_t end, double* rows);
bool simulate_block_avx2(const BlockRun& run, EventArena& arena, int64_t first, int64_t end, double* rows);

}  // namespace hawkgraph::hawkes
