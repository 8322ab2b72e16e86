// The CPU inference backend: weights packed (and folded) once at creation for the kernel table
// chosen from cpuid, every activation buffer sized for the model's full depth up front, so a
// single book (forward_book) allocates nothing and locks nothing. It builds host node features
// from the books it is given; a batch spreads over a persistent thread pool when threads > 1.
// Named only by the registry (../registry.hpp).
#pragma once

#include <memory>
#include <string>
#include <vector>

#include "../../core/backend.hpp"
#include "../../core/limits.hpp"

namespace hawkgraph {

struct CpuOptions {
  // Fp32, or Fp16 / Bf16: half-size weights for the large layers, fp32 accumulation.
  Precision precision = Precision::Fp32;
  // Threads a batch runs on, the calling thread included (1: no pool).
  int threads = 1;
  // Kernel table: "auto" ($HAWKGRAPH_CPU_KERNELS, else the widest the CPU runs), "amx" (AVX-512
  // with the large layers on AMX tiles), "avx512", "avx2" or "portable".
  std::string kernels = "auto";
  // The algebraic folds (pooled: conv3 + mean + attention + out_proj as one matrix over two
  // column sums; levels: value and output projections after the softmax-weighted mean). Off runs
  // the layers as written, for tests and for the benchmark's fold row.
  bool folds = true;
};

// Throws hawkgraph::Error: ERR_INVALID_OPTION (bad threads / kernels name) or
// ERR_BACKEND_UNAVAILABLE (kernels this CPU cannot run).
std::unique_ptr<InferenceBackend> make_cpu_backend(const GnnModel& model, const CpuOptions& options = {});

// Multiply-adds of one forward pass over `levels` levels, as the backend computes it (folds on)
// or as the model is written (folds off).
double cpu_forward_macs(const GnnModel& model, int levels, bool folds);

// Kernel tables this CPU can run, widest first ("amx", "avx512", "avx2", "portable").
std::vector<std::string> cpu_kernel_names();

// Single-thread sustained GFLOP/s of a kernel table: FP32 FMAs, and BF16 dot products (0 where
// the table has none).
struct CpuPeak {
  std::string kernels;
  double fp32_gflops = 0;
  double bf16_gflops = 0;
};
CpuPeak measure_cpu_peak(const std::string& kernels, double seconds);

}  // namespace hawkgraph
