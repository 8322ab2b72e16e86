// The CUDA backend minus the device: stages validated books into input records (the device builds
// the node features from them), pads each run to its bucket and unpacks output records. Subclasses
// run one staged bucket: the CUDA backend replays a captured graph (or feeds its persistent
// kernel); the host twin runs the kernels' math on the CPU, so the GPU-less tests exercise the
// staging, bucketing and padding code the GPU path uses. Plain C++, no CUDA headers.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "../../core/backend.hpp"
#include "gnn_cuda_plan.hpp"

namespace hawkgraph::cuda {

class StagedBackend : public InferenceBackend {
 public:
  // `host_threads`: the host threads that may validate and stage a batch at once.
  StagedBackend(const GnnModel& model, Precision precision, const KernelLayout& layout, int host_threads);

  int forward_book(const BookView& book, const double* order_flow, ForwardOutput* out) override;
  int prepare_batch(int count) override { return count < kLargestBucket ? count : kLargestBucket; }
  int stage_threads() const override { return host_threads_; }
  int stage(int slot, const BookView& book, const double* order_flow) override;
  void run_staged(int count, ForwardOutput* outs) override;

  const StagingLayout& staging() const { return staging_; }
  const KernelLayout& layout() const { return layout_; }

 protected:
  // Input and output records for kLargestBucket books (see StagingLayout).
  virtual float* input_records() = 0;
  virtual const float* output_records() = 0;
  // Runs kBuckets[bucket] staged records, the first `count` real and the rest padding.
  virtual void run_bucket(int bucket, int count) = 0;
  // One book: staged into single_input(), run, read from single_output().
  virtual float* single_input() { return input_records(); }
  virtual const float* single_output() { return output_records(); }
  virtual void run_single() { run_bucket(0, 1); }

  // The description every staged backend shares: its precision, host threads, plan and counters.
  BackendDescription describe_staged(const char* name) const;

  const GnnModel& model_;
  Precision precision_;
  int host_threads_;
  StagingLayout staging_;
  KernelLayout layout_;
  double bucket_runs_[kBucketCount] = {};
  double single_runs_ = 0;

 private:
  void unpack(const float* record, ForwardOutput* out) const;
  // Runs the `count` records staged in input_records() (2 <= count <= kLargestBucket).
  void run_staged_bucket(int count, ForwardOutput* outs);
};

// One book through the kernels' math on the host, rounding activations to fp16 exactly where the
// tensor-core kernel stores them: reads an input record, writes an output record (nothing for a
// padding record). `w.weights` must hold the values the kernel reads (fp16-rounded for fp16).
void emulate_book(const KernelLayout& k, const PackedWeights& w, const StagingLayout& s, const float* input,
                  float* output);

// The host twin: a backend that runs emulate_book over staged buckets, for the tests. With
// fault_after >= 0 its run number fault_after (counting from 0) and later ones throw ERR_CUDA, as
// a device lost mid-run would. With skip_kernels it leaves the output records zero, so a batch
// costs only the host side of the CUDA path (for the benchmarks).
std::unique_ptr<InferenceBackend> make_host_twin_backend(const GnnModel& model, Precision precision, int fault_after = -1,
                                                         bool skip_kernels = false, int host_threads = 1);

}  // namespace hawkgraph::cuda
