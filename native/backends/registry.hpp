// The backend registry: the only code that names every backend (cpu/, cuda/ and the CUDA host
// twin). It owns which backend runs and when a run falls back, for the GNN engine, the Hawkes
// simulation and the backtests alike:
//   - creation: 'cpu' and 'cuda-host-twin' are built as asked; 'cuda' falls back to the CPU when
//     its device cannot be used only with Fallback::Cpu; 'auto' always does (saying why);
//   - mid-run: a device backend's ERR_CUDA* failure moves a GNN engine to the CPU, once, with
//     Fallback::Cpu (the engine runs the failed call again there and tells its listener);
//   - Hawkes simulations and backtests run where asked and never fall back (their JS options have
//     no fallback: a 'cuda' run without a device is refused with ERR_BACKEND_UNAVAILABLE).
// The addon converts JS options into these types and calls here; the core sees only the
// BackendProvider protocol (core/backend.hpp). Plain C++; no Node or CUDA headers.
#pragma once

#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "../core/backend.hpp"
#include "../core/backtest/backtest.hpp"
#include "../core/hawkes/hawkes_model.hpp"
#include "../core/hawkes/hawkes_simulate.hpp"
#include "cpu/cpu_backend.hpp"
#include "cuda/cuda_runtime.hpp"

namespace hawkgraph::backends {

// Where a computation runs. Auto: CUDA when a usable device is found, else the CPU.
// CudaHostTwin (tests): the CUDA backend's staging, bucketing and kernel math run on the host.
enum class BackendKind { Auto, Cpu, Cuda, CudaHostTwin };
enum class Fallback { None, Cpu };
// CUDA single predictions: Auto measures both paths at creation and keeps the faster.
enum class SingleBook { Auto, Persistent, Graph };

// Names as JS writes them; each throws ERR_INVALID_OPTION naming the choices.
BackendKind gnn_backend_kind(const std::string& name);      // "auto", "cpu", "cuda", "cuda-host-twin"
BackendKind compute_backend_kind(const std::string& name);  // "cpu", "cuda" (Hawkes, backtests)
Precision precision_from_name(const std::string& name);     // "fp32", "fp16", "bf16"
Fallback fallback_from_name(const std::string& name);       // "none", "cpu"
SingleBook single_book_from_name(const std::string& name);  // "auto", "persistent", "graph"

// Everything that chooses how a GNN engine runs.
struct GnnBackendOptions {
  BackendKind kind = BackendKind::Cpu;
  // Absent: each backend's own default (CPU fp32, CUDA fp16). CUDA runs fp32 or fp16 only.
  std::optional<Precision> precision;
  Fallback fallback = Fallback::None;
  // CPU: forward threads, the calling thread included. CUDA: host threads that stage a batch.
  int threads = 1;
  // CPU kernel table: "auto" ($HAWKGRAPH_CPU_KERNELS, else the widest the CPU runs), "amx",
  // "avx512", "avx2" or "portable"; and the algebraic folds (off: the layers as written).
  std::string kernels = "auto";
  bool folds = true;
  SingleBook single_book = SingleBook::Auto;
  // CudaHostTwin only: the run number from which it fails as a lost device would (-1: never);
  // and (benchmarks) skip the kernels' math so a batch costs only the host side of the CUDA path.
  int twin_fault_after = -1;
  bool twin_skip_kernels = false;
};

// The provider a GnnEngine (and its siblings) gets its backends from.
std::shared_ptr<const BackendProvider> gnn_backends(const GnnBackendOptions& options);

// A Hawkes simulation (and the LOB model on it) on the CPU or the device.
hawkes::SimulateResult simulate_hawkes(BackendKind kind, const hawkes::HawkesModel& model,
                                       const hawkes::SimulateOptions& options, hawkes::SimulateControl* control);
// A backtest, and several started together (a study), on the CPU or the device.
backtest::BacktestResult run_backtest(BackendKind kind, const hawkes::HawkesModel& model,
                                      const backtest::BacktestOptions& options, const backtest::StrategySpec& strategy,
                                      hawkes::SimulateControl* control);
std::vector<backtest::BacktestResult> run_backtests(BackendKind kind, const std::vector<backtest::RunRef>& runs,
                                                    hawkes::SimulateControl* control);

// What runtime() and the benchmark hooks report of the backends.
std::vector<std::string> cpu_kernel_tables();  // widest first
// Blocks for about 2 x seconds; ERR_INVALID_ARGUMENT unless 0 < seconds <= limits::kMaxPeakSeconds.
CpuPeak measure_cpu_peak(const std::string& kernels, double seconds);
cuda::RuntimeInfo cuda_runtime();
// y = a * x + y on device 0 (the CUDA smoke test). Throws ERR_BACKEND_UNAVAILABLE / ERR_CUDA.
void cuda_axpy(float a, const float* x, float* y, int n);

}  // namespace hawkgraph::backends
