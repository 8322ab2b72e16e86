// Market-making backtests on the GPU: one path per thread, running the very PathRun the CPU
// runs (core/backtest/backtest_step.hpp, compiled here as __host__ __device__), with the same
// Philox streams. Each thread keeps its Hawkes state, book, quotes and counters in registers /
// local memory and writes its path's results (and its wealth grid) once; no event touches
// global memory. Launches cover at most kPathsPerLaunch paths so progress and cancellation are
// checked between them. The policy network's weights sit in device memory; every thread of a
// warp reads the same weight at the same time, so they are served from L1 as broadcasts.
#include <cuda_runtime.h>

#include <algorithm>
#include <utility>
#include <cstring>
#include <memory>
#include <string>
#include <vector>

#include "../core/error.hpp"
#include "backtest_cuda.hpp"
#include "cuda_check.cuh"
#include "hawkes_device_model.cuh"

namespace hawkgraph::cuda {
namespace {

using backtest::BacktestSpec;
using backtest::GridOut;
using backtest::MlpView;
using backtest::PathResult;
using hawkes::HawkesTables;
using hawkes::PathRng;
using hawkes::PathState;

constexpr int kThreadsPerBlock = 128;
constexpr int64_t kPathsPerLaunch = 1 << 16;
constexpr int kMaxComps = 64;

struct KernelArgs {
  HawkesTables m;
  hawkes::LobTables lob;
  BacktestSpec spec;
  int kind;  // 0 sym, 1 lin, 2 policy
  backtest::LinStrategy lin;
  MlpView mlp;
  int64_t path_base, path_count;
  double* out;   // [kOutFields * path_count], field-major
  double* grid;  // [3 * path_count * grid] or null
};

constexpr int kOutFields = 11;

template <int N, bool G1, class Strategy>
__device__ void run_thread(const KernelArgs& a, const Strategy& st, int64_t i) {
  constexpr int C = N > 0 ? N : kMaxComps;
  double y[C], next[G1 ? 1 : kMaxComps], decay[G1 ? 1 : kMaxComps], mu[8], cdf[8];
  PathState s{0.0, 0.0, y, next, decay};
  const uint64_t path = static_cast<uint64_t>(a.path_base + i);
  PathRng market, coins, noise;
  hawkes::rng_init(market, a.spec.seed, path);
  hawkes::rng_init(coins, a.spec.seed ^ backtest::kCoinKey, path);
  HawkesTables m = a.m;
  if (a.spec.noise_std > 0.0) {
    hawkes::rng_init(noise, a.spec.seed ^ backtest::kNoiseKey, path);
    backtest::perturb_baseline(m, a.m, a.spec.noise_std, noise, mu, cdf);
  }
  const int64_t G = a.spec.grid;
  GridOut grid{nullptr, nullptr, nullptr};
  if (a.grid != nullptr && G > 0) {
    grid.gross = a.grid + i * G;
    grid.maker = a.grid + (a.path_count + i) * G;
    grid.taker = a.grid + (2 * a.path_count + i) * G;
  }
  PathResult r{};
  backtest::NoRecorder rec;
  backtest::run_path<N, G1>(m, a.lob, a.spec, st, market, coins, s, r, grid, rec);
  const int64_t P = a.path_count;
  double* o = a.out;
  o[0 * P + i] = r.pnl;
  o[1 * P + i] = r.gross_pnl;
  o[2 * P + i] = r.maker_notional;
  o[3 * P + i] = r.taker_notional;
  o[4 * P + i] = r.cash;
  o[5 * P + i] = r.mid;
  o[6 * P + i] = r.map;
  o[7 * P + i] = r.reward;
  o[8 * P + i] = static_cast<double>(r.inventory);
  o[9 * P + i] = static_cast<double>(r.trades);
  o[10 * P + i] = static_cast<double>(r.events);
}

template <int N, bool G1>
__global__ void backtest_kernel(KernelArgs a) {
  const int64_t i = static_cast<int64_t>(blockIdx.x) * blockDim.x + threadIdx.x;
  if (i >= a.path_count) return;
  if (a.kind == 0) {
    run_thread<N, G1>(a, backtest::SymStrategy{}, i);
  } else if (a.kind == 1) {
    run_thread<N, G1>(a, a.lin, i);
  } else {
    float scratch[2 * backtest::kMaxMlpWidth];
    backtest::PolicyStrategy<backtest::InlineForward> st{&a.mlp, backtest::InlineForward{}, scratch};
    run_thread<N, G1>(a, st, i);
  }
}

}  // namespace

backtest::BacktestResult backtest_run(const hawkes::HawkesModel& model, const backtest::BacktestOptions& o,
                                      const backtest::StrategySpec& strategy, hawkes::SimulateControl* control) {
  backtest::validate_backtest_options(o);
  if (model.dims() != 8) throw Error("ERR_INVALID_OPTION", "the backtest needs the 8-dimensional LOB model");
  if (strategy.kind == backtest::StrategyKind::Callback) {
    throw Error("ERR_INVALID_OPTION", "strategy: a JS callback runs on the CPU only (backend 'cuda' needs 'sym', lin or policy)");
  }
  if (o.record) throw Error("ERR_INVALID_OPTION", "record is supported by the cpu backend only");
  if (model.comps() > kMaxComps) {
    throw Error("ERR_INVALID_OPTION", "backend 'cuda' supports at most " + std::to_string(kMaxComps) + " kernel components per path");
  }
  require_device();
  DeviceModel dt(model);
  DeviceArray<double> lob(16);
  double lob_host[16];
  std::memcpy(lob_host, o.lob.jump_location, sizeof(double) * 8);
  std::memcpy(lob_host + 8, o.lob.jump_scale, sizeof(double) * 8);
  lob.upload(lob_host, 16);

  KernelArgs a{};
  a.m = dt.tables;
  a.lob = hawkes::LobTables{lob.ptr, lob.ptr + 8};
  a.spec = o.spec;
  a.kind = strategy.kind == backtest::StrategyKind::Sym ? 0 : strategy.kind == backtest::StrategyKind::Lin ? 1 : 2;
  a.lin = strategy.lin;
  std::vector<std::unique_ptr<DeviceArray<float>>> weights;
  if (a.kind == 2) {
    a.mlp = strategy.policy->view;
    for (int l = 0; l < a.mlp.layers; ++l) {
      const auto& w = strategy.policy->weight_t[l];
      const auto& b = strategy.policy->bias[l];
      weights.push_back(std::make_unique<DeviceArray<float>>(w.size()));
      weights.back()->upload(w.data(), w.size());
      a.mlp.weight_t[l] = weights.back()->ptr;
      weights.push_back(std::make_unique<DeviceArray<float>>(b.size()));
      weights.back()->upload(b.data(), b.size());
      a.mlp.bias[l] = weights.back()->ptr;
    }
  }
  const int64_t P = o.paths;
  const int64_t G = o.spec.grid;
  const int64_t launch = std::min(P, kPathsPerLaunch);
  DeviceArray<double> out(static_cast<size_t>(kOutFields * launch));
  DeviceArray<double> grid(static_cast<size_t>(3 * launch * G));
  backtest::BacktestResult r;
  std::vector<double>* fields[kOutFields] = {&r.pnl, &r.gross_pnl, &r.maker_notional, &r.taker_notional, &r.cash, &r.mid,
                                             &r.map, &r.reward, &r.inventory, &r.trades, &r.events};
  for (auto* f : fields) f->assign(static_cast<size_t>(P), 0.0);
  r.grid_gross.assign(static_cast<size_t>(P * G), 0.0);
  r.grid_maker.assign(static_cast<size_t>(P * G), 0.0);
  r.grid_taker.assign(static_cast<size_t>(P * G), 0.0);
  std::vector<double> host(static_cast<size_t>(kOutFields * launch)), host_grid(static_cast<size_t>(3 * launch * G));
  const bool fast = model.comps() == 8 && model.groups() == 1;
  // A path is one long serial chain, so a run of a few thousand paths is latency-bound: spread
  // it over every multiprocessor (one warp per block) rather than packing it into a few blocks.
  int device = 0, sms = 1;
  CUDA_CHECK(cudaGetDevice(&device));
  CUDA_CHECK(cudaDeviceGetAttribute(&sms, cudaDevAttrMultiProcessorCount, device));
  const int threads_per_block = launch < static_cast<int64_t>(sms) * kThreadsPerBlock ? 32 : kThreadsPerBlock;
  for (int64_t base = 0; base < P; base += launch) {
    if (control && control->cancel.load()) {
      r.cancelled = true;
      return r;
    }
    const int64_t count = std::min(launch, P - base);
    a.path_base = o.first_path + base;
    a.path_count = count;
    a.out = out.ptr;
    a.grid = G > 0 ? grid.ptr : nullptr;
    const unsigned blocks = static_cast<unsigned>((count + threads_per_block - 1) / threads_per_block);
    if (fast) {
      backtest_kernel<8, true><<<blocks, threads_per_block>>>(a);
    } else {
      backtest_kernel<0, false><<<blocks, threads_per_block>>>(a);
    }
    CUDA_CHECK(cudaGetLastError());
    CUDA_CHECK(cudaDeviceSynchronize());
    out.download(host.data(), static_cast<size_t>(kOutFields * count));
    double events = 0;
    for (int f = 0; f < kOutFields; ++f) {
      std::copy(host.begin() + f * count, host.begin() + (f + 1) * count, fields[f]->begin() + base);
    }
    for (int64_t i = 0; i < count; ++i) events += host[10 * count + i];
    if (G > 0) {
      grid.download(host_grid.data(), static_cast<size_t>(3 * count * G));
      std::copy(host_grid.begin(), host_grid.begin() + count * G, r.grid_gross.begin() + base * G);
      std::copy(host_grid.begin() + count * G, host_grid.begin() + 2 * count * G, r.grid_maker.begin() + base * G);
      std::copy(host_grid.begin() + 2 * count * G, host_grid.begin() + 3 * count * G, r.grid_taker.begin() + base * G);
    }
    if (control) {
      control->paths_done.fetch_add(count);
      control->events_done.fetch_add(static_cast<int64_t>(events));
    }
  }
  return r;
}

}  // namespace hawkgraph::cuda
