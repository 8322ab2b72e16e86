// Hawkes (and LOB) path simulation on the GPU: one path per thread, running the very step
// functions the CPU runs (core/hawkes/hawkes_step.hpp, compiled here as __host__ __device__).
//
// Two modes:
//  - statistics only (the Monte Carlo case, >= 100k paths): each thread runs its path to the
//    end keeping counts and moments in local memory; a warp-shuffle reduction and one atomicAdd
//    per warp and field sum them on the device. Nothing per event touches global memory.
//  - events: each path's state lives in global memory between launches; a launch advances
//    every unfinished path by at most `chunk` events into a [paths x chunk] staging buffer,
//    which is copied back and appended per path, until every path is done (events stream back
//    in chunks, so device memory stays bounded whatever the path lengths).
// Launches cover at most kPathsPerLaunch paths so cancellation and progress are checked often.
#include <cuda_runtime.h>

#include <algorithm>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../../core/error.hpp"
#include "../../core/hawkes/hawkes_step.hpp"
#include "cuda_check.cuh"
#include "hawkes_cuda.hpp"
#include "hawkes_device_model.cuh"

namespace hawkgraph::cuda {
namespace {

using hawkes::HawkesTables;
using hawkes::PathRng;
using hawkes::PathState;

constexpr int kThreadsPerBlock = 128;
constexpr int64_t kPathsPerLaunch = 1 << 18;

struct KernelArgs {
  HawkesTables m;
  hawkes::LobTables lob;  // device pointers, or null
  bool has_lob;
  double end_time;
  int64_t max_events;
  uint64_t seed;
  int64_t initial_bid, initial_ask;
  int64_t path_base, path_count;
  // statistics mode
  double* stats_sum;  // [W]
  // events mode
  unsigned char* states;  // [path_count * state_bytes]
  int chunk;
  double* ev_time;
  int32_t* ev_type;
  double* ev_lambda;
  double* ev_bid;
  double* ev_ask;
  int32_t* ev_jump;
  int32_t* ev_count;   // [path_count] events written this launch
  double* path_stats;  // [path_count * W], written when a path completes
};

// A path between launches (events mode).
template <int MAXC>
struct DevicePath {
  PathRng rng;
  double t, next_base, last, gap_sum, gap_sq;
  int64_t n, bid, ask;
  int done;
  double y[MAXC], next[MAXC], counts[MAXC];
};

template <int MAXC>
__device__ void write_stats_row(const KernelArgs& a, PathState& s, const double* counts, int64_t n, double gap_sum,
                                double gap_sq, int64_t bid, int64_t ask, double* row) {
  const HawkesTables& m = a.m;
  hawkes::decay_to(m, s, n >= a.max_events ? s.t : a.end_time);
  namespace r = hawkes::stats_row;
  row[r::kEvents] = static_cast<double>(n);
  row[r::kGaps] = n > 0 ? static_cast<double>(n - 1) : 0.0;
  row[r::kGapSum] = gap_sum;
  row[r::kGapSquares] = gap_sq;
  const double dmid = a.has_lob ? 0.5 * static_cast<double>(bid + ask - a.initial_bid - a.initial_ask) : 0.0;
  row[r::kMidChangeSum] = dmid;
  row[r::kMidChangeSquares] = dmid * dmid;
  const int D = m.dims;
  for (int k = 0; k < D; ++k) {
    row[r::counts(D) + k] = counts[k];
    row[r::count_squares(D) + k] = counts[k] * counts[k];
    row[r::terminal_intensity(D) + k] = hawkes::dim_intensity(m, s, k);
  }
}

// Fast: 8 components in one decay group with one component per dimension (the LOB model with one
// beta): every loop over components unrolls with constant indices, so the amplitudes stay in
// registers instead of local memory.
template <int MAXC, bool Exact, bool Fast>
__global__ void hawkes_stats_kernel(KernelArgs a) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  const bool active = i < a.path_count;
  const HawkesTables& m = a.m;
  const int D = m.dims;
  double y[MAXC], next[MAXC], decay[MAXC], counts[MAXC];
  // 6 + 3 * D fields, at most 6 + 3 * MAXC.
  double row[hawkes::kStatsHead + 3 * MAXC];
  const int W = hawkes::kStatsHead + 3 * D;
  for (int j = 0; j < W; ++j) row[j] = 0.0;
  if (active) {
    PathState s{0.0, 0.0, y, next, decay};
    PathRng rng;
    hawkes::rng_init(rng, a.seed, static_cast<uint64_t>(a.path_base + i));
    if (Fast) {
      hawkes::hawkes_init<8, true>(m, s, rng);
    } else {
      hawkes::hawkes_init(m, s, rng);
    }
    for (int k = 0; k < D; ++k) counts[k] = 0.0;
    int64_t n = 0, bid = a.initial_bid, ask = a.initial_ask;
    double last = 0.0, gap_sum = 0.0, gap_sq = 0.0;
    while (n < a.max_events) {
      double lambda;
      int type;
      if (Fast) {
        type = Exact ? hawkes::exact_step<8, true>(m, s, rng, a.end_time, &lambda)
                     : hawkes::thinning_step<8, true>(m, s, rng, a.end_time, &lambda);
      } else {
        type = Exact ? hawkes::exact_step(m, s, rng, a.end_time, &lambda)
                     : hawkes::thinning_step(m, s, rng, a.end_time, &lambda);
      }
      if (type < 0) break;
      if (n > 0) {
        const double g = s.t - last;
        gap_sum += g;
        gap_sq += g * g;
      }
      last = s.t;
      counts[type] += 1.0;
      if (a.has_lob) hawkes::lob_apply(a.lob, rng, type, bid, ask);
      ++n;
    }
    if (Fast) {
      hawkes::decay_to<8, true>(m, s, n >= a.max_events ? s.t : a.end_time);
      namespace r = hawkes::stats_row;
      row[r::kEvents] = static_cast<double>(n);
      row[r::kGaps] = n > 0 ? static_cast<double>(n - 1) : 0.0;
      row[r::kGapSum] = gap_sum;
      row[r::kGapSquares] = gap_sq;
      const double dmid = a.has_lob ? 0.5 * static_cast<double>(bid + ask - a.initial_bid - a.initial_ask) : 0.0;
      row[r::kMidChangeSum] = dmid;
      row[r::kMidChangeSquares] = dmid * dmid;
#pragma unroll
      for (int k = 0; k < 8; ++k) {
        row[r::counts(8) + k] = counts[k];
        row[r::count_squares(8) + k] = counts[k] * counts[k];
        row[r::terminal_intensity(8) + k] = m.mu[k] + y[k];
      }
    } else {
      write_stats_row<MAXC>(a, s, counts, n, gap_sum, gap_sq, bid, ask, row);
    }
  }
  // Sum over the warp by shuffles, then one atomicAdd per warp and field.
  const unsigned lane = threadIdx.x & 31u;
  for (int j = 0; j < W; ++j) {
    double v = row[j];
    for (int offset = 16; offset > 0; offset >>= 1) v += __shfl_down_sync(0xffffffffu, v, offset);
    if (lane == 0 && v != 0.0) atomicAdd(&a.stats_sum[j], v);
  }
}

template <int MAXC, bool Exact>
__global__ void hawkes_events_kernel(KernelArgs a) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= a.path_count) return;
  DevicePath<MAXC>& dp = reinterpret_cast<DevicePath<MAXC>*>(a.states)[i];
  a.ev_count[i] = 0;
  if (dp.done) return;
  const HawkesTables& m = a.m;
  double y[MAXC], next[MAXC], decay[MAXC];
  for (int c = 0; c < m.comps; ++c) y[c] = dp.y[c];
  for (int g = 0; g < m.groups; ++g) next[g] = dp.next[g];
  PathState s{dp.t, dp.next_base, y, next, decay};
  PathRng rng = dp.rng;
  int64_t n = dp.n, bid = dp.bid, ask = dp.ask;
  double last = dp.last, gap_sum = dp.gap_sum, gap_sq = dp.gap_sq;
  const size_t base = static_cast<size_t>(i) * a.chunk;
  int written = 0;
  bool finished = false;
  while (written < a.chunk) {
    if (n >= a.max_events) {
      finished = true;
      break;
    }
    double lambda;
    const int type = Exact ? hawkes::exact_step(m, s, rng, a.end_time, &lambda)
                           : hawkes::thinning_step(m, s, rng, a.end_time, &lambda);
    if (type < 0) {
      finished = true;
      break;
    }
    if (n > 0) {
      const double g = s.t - last;
      gap_sum += g;
      gap_sq += g * g;
    }
    last = s.t;
    dp.counts[type] += 1.0;
    int64_t j = 0;
    if (a.has_lob) j = hawkes::lob_apply(a.lob, rng, type, bid, ask);
    a.ev_time[base + written] = s.t;
    a.ev_type[base + written] = type;
    if (a.ev_lambda) a.ev_lambda[base + written] = lambda;
    if (a.has_lob) {
      a.ev_bid[base + written] = static_cast<double>(bid);
      a.ev_ask[base + written] = static_cast<double>(ask);
      a.ev_jump[base + written] = static_cast<int32_t>(j);
    }
    ++written;
    ++n;
  }
  if (!finished && n >= a.max_events) finished = true;
  a.ev_count[i] = written;
  if (finished) {
    const int W = hawkes::kStatsHead + 3 * m.dims;
    write_stats_row<MAXC>(a, s, dp.counts, n, gap_sum, gap_sq, bid, ask, a.path_stats + static_cast<size_t>(i) * W);
    dp.done = 1;
  }
  for (int c = 0; c < m.comps; ++c) dp.y[c] = y[c];
  for (int g = 0; g < m.groups; ++g) dp.next[g] = next[g];
  dp.t = s.t;
  dp.next_base = s.next_base;
  dp.rng = rng;
  dp.n = n;
  dp.bid = bid;
  dp.ask = ask;
  dp.last = last;
  dp.gap_sum = gap_sum;
  dp.gap_sq = gap_sq;
}

