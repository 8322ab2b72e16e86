// The backend registry (registry.hpp): every backend named, chosen and replaced here.
#include "registry.hpp"

#include <algorithm>

#include "../core/error.hpp"
#include "../core/limits.hpp"
#include "cpu/cpu_backend.hpp"
#include "cuda/backtest_cuda.hpp"
#include "cuda/cuda_backend.hpp"
#include "cuda/cuda_runtime.hpp"
#include "cuda/gnn_cuda_staged.hpp"
#include "cuda/hawkes_cuda.hpp"

namespace hawkgraph::backends {
namespace {

[[noreturn]] void bad_option(const std::string& message) { throw Error("ERR_INVALID_OPTION", message); }

// The failures a device backend reports as CUDA's (a lost device, a failing launch or copy, a
// timeout): the ones a fallback to the CPU may absorb. Refused inputs never are.
bool is_device_failure(const Error& failure) { return failure.code().rfind("ERR_CUDA", 0) == 0; }

class GnnProvider final : public BackendProvider {
 public:
  explicit GnnProvider(const GnnBackendOptions& options) : o_(options) {}

  Choice create(const GnnModel& model) const override {
    switch (o_.kind) {
      case BackendKind::Cpu:
        return {cpu(model), {}};
      case BackendKind::CudaHostTwin:
        return {host_twin(model), {}};
      case BackendKind::Cuda:
      case BackendKind::Auto:
        break;
    }
    try {
      return {device(model), {}};
    } catch (const Error& e) {
      if (o_.kind == BackendKind::Cuda && o_.fallback != Fallback::Cpu) throw;
      return {cpu(model), e.what()};
    }
  }

  // Only a one-thread CPU backend starts none (no forward pool, no staging pool).
  bool starts_threads() const override { return !(o_.kind == BackendKind::Cpu && o_.threads == 1); }

  std::unique_ptr<InferenceBackend> replace(const GnnModel& model, const InferenceBackend& failed,
                                            const Error& failure) const override {
    // Every CUDA backend (the device's and its host twin) stages books; the CPU one never fails
    // over, so an engine falls back at most once.
    const bool on_cuda = dynamic_cast<const cuda::StagedBackend*>(&failed) != nullptr;
    if (o_.fallback != Fallback::Cpu || !on_cuda || !is_device_failure(failure)) return nullptr;
    return cpu(model);
  }

 private:
  GnnBackendOptions o_;

  std::unique_ptr<InferenceBackend> cpu(const GnnModel& model) const {
    CpuOptions c;
    c.precision = o_.precision.value_or(Precision::Fp32);
    c.threads = o_.threads;
    c.kernels = o_.kernels;
    c.folds = o_.folds;
    return make_cpu_backend(model, c);
  }

  // CUDA runs fp16 tensor-core kernels unless fp32 is asked for.
  cuda::Precision cuda_precision() const {
    return o_.precision == Precision::Fp32 ? cuda::Precision::Fp32 : cuda::Precision::Fp16;
  }
  int host_threads() const { return std::min(std::max(o_.threads, 1), limits::kMaxEngineThreads); }

  std::unique_ptr<InferenceBackend> host_twin(const GnnModel& model) const {
    return cuda::make_host_twin_backend(model, cuda_precision(), o_.twin_fault_after, o_.twin_skip_kernels, host_threads());
  }

  std::unique_ptr<InferenceBackend> device(const GnnModel& model) const {
    cuda::CudaBackendOptions c;
    c.precision = cuda_precision();
    c.single_book = o_.single_book == SingleBook::Persistent ? cuda::SingleBookPath::Persistent
                    : o_.single_book == SingleBook::Graph    ? cuda::SingleBookPath::Graph
                                                             : cuda::SingleBookPath::Measure;
    c.host_threads = host_threads();
    return cuda::make_cuda_backend(model, c);
  }
};

}  // namespace

BackendKind gnn_backend_kind(const std::string& name) {
  if (name == "cpu") return BackendKind::Cpu;
  if (name == "cuda") return BackendKind::Cuda;
  if (name == "auto") return BackendKind::Auto;
  if (name == "cuda-host-twin") return BackendKind::CudaHostTwin;
  bad_option("backend must be \"auto\", \"cpu\" or \"cuda\", got \"" + name + "\"");
}

BackendKind compute_backend_kind(const std::string& name) {
  if (name == "cpu") return BackendKind::Cpu;
  if (name == "cuda") return BackendKind::Cuda;
  bad_option("backend must be 'cpu' or 'cuda', got \"" + name + "\"");
}

Precision precision_from_name(const std::string& name) {
  if (name == "fp32") return Precision::Fp32;
  if (name == "fp16") return Precision::Fp16;
  if (name == "bf16") return Precision::Bf16;
  bad_option("precision must be 'fp32', 'fp16' or 'bf16', got \"" + name + "\"");
}

Fallback fallback_from_name(const std::string& name) { return name == "cpu" ? Fallback::Cpu : Fallback::None; }

SingleBook single_book_from_name(const std::string& name) {
  return name == "persistent" ? SingleBook::Persistent : name == "graph" ? SingleBook::Graph : SingleBook::Auto;
}

std::shared_ptr<const BackendProvider> gnn_backends(const GnnBackendOptions& options) {
  return std::make_shared<const GnnProvider>(options);
}

hawkes::SimulateResult simulate_hawkes(BackendKind kind, const hawkes::HawkesModel& model,
                                       const hawkes::SimulateOptions& options, hawkes::SimulateControl* control) {
  return kind == BackendKind::Cuda ? cuda::hawkes_simulate(model, options, control)
                                   : hawkes::simulate(model, options, control);
}

backtest::BacktestResult run_backtest(BackendKind kind, const hawkes::HawkesModel& model,
                                      const backtest::BacktestOptions& options, const backtest::StrategySpec& strategy,
                                      hawkes::SimulateControl* control) {
  return kind == BackendKind::Cuda ? cuda::backtest_run(model, options, strategy, control)
                                   : backtest::run_backtest(model, options, strategy, control);
}

std::vector<backtest::BacktestResult> run_backtests(BackendKind kind, const std::vector<backtest::RunRef>& runs,
                                                    hawkes::SimulateControl* control) {
  return kind == BackendKind::Cuda ? cuda::backtest_run_many(runs, control) : backtest::run_backtests(runs, control);
}

std::vector<std::string> cpu_kernel_tables() { return cpu_kernel_names(); }

CpuPeak measure_cpu_peak(const std::string& kernels, double seconds) {
  if (!(seconds > 0 && seconds <= limits::kMaxPeakSeconds)) {
    throw Error("ERR_INVALID_ARGUMENT", "seconds must be in (0, " + format_number(limits::kMaxPeakSeconds) + "]");
  }
  return ::hawkgraph::measure_cpu_peak(kernels, seconds);
}

cuda::RuntimeInfo cuda_runtime() { return cuda::query_runtime(); }

void cuda_axpy(float a, const float* x, float* y, int n) { cuda::vector_axpy(a, x, y, n); }

}  // namespace hawkgraph::backends
