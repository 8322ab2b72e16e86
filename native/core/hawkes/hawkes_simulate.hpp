// CPU simulation of Hawkes paths (and the LOB model on top) on native threads. Paths are
// independent; path p draws only from Philox(seed, p), so results never depend on the thread
// count. Statistics are reduced over fixed blocks of paths in path order for the same reason.
// The AVX2 / AVX-512 lane simulators (hawkes_simulate_lanes.inl) stay in the core: they are this
// simulator's own vector code, chosen from cpuid inside simulate(), not a backend one can pick.
#pragma once

#include <atomic>
#include <cstdint>
#include <memory>
#include <vector>

#include "../layouts.hpp"
#include "../limits.hpp"
#include "hawkes_model.hpp"
#include "hawkes_rng_cpu.hpp"

namespace hawkgraph::hawkes {

enum class Method { Exact, Thinning };

struct LobSpec {
  double jump_location[8];  // ticks
  double jump_scale[8];     // ticks
  int64_t initial_bid;      // ticks
  int64_t initial_ask;      // ticks
};

struct SimulateOptions {
  double end_time = 0;
  uint64_t seed = 0;
  int64_t paths = 1;
  int64_t max_events = 0;  // per path; a path that reaches it stops and is marked truncated
  int threads = 1;
  Method method = Method::Exact;
  bool intensity = false;   // store the intensity of each event's type just before it
  bool stats_only = false;  // keep only the statistics (hawkes_step.hpp stats layout)
  const LobSpec* lob = nullptr;
  // A shard of a larger run (a distributed simulation): this run's path p is path first_path + p
  // of a run of total_paths paths (0: paths), drawing from Philox(seed, first_path + p). The
  // statistics blocks are that whole run's (absolute path ranges), and a block this shard covers
  // only in part is summed one path per block, so the coordinator can refold every block exactly.
  int64_t first_path = 0;
  int64_t total_paths = 0;
  bool block_rows = false;  // also return every block's row (SimulateResult::block_rows)
  // Bound on the events stored over all paths (not with stats_only), so a long run fails with
  // ERR_OUT_OF_MEMORY instead of exhausting the host's memory.
  int64_t max_stored_events = limits::kDefaultMaxStoredEvents;
};

// The ERR_OUT_OF_MEMORY raised when a simulation would store more than max_stored_events.
[[noreturn]] void throw_too_many_events(int64_t limit);

// Progress and cancellation shared with the caller's thread.
struct SimulateControl {
  std::atomic<bool> cancel{false};
  std::atomic<int64_t> paths_done{0};
  std::atomic<int64_t> events_done{0};
};

// A CPU run's events, still in the chunks its threads stored them in (hawkes_simulate_paths.hpp).
struct StoredEvents;

// Event columns come either in the vectors below (the CUDA backend) or in `stored` (the CPU);
// event_count and copy_event_columns read both the same way.
struct SimulateResult {
  std::vector<double> times;
  std::vector<int32_t> types;
  std::vector<double> intensity;     // when requested
  std::vector<double> path_offsets;  // [paths + 1] (doubles: JS reads them as a Float64Array)
  std::vector<uint8_t> truncated;    // [paths]
  std::vector<double> bid, ask;      // LOB: best prices in ticks after each event
  std::vector<int32_t> jump;         // LOB: ticks a price moved by
  std::vector<double> stats;         // stats_row_width(D) sums over paths (always filled)
  std::vector<double> block_rows;    // with block_rows: one row per block, in path order
  int64_t stats_block = 0;           // the paths of a whole statistics block
  std::shared_ptr<const StoredEvents> stored;
  bool cancelled = false;
};

// The statistics row (sums over paths) is laid out as layouts.hpp stats_row says.
constexpr int kStatsHead = stats_row::kHead;
inline int stats_row_width(int dims) { return stats_row::width(dims); }

// Validates the options (ERR_INVALID_OPTION naming the field) and runs. Blocks the calling
// thread, which takes part in the work.
SimulateResult simulate(const HawkesModel& model, const SimulateOptions& options, SimulateControl* control);

void validate_simulate_options(const SimulateOptions& options);

// The paths of a statistics block of a run of `paths` paths: depends only on the whole run's
// size, so the statistics do not depend on the thread count (nor on how a run is sharded).
int64_t stats_block_size(int64_t paths);

// The price of one tick that turns LOB tick prices into prices: ERR_INVALID_OPTION unless it is a
// finite number > 0.
void check_tick(double tick);

// Every event raises the total intensity by at most the largest column sum of alpha, so a path of
// max_events events stays below sum(mu) + max_events * that. Beyond the float64 range intensities
// become Infinity (then NaN) and thinning, whose bound is the total intensity, would never
// advance: ERR_INVALID_OPTION when that bound passes 1e300.
void check_intensity_bound(const HawkesParams& params, int64_t max_events);

// Where copy_event_columns writes: event_count entries each; a null pointer skips a column.
struct EventColumnsOut {
  double* times = nullptr;
  int32_t* types = nullptr;
  double* intensity = nullptr;
  double* bid = nullptr;  // LOB prices: ticks * tick
  double* ask = nullptr;
  double* mid = nullptr;  // 0.5 * (bid + ask) * tick
  int32_t* jump = nullptr;
};

size_t event_count(const SimulateResult& result);

// Copies a result's events, in path order, into caller memory (a JS engine's arrays, so they are
// written once), turning LOB prices from ticks into prices on the way.
void copy_event_columns(const SimulateResult& result, const EventColumnsOut& out, double tick);

}  // namespace hawkgraph::hawkes