template <int MAXC, bool Exact>
__global__ void hawkes_events_init_kernel(KernelArgs a) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= a.path_count) return;
  DevicePath<MAXC>& dp = reinterpret_cast<DevicePath<MAXC>*>(a.states)[i];
  double decay[MAXC];
  PathState s{0.0, 0.0, dp.y, dp.next, decay};
  hawkes::rng_init(dp.rng, a.seed, static_cast<uint64_t>(a.path_base + i));
  hawkes::hawkes_init(a.m, s, dp.rng);
  dp.t = s.t;
  dp.next_base = s.next_base;
  dp.last = dp.gap_sum = dp.gap_sq = 0.0;
  dp.n = 0;
  dp.bid = a.initial_bid;
  dp.ask = a.initial_ask;
  dp.done = 0;
  for (int k = 0; k < a.m.dims; ++k) dp.counts[k] = 0.0;
}

unsigned blocks_for(int64_t n) { return static_cast<unsigned>((n + kThreadsPerBlock - 1) / kThreadsPerBlock); }

bool cancelled(hawkes::SimulateControl* c) { return c != nullptr && c->cancel.load(); }

template <int MAXC, bool Exact, bool Fast>
void run_stats(KernelArgs a, const hawkes::SimulateOptions& o, hawkes::SimulateControl* control, hawkes::SimulateResult& r) {
  const int W = hawkes::stats_row_width(a.m.dims);
  DeviceArray<double> sum(W);
  CUDA_CHECK(cudaMemset(sum.ptr, 0, sizeof(double) * W));
  a.stats_sum = sum.ptr;
  for (int64_t base = 0; base < o.paths; base += kPathsPerLaunch) {
    if (cancelled(control)) {
      r.cancelled = true;
      return;
    }
    a.path_base = base;
    a.path_count = std::min(kPathsPerLaunch, o.paths - base);
    hawkes_stats_kernel<MAXC, Exact, Fast><<<blocks_for(a.path_count), kThreadsPerBlock>>>(a);
    CUDA_CHECK(cudaGetLastError());
    CUDA_CHECK(cudaDeviceSynchronize());
    if (control) control->paths_done.fetch_add(a.path_count);
  }
  r.stats.resize(W);
  sum.download(r.stats.data(), W);
  if (control) control->events_done.store(static_cast<int64_t>(r.stats[0]));
}

