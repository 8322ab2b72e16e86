// StagedBackend (batch walk, staging, unpacking) and the host twin of the CUDA kernels: the same
// data flow as gnn_forward.cuh, one book at a time, rounding through gnn_cuda_math.hpp at the
// points where the tensor-core kernel stores fp16. Plain C++; no device needed.
#include "gnn_cuda_staged.hpp"

#include <algorithm>
#include <cstring>

#include "../../core/error.hpp"
#include "gnn_cuda_math.hpp"

namespace hawkgraph::cuda {

StagedBackend::StagedBackend(const GnnModel& model, Precision precision, const KernelLayout& layout, int host_threads)
    : model_(model), precision_(precision), host_threads_(host_threads), staging_(staging_layout(model)), layout_(layout) {}

void StagedBackend::unpack(const float* record, ForwardOutput* out) const {
  out->logits[0] = record[0];
  out->logits[1] = record[1];
  out->logits[2] = record[2];
  out->magnitude = record[3];
  out->volatility = record[4];
  if (out->embedding != nullptr) {
    std::memcpy(out->embedding, record + StagingLayout::kEmbeddingOffset, sizeof(float) * staging_.embed);
  }
}

int StagedBackend::stage(int slot, const BookView& book, const double* order_flow) {
  return stage_book(staging_, book, model_.levels, order_flow,
                    input_records() + static_cast<size_t>(slot) * staging_.input_stride);
}

void StagedBackend::run_staged_bucket(int count, ForwardOutput* outs) {
  const int bucket = bucket_index(count);
  stage_padding(staging_, input_records(), count, kBuckets[bucket]);
  run_bucket(bucket, count);
  bucket_runs_[bucket] += 1;
  const float* out = output_records();
  for (int k = 0; k < count; ++k) unpack(out + static_cast<size_t>(k) * staging_.output_stride, &outs[k]);
}

void StagedBackend::run_staged(int count, ForwardOutput* outs) {
  if (count <= 0) return;
  if (count > 1) {
    run_staged_bucket(count, outs);
    return;
  }
  // One book takes the single-book path (the persistent kernel's mailbox, where there is one).
  float* single = single_input();
  if (single != input_records()) std::memcpy(single, input_records(), staging_.input_bytes(1));
  run_single();
  single_runs_ += 1;
  unpack(single_output(), &outs[0]);
}

int StagedBackend::forward_book(const BookView& book, const double* order_flow, ForwardOutput* out) {
  const int levels = stage_book(staging_, book, model_.levels, order_flow, single_input());
  run_single();
  single_runs_ += 1;
  unpack(single_output(), out);
  return levels;
}

BackendDescription StagedBackend::describe_staged(const char* name) const {
  BackendDescription d;
  d.name = name;
  d.precision = precision_ == Precision::Fp16 ? "fp16" : "fp32";
  d.threads = host_threads_;
  d.stats = {
      {"tileBooks", layout_.tile_books},
      {"sharedMemoryBytes", static_cast<double>(layout_.sm_bytes)},
      {"inputBytesPerBook", static_cast<double>(staging_.input_bytes(1))},
      {"outputBytesPerBook", static_cast<double>(staging_.output_bytes(1))},
      {"singleRuns", single_runs_},
  };
  for (int b = 0; b < kBucketCount; ++b) d.stats.emplace_back("bucketRuns" + std::to_string(kBuckets[b]), bucket_runs_[b]);
  return d;
}

namespace {

// Row-major activations of one book, [rows, ld] floats (fp16 values where the kernel stores fp16).
struct Activations {
  int ld;
  std::vector<float> a;
  float* row(int r) { return a.data() + static_cast<size_t>(r) * ld; }
};

}  // namespace

void emulate_book(const KernelLayout& k, const PackedWeights& w, const StagingLayout& s, const float* input,
                  float* output) {
  int32_t n;
  std::memcpy(&n, input, sizeof n);
  if (n <= 0) return;
  const bool fp16 = k.precision == 0;
  auto store = [fp16](float v) { return fp16 ? math::round_to_half(v) : v; };
  auto weight = [&](int64_t at) { return w.weights[at]; };
  const float* par = w.params.data();
  const int nn = 2 * n, F = k.features, H = k.hidden, E = k.embed;
  const float* raw = input + StagingLayout::kRawOffset;

  float totals[2] = {0, 0};
  for (int i = 0; i < nn; ++i) totals[i & 1] += raw[3 * i + 1];
  totals[0] += 1e-8f;
  totals[1] += 1e-8f;

  // [agg(x) | x] rows for the `in` columns held at column `in` of each row.
  auto aggregate = [&](Activations& act, int in) {
    for (int i = 0; i < nn; ++i) {
      float* dst = act.row(i);
      int degree = 0;
      for (int e = w.offsets[i]; e < w.offsets[i + 1]; ++e) degree += w.sources[e] < nn ? 1 : 0;
      const float scale = math::mean_scale(degree);
      for (int c = 0; c < in; ++c) {
        float sum = 0;
        for (int e = w.offsets[i]; e < w.offsets[i + 1]; ++e) {
          const int j = w.sources[e];
          if (j < nn) sum += act.row(j)[in + c];
        }
        dst[c] = store(sum * scale);
      }
    }
  };
  // out[:, out_col..] = act[:, 0..K) W + b, optional ReLU, stored.
  auto gemm = [&](Activations& act, int K, int64_t wbase, int ld, int64_t bias, int N, bool relu, Activations& dst,
                  int dst_col, bool round) {
    for (int i = 0; i < nn; ++i) {
      for (int o = 0; o < N; ++o) {
        float acc = 0;
        for (int c = 0; c < K; ++c) acc += act.row(i)[c] * weight(wbase + static_cast<int64_t>(c) * ld + o);
        float v = acc + par[bias + o];
        if (relu) v = math::relu(v);
        dst.row(i)[dst_col + o] = round ? store(v) : v;
      }
    }
  };

  Activations a{k.act_ld, std::vector<float>(static_cast<size_t>(nn) * k.act_ld, 0.0f)};
  Activations b{k.act_ld, std::vector<float>(static_cast<size_t>(nn) * k.act_ld, 0.0f)};
  // Layer-1 input: features at column F, their neighbour mean at column 0.
  for (int i = 0; i < nn; ++i) {
    float f8[8];
    math::node_features(i, n, raw[3 * i], raw[3 * i + 1], raw[3 * i + 2], totals[i & 1], f8);
    for (int c = 0; c < F; ++c) a.row(i)[F + c] = store(f8[c]);
  }
  aggregate(a, F);
  gemm(a, 2 * F, k.w1, k.ld_w1, k.b1, H, true, b, H, true);
  aggregate(b, H);
  gemm(b, 2 * H, k.w2, k.ld_w2, k.b2, H, true, a, H, true);
  aggregate(a, H);

  std::vector<float> attended(E, 0.0f);
  if (k.pooled) {
    std::vector<float> v(2 * H, 0.0f);
    for (int c = 0; c < 2 * H; ++c) {
      float sum = 0;
      for (int i = 0; i < nn; ++i) sum += a.row(i)[c];
      v[c] = sum / static_cast<float>(nn);
    }
    for (int o = 0; o < E; ++o) {
      float acc = par[k.b3 + o];
      for (int c = 0; c < 2 * H; ++c) acc += v[c] * weight(k.w3 + static_cast<int64_t>(c) * k.ld_w3 + o);
      attended[o] = acc;
    }
  } else {
    gemm(a, 2 * H, k.w3, k.ld_w3, k.b3, E, false, b, 0, true);
    gemm(b, E, k.wqkv, k.ld_qkv, k.bqkv, 3 * E, false, a, 0, true);
    const int d = k.head_dim;
    const float scale = math::attention_scale(d);
    std::vector<float> head_mean(E, 0.0f), scores(nn);
    for (int h = 0; h < k.heads; ++h) {
      for (int i = 0; i < nn; ++i) {
        float top = -INFINITY;
        for (int j = 0; j < nn; ++j) {
          float dot = 0;
          for (int c = 0; c < d; ++c) dot += a.row(i)[h * d + c] * a.row(j)[E + h * d + c];
          scores[j] = dot * scale;
          top = std::max(top, scores[j]);
        }
        float total = 0;
        for (int j = 0; j < nn; ++j) total += scores[j] = expf(scores[j] - top);
        const float weight_ij = 1.0f / (total * static_cast<float>(nn));
        for (int c = 0; c < d; ++c) {
          float acc = 0;
          for (int j = 0; j < nn; ++j) acc += scores[j] * a.row(j)[2 * E + h * d + c];
          head_mean[h * d + c] += acc * weight_ij;
        }
      }
    }
    for (int o = 0; o < E; ++o) {
      float acc = par[k.bout + o];
      for (int c = 0; c < E; ++c) acc += head_mean[c] * par[k.wout + static_cast<int64_t>(c) * E + o];
      attended[o] = acc;
    }
  }

  float mean = 0;
  for (int c = 0; c < E; ++c) mean += attended[c];
  mean /= static_cast<float>(E);
  float var = 0;
  for (int c = 0; c < E; ++c) var += (attended[c] - mean) * (attended[c] - mean);
  const float inv_std = math::layer_norm_inv_std(var / static_cast<float>(E));
  float* z = output + StagingLayout::kEmbeddingOffset;
  for (int c = 0; c < E; ++c) {
    z[c] = math::layer_norm_value(attended[c], mean, inv_std, par[k.norm_w + c], par[k.norm_b + c]);
  }
  float head[5];
  for (int h = 0; h < 5; ++h) {
    float acc = par[k.heads_b + h];
    for (int c = 0; c < E; ++c) acc += par[k.heads_w + static_cast<int64_t>(h) * E + c] * z[c];
    head[h] = acc;
  }
  output[0] = head[0];
  output[1] = head[1];
  output[2] = head[2];
  output[3] = math::sigmoid(head[3]);
  output[4] = math::relu(head[4]);
  output[5] = output[6] = output[7] = 0.0f;
  (void)s;
}

namespace {

class HostTwinBackend final : public StagedBackend {
 public:
  HostTwinBackend(const GnnModel& m, Precision p, const KernelLayout& k, int fault_after, bool skip_kernels, int host_threads)
      : StagedBackend(m, p, k, host_threads),
        weights_(pack_weights(m, k)),
        input_(staging_.input_bytes(kLargestBucket) / sizeof(float)),
        output_(staging_.output_bytes(kLargestBucket) / sizeof(float)),
        fault_after_(fault_after),
        skip_kernels_(skip_kernels) {
    // The tensor-core path reads fp16 weights: round once, as the upload does.
    if (p == Precision::Fp16) {
      for (float& v : weights_.weights) v = math::round_to_half(v);
    }
  }