template <int MAXC, bool Exact>
void run_events(KernelArgs a, const hawkes::SimulateOptions& o, hawkes::SimulateControl* control, hawkes::SimulateResult& r) {
  const int D = a.m.dims;
  const int W = hawkes::stats_row_width(D);
  const bool lob = a.has_lob;
  // Paths per launch and events per path per launch: a staging buffer of about 256 MiB.
  const int64_t batch = std::min<int64_t>(o.paths, 1 << 16);
  const size_t bytes_per_event = 8 + 4 + (o.intensity ? 8 : 0) + (lob ? 20 : 0);
  const int chunk = static_cast<int>(std::max<int64_t>(16, std::min<int64_t>(1 << 16, (int64_t{256} << 20) / (batch * static_cast<int64_t>(bytes_per_event)))));
  DeviceArray<unsigned char> states(static_cast<size_t>(batch) * sizeof(DevicePath<MAXC>));
  DeviceArray<double> ev_time(static_cast<size_t>(batch) * chunk);
  DeviceArray<int32_t> ev_type(static_cast<size_t>(batch) * chunk), ev_count(batch);
  DeviceArray<double> ev_lambda(o.intensity ? static_cast<size_t>(batch) * chunk : 0);
  DeviceArray<double> ev_bid(lob ? static_cast<size_t>(batch) * chunk : 0), ev_ask(lob ? static_cast<size_t>(batch) * chunk : 0);
  DeviceArray<int32_t> ev_jump(lob ? static_cast<size_t>(batch) * chunk : 0);
  DeviceArray<double> path_stats(static_cast<size_t>(batch) * W);
  a.states = states.ptr;
  a.chunk = chunk;
  a.ev_time = ev_time.ptr;
  a.ev_type = ev_type.ptr;
  a.ev_lambda = ev_lambda.ptr;
  a.ev_bid = ev_bid.ptr;
  a.ev_ask = ev_ask.ptr;
  a.ev_jump = ev_jump.ptr;
  a.ev_count = ev_count.ptr;
  a.path_stats = path_stats.ptr;

  std::vector<double> h_time(static_cast<size_t>(batch) * chunk), h_lambda(o.intensity ? h_time.size() : 0);
  std::vector<double> h_bid(lob ? h_time.size() : 0), h_ask(lob ? h_time.size() : 0);
  std::vector<int32_t> h_type(h_time.size()), h_jump(lob ? h_time.size() : 0), h_count(batch);
  std::vector<double> h_stats(static_cast<size_t>(batch) * W);
  r.stats.assign(W, 0.0);
  r.path_offsets.assign(1, 0.0);
  int64_t stored = 0;
  for (int64_t base = 0; base < o.paths; base += batch) {
    const int64_t count = std::min(batch, o.paths - base);
    a.path_base = base;
    a.path_count = count;
    hawkes_events_init_kernel<MAXC, Exact><<<blocks_for(count), kThreadsPerBlock>>>(a);
    CUDA_CHECK(cudaGetLastError());
    std::vector<hawkes::SimulateResult> per_path(static_cast<size_t>(count));
    for (;;) {
      if (cancelled(control)) {
        r.cancelled = true;
        return;
      }
      hawkes_events_kernel<MAXC, Exact><<<blocks_for(count), kThreadsPerBlock>>>(a);
      CUDA_CHECK(cudaGetLastError());
      CUDA_CHECK(cudaDeviceSynchronize());
      ev_count.download(h_count.data(), count);
      int64_t produced = 0;
      for (int64_t i = 0; i < count; ++i) produced += h_count[i];
      if (produced == 0) break;
      ev_time.download(h_time.data(), static_cast<size_t>(count) * chunk);
      ev_type.download(h_type.data(), static_cast<size_t>(count) * chunk);
      if (o.intensity) ev_lambda.download(h_lambda.data(), static_cast<size_t>(count) * chunk);
      if (lob) {
        ev_bid.download(h_bid.data(), static_cast<size_t>(count) * chunk);
        ev_ask.download(h_ask.data(), static_cast<size_t>(count) * chunk);
        ev_jump.download(h_jump.data(), static_cast<size_t>(count) * chunk);
      }
      for (int64_t i = 0; i < count; ++i) {
        const size_t from = static_cast<size_t>(i) * chunk, to = from + h_count[i];
        hawkes::SimulateResult& pp = per_path[i];
        pp.times.insert(pp.times.end(), h_time.begin() + from, h_time.begin() + to);
        pp.types.insert(pp.types.end(), h_type.begin() + from, h_type.begin() + to);
        if (o.intensity) pp.intensity.insert(pp.intensity.end(), h_lambda.begin() + from, h_lambda.begin() + to);
        if (lob) {
          pp.bid.insert(pp.bid.end(), h_bid.begin() + from, h_bid.begin() + to);
          pp.ask.insert(pp.ask.end(), h_ask.begin() + from, h_ask.begin() + to);
          pp.jump.insert(pp.jump.end(), h_jump.begin() + from, h_jump.begin() + to);
        }
      }
      if (control) control->events_done.fetch_add(produced);
      stored += produced;
      if (stored > o.max_stored_events) hawkes::throw_too_many_events(o.max_stored_events);
    }
    path_stats.download(h_stats.data(), static_cast<size_t>(count) * W);
    for (int64_t i = 0; i < count; ++i) {
      for (int j = 0; j < W; ++j) r.stats[j] += h_stats[static_cast<size_t>(i) * W + j];
      hawkes::SimulateResult& pp = per_path[i];
      r.times.insert(r.times.end(), pp.times.begin(), pp.times.end());
      r.types.insert(r.types.end(), pp.types.begin(), pp.types.end());
      r.intensity.insert(r.intensity.end(), pp.intensity.begin(), pp.intensity.end());
      r.bid.insert(r.bid.end(), pp.bid.begin(), pp.bid.end());
      r.ask.insert(r.ask.end(), pp.ask.begin(), pp.ask.end());
      r.jump.insert(r.jump.end(), pp.jump.begin(), pp.jump.end());
      r.path_offsets.push_back(static_cast<double>(r.times.size()));
      r.truncated.push_back(static_cast<int64_t>(h_stats[static_cast<size_t>(i) * W]) >= o.max_events ? 1 : 0);
    }
    if (control) control->paths_done.fetch_add(count);
  }
}