  BackendDescription describe() const override { return describe_staged("cuda-host-twin"); }

 protected:
  float* input_records() override { return input_.data(); }
  const float* output_records() override { return output_.data(); }
  void run_bucket(int bucket, int count) override {
    (void)count;
    // Stands in for a device lost mid-run, so the GPU-less tests reach the fallback path.
    if (fault_after_ >= 0 && runs_++ >= fault_after_) {
      throw Error("ERR_CUDA", "cudaErrorDevicesUnavailable: injected by the host twin after " +
                                  std::to_string(fault_after_) + " runs");
    }
    if (skip_kernels_) return;
    for (int k = 0; k < kBuckets[bucket]; ++k) {
      emulate_book(layout_, weights_, staging_, input_.data() + static_cast<size_t>(k) * staging_.input_stride,
                   output_.data() + static_cast<size_t>(k) * staging_.output_stride);
    }
  }

 private:
  PackedWeights weights_;
  std::vector<float> input_, output_;
  int fault_after_;
  bool skip_kernels_;
  int runs_ = 0;
};

}  // namespace

std::unique_ptr<InferenceBackend> make_host_twin_backend(const GnnModel& model, Precision precision, int fault_after,
                                                         bool skip_kernels, int host_threads) {
  // The layout of an H100-class block (227 KiB of shared memory), so the twin plans as the GPU does.
  const KernelLayout k = plan_kernel(model, precision, precision == Precision::Fp16 ? 4 : 1, 232448);
  return std::make_unique<HostTwinBackend>(model, precision, k, fault_after, skip_kernels, host_threads);
}

}  // namespace hawkgraph::cuda