template <int MAXC>
void dispatch(KernelArgs a, const hawkes::SimulateOptions& o, hawkes::SimulateControl* c, hawkes::SimulateResult& r) {
  const bool exact = o.method == hawkes::Method::Exact;
  if (o.stats_only) {
    if constexpr (MAXC == 8) {
      if (a.m.comps == 8 && a.m.dims == 8 && a.m.groups == 1) {
        exact ? run_stats<8, true, true>(a, o, c, r) : run_stats<8, false, true>(a, o, c, r);
        return;
      }
    }
    exact ? run_stats<MAXC, true, false>(a, o, c, r) : run_stats<MAXC, false, false>(a, o, c, r);
  } else {
    exact ? run_events<MAXC, true>(a, o, c, r) : run_events<MAXC, false>(a, o, c, r);
  }
}

}  // namespace

hawkes::SimulateResult hawkes_simulate(const hawkes::HawkesModel& model, const hawkes::SimulateOptions& o,
                                       hawkes::SimulateControl* control) {
  hawkes::validate_simulate_options(o);
  if (o.lob && model.dims() != 8) {
    throw Error("ERR_INVALID_OPTION", "the LOB model needs an 8-dimensional Hawkes process, got " + std::to_string(model.dims()));
  }
  if (model.comps() > kHawkesMaxComps) {
    throw Error("ERR_INVALID_OPTION", "backend 'cuda' supports at most " + std::to_string(kHawkesMaxComps) +
                                          " kernel components per path; this model has " + std::to_string(model.comps()) +
                                          " (use one beta per excited dimension, or the cpu backend)");
  }
  require_device();
  DeviceModel dm(model);
  DeviceArray<double> lob_params(o.lob ? 16 : 0);
  KernelArgs a{};
  a.m = dm.tables;
  a.has_lob = o.lob != nullptr;
  if (o.lob) {
    double host[16];
    std::memcpy(host, o.lob->jump_location, sizeof(double) * 8);
    std::memcpy(host + 8, o.lob->jump_scale, sizeof(double) * 8);
    lob_params.upload(host, 16);
    a.lob = hawkes::LobTables{lob_params.ptr, lob_params.ptr + 8};
    a.initial_bid = o.lob->initial_bid;
    a.initial_ask = o.lob->initial_ask;
  }
  a.end_time = o.end_time;
  a.max_events = o.max_events;
  a.seed = o.seed;
  hawkes::SimulateResult r;
  if (model.comps() <= 8) {
    dispatch<8>(a, o, control, r);
  } else {
    dispatch<64>(a, o, control, r);
  }
  return r;
}

}  // namespace hawkgraph::cuda
