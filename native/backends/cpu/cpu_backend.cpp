#include "cpu_backend.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <vector>

#include "../../core/error.hpp"
#include "../../core/features.hpp"
#include "kernels.hpp"
#include "readout.hpp"
#include "../../core/thread_pool.hpp"

namespace hawkgraph {
namespace {

using cpu::CpuKernels;
using cpu::DenseArgs;
using cpu::PackedDense;
using cpu::WeightFormat;

WeightFormat weight_format(Precision p) {
  return p == Precision::Fp32 ? WeightFormat::F32 : p == Precision::Fp16 ? WeightFormat::F16 : WeightFormat::BF16;
}

std::vector<double> widen(const float* p, size_t n) { return std::vector<double>(p, p + n); }
std::vector<float> narrow(const std::vector<double>& v) { return std::vector<float>(v.begin(), v.end()); }

// Books per grouped pass of forward_batch: their rows are stacked so each dense layer runs once
// over kGroup books, and each weight panel (or tile) is fetched once for all of them.
constexpr int kGroup = 8;

// Activation buffers of one forward pass; one per thread. The group_ buffers hold kGroup books
// in a padded layout (book b's rows from b * nodes).
struct Workspace {
  std::vector<float> agg, h1, h2, h3, qk, qkv, rows_a, rows_b, kt, scores, key_weight, col_c, col_m, u,
      head_mean, g, v, attended, embedding;
  std::vector<float> group_agg, group_h1, group_h2, group_h3, group_qk, group_col_c, group_col_m, group_attended;
  std::vector<uint32_t> scratch;
};

// A model's weights packed (and folded) for one kernel table and format: immutable once built, so
// the runs of one model on several threads (an engine's and its stream's) share one copy.
struct CpuWeights {
  PackedDense conv[3];
  // Pooled fold: attended = A_l (sum_j c_j h2_j) + A_r (mean_j h2_j) + b.
  PackedDense pooled_fold;
  std::vector<float> column_weight;  // [levels + 1][nodes]: c_j for a book of that many levels
  std::vector<float> mean_weight;    // [levels + 1][nodes]: 1 / n
  // Levels attention: q|k projection, per-head value maps, out_proj; unfused: q|k|v, value, out.
  PackedDense qk, qkv, value_heads[64], value, out_proj;
  cpu::PackedReadout readout;
};

class CpuBackend final : public InferenceBackend {
 public:
  CpuBackend(const GnnModel& m, const CpuOptions& options)
      : model_(m), kernels_(cpu::select_kernels(options.kernels)), format_(weight_format(options.precision)),
        precision_(options.precision), folds_(options.folds), threads_(options.threads) {
    if (options.threads < 1 || options.threads > limits::kMaxEngineThreads) {
      throw Error("ERR_INVALID_OPTION", "threads must be an integer from 1 to " + std::to_string(limits::kMaxEngineThreads) +
                                            ", got " + std::to_string(options.threads));
    }
    w_ = pack(m);
    make_buffers();
  }

  // The same model for another thread: the packed weights are shared, the buffers are its own.
  struct SharingWeights {};
  CpuBackend(const CpuBackend& from, SharingWeights)
      : model_(from.model_), kernels_(from.kernels_), format_(from.format_), precision_(from.precision_),
        folds_(from.folds_), threads_(from.threads_), w_(from.w_) {
    make_buffers();
  }

  std::unique_ptr<InferenceBackend> sibling() const override {
    return std::make_unique<CpuBackend>(*this, SharingWeights{});
  }

  BackendDescription describe() const override {
    BackendDescription d;
    d.name = "cpu";
    d.precision = precision_name(precision_);
    d.threads = threads_;
    d.kernels = kernels_.name;
    d.folds = folds_;
    d.macs_folded = cpu_forward_macs(model_, model_.levels, true);
    d.macs_as_written = cpu_forward_macs(model_, model_.levels, false);
    return d;
  }

  int forward_book(const BookView& book, const double* order_flow, ForwardOutput* out) override {
    const int levels = build_features(book, order_flow, single_features_.data());
    run(workspaces_[0], single_features_.data(), levels, out);
    return levels;
  }

  int prepare_batch(int count) override {
    const size_t n = static_cast<size_t>(count);
    if (slot_levels_.size() < n) {
      slot_levels_.resize(n);
      batch_features_.resize(n * book_stride());
    }
    return count;
  }
  // Host features cost little next to the forward pass, which the pool already spreads.
  int stage_threads() const override { return 1; }
  int stage(int slot, const BookView& book, const double* order_flow) override {
    const int levels = build_features(book, order_flow, batch_features_.data() + static_cast<size_t>(slot) * book_stride());
    slot_levels_[slot] = levels;
    return levels;
  }
  void run_staged(int count, ForwardOutput* outs) override {
    forward_batch(batch_features_.data(), book_stride(), slot_levels_.data(), count, outs);
  }

 private:
  size_t book_stride() const { return static_cast<size_t>(model_.nodes()) * kNodeFeatures; }

  // fp32 node features of one validated book (built in float64, as the reference does); returns
  // the levels used.
  int build_features(const BookView& book, const double* order_flow, float* features32) {
    const int levels = build_node_features(book, model_.levels, order_flow, features64_.data());
    const size_t count = static_cast<size_t>(2 * levels) * kNodeFeatures;
    for (size_t i = 0; i < count; ++i) features32[i] = static_cast<float>(features64_[i]);
    return levels;
  }

  void forward_batch(const float* x, size_t book_stride, const int* levels, int count, ForwardOutput* outs) {
    const bool grouped = folds_ && book_stride == static_cast<size_t>(model_.nodes()) * model_.node_features;
    BatchJob job{this, x, book_stride, levels, outs, count, grouped ? kGroup : 1};
    const int items = (count + job.group - 1) / job.group;
    if (!pool_) {
      for (int i = 0; i < items; ++i) BatchJob::call(&job, 0, i);
      return;
    }
    pool_->run(items, &BatchJob::call, &job);
  }

  struct BatchJob {
    CpuBackend* self;
    const float* x;
    size_t stride;
    const int* levels;
    ForwardOutput* outs;
    int count;
    int group;  // books per item: kGroup, or 1 when the layers run unfolded
    static void call(void* ctx, int worker, int item) {
      auto* j = static_cast<BatchJob*>(ctx);
      Workspace& ws = j->self->workspaces_[worker];
      const int first = item * j->group, n = std::min(j->group, j->count - first);
      const float* x = j->x + static_cast<size_t>(first) * j->stride;
      if (j->group == 1) {
        j->self->run(ws, x, j->levels[first], &j->outs[first]);
      } else {
        j->self->run_group(ws, x, j->stride, j->levels + first, n, j->outs + first);
      }
    }
  };

  const GnnModel& model_;
  const CpuKernels& kernels_;
  WeightFormat format_;
  Precision precision_;
  bool folds_;
  int threads_;
  // Host features: float64 as built, then the fp32 rows of one book (forward_book) or of every
  // slot of a batch (grown to the largest batch seen).
  std::vector<double> features64_;
  std::vector<float> single_features_;
  std::vector<float> batch_features_;
  std::vector<int> slot_levels_;
  std::shared_ptr<const CpuWeights> w_;
  std::vector<Workspace> workspaces_;
  std::unique_ptr<ThreadPool> pool_;

  PackedDense dense(const float* w1, int k1, const float* w2, int k2, const float* bias, int out, WeightFormat f) const {
    return cpu::pack_dense(w1, k1, w2, k2, bias, out, kernels_.panel, f);
  }

  // Row-major [rows, cols] product in double, for the folds.
  std::vector<double> product(const std::vector<double>& a, const std::vector<double>& b, int rows, int inner, int cols) const {
    std::vector<double> c(static_cast<size_t>(rows) * cols);
    kernels_.fold_product(a.data(), b.data(), c.data(), rows, inner, cols);
    return c;
  }

  std::shared_ptr<const CpuWeights> pack(const GnnModel& m) const {
    auto packed = std::make_shared<CpuWeights>();
    CpuWeights& w = *packed;
    const int F = m.node_features, H = m.hidden, E = m.embed, N = m.nodes(), L = m.levels;
    if (m.heads > 64) throw Error("ERR_MODEL_SHAPE", "the CPU backend supports at most 64 attention heads");
    // conv1 (k = 2F = 16) stays fp32: its weights are 1% of the model and half formats gain nothing there.
    const SageWeights* c = m.conv;
    w.conv[0] = dense(c[0].lin_l.data.data(), F, c[0].lin_r.data.data(), F, c[0].bias.data(), H, WeightFormat::F32);
    w.conv[1] = dense(c[1].lin_l.data.data(), H, c[1].lin_r.data.data(), H, c[1].bias.data(), H, format_);
    w.conv[2] = dense(c[2].lin_l.data.data(), H, c[2].lin_r.data.data(), H, c[2].bias.data(), E, format_);
    const float* in_w = m.in_proj.data.data();
    const float* wv = in_w + static_cast<size_t>(2) * E * E;
    const float* bv = m.in_bias.data() + 2 * E;
    w.value = dense(wv, E, nullptr, 0, bv, E, WeightFormat::F32);
    w.out_proj = dense(m.out_proj.data.data(), E, nullptr, 0, m.out_bias.data(), E, WeightFormat::F32);
    w.readout = cpu::pack_readout(m);
    if (kernels_.split_fp32 && format_ == WeightFormat::F32) {
      // The large fp32 layers as split bf16 on AMX (conv1's k = 16 is below one tile's 32).
      for (int l = 1; l < 3; ++l) {
        if (c[l].lin_l.cols % 32 == 0) {
          cpu::pack_split_bf16(w.conv[l], c[l].lin_l.data.data(), c[l].lin_l.cols, c[l].lin_r.data.data(), c[l].lin_r.cols);
        }
      }
    }

    if (m.attention == AttentionMode::Pooled) {
      // conv3 has no activation, so mean_i conv3(h2)_i = W_l (sum_j c_j h2_j) + W_r mean(h2) + b3,
      // with c_j = (1/n) sum of 1/deg(i) over the nodes i that j feeds. Attention over one token is
      // out_proj(v_proj(g)) (softmax of one score is 1). Both are affine, so one matrix each for
      // the two column sums: A_l = Wo Wv W3l, A_r = Wo Wv W3r, b = Wo (Wv b3 + bv) + bo.
      const auto wo = widen(m.out_proj.data.data(), static_cast<size_t>(E) * E);
      const auto wov = product(wo, widen(wv, static_cast<size_t>(E) * E), E, E, E);
      const auto a_l = product(wov, widen(c[2].lin_l.data.data(), static_cast<size_t>(E) * H), E, E, H);
      const auto a_r = product(wov, widen(c[2].lin_r.data.data(), static_cast<size_t>(E) * H), E, E, H);
      std::vector<double> v_bias(E), b(E);  // v_bias = Wv b3 + bv
      for (int k = 0; k < E; ++k) {
        double vk = bv[k];
        for (int h = 0; h < E; ++h) vk += static_cast<double>(wv[static_cast<size_t>(k) * E + h]) * c[2].bias[h];
        v_bias[k] = vk;
      }
      for (int o = 0; o < E; ++o) {
        double s = m.out_bias[o];
        for (int k = 0; k < E; ++k) s += wo[static_cast<size_t>(o) * E + k] * v_bias[k];
        b[o] = s;
      }
      const auto fl = narrow(a_l), fr = narrow(a_r), fb = narrow(b);
      w.pooled_fold = dense(fl.data(), H, fr.data(), H, fb.data(), E, WeightFormat::F32);
      w.column_weight.assign(static_cast<size_t>(L + 1) * N, 0.0f);
      w.mean_weight.assign(static_cast<size_t>(L + 1) * N, 0.0f);
      const Topology& t = m.topology;
      for (int levels = 1; levels <= L; ++levels) {
        const int n = 2 * levels;
        float* cw = w.column_weight.data() + static_cast<size_t>(levels) * N;
        for (int i = 0; i < n; ++i) {
          int degree = 0;
          for (int e = t.offsets[i]; e < t.offsets[i + 1] && t.sources[e] < n; ++e) ++degree;
          for (int e = t.offsets[i]; e < t.offsets[i + 1] && t.sources[e] < n; ++e) {
            cw[t.sources[e]] += static_cast<float>(1.0 / (static_cast<double>(degree) * n));
          }
          w.mean_weight[static_cast<size_t>(levels) * N + i] = 1.0f / static_cast<float>(n);
        }
      }
    } else {
      const float* in_b = m.in_bias.data();
      w.qk = dense(in_w, E, nullptr, 0, in_b, 2 * E, format_);
      w.qkv = dense(in_w, E, nullptr, 0, in_b, 3 * E, format_);
      if (kernels_.split_fp32 && format_ == WeightFormat::F32 && E % 32 == 0) {
        cpu::pack_split_bf16(w.qk, in_w, E, nullptr, 0);
        cpu::pack_split_bf16(w.qkv, in_w, E, nullptr, 0);
      }
      const int d = E / m.heads;
      for (int h = 0; h < m.heads; ++h) {
        w.value_heads[h] = dense(wv + static_cast<size_t>(h) * d * E, E, nullptr, 0, bv + h * d, d, WeightFormat::F32);
      }
      w.mean_weight.assign(static_cast<size_t>(L + 1) * N, 0.0f);
      for (int levels = 1; levels <= L; ++levels) {
        for (int i = 0; i < 2 * levels; ++i) w.mean_weight[static_cast<size_t>(levels) * N + i] = 1.0f / (2.0f * levels);
      }
    }
    return packed;
  }

  void make_buffers() {
    workspaces_.resize(threads_);
    for (auto& ws : workspaces_) size_workspace(ws);
    if (threads_ > 1) pool_ = std::make_unique<ThreadPool>(threads_);
    const size_t rows = static_cast<size_t>(model_.nodes());
    features64_.resize(rows * kNodeFeatures);
    single_features_.resize(rows * kNodeFeatures);
  }

  void size_workspace(Workspace& ws) const {
    const GnnModel& m = model_;
    const size_t N = m.nodes(), F = m.node_features, H = m.hidden, E = m.embed;
    const size_t n_pad = (N + 15) / 16 * 16;
    ws.agg.resize(N * std::max(H, F));
    ws.h1.resize(N * H);
    ws.h2.resize(N * H);
    ws.h3.resize(N * E);
    ws.qk.resize(N * 2 * E);
    ws.qkv.resize(N * 3 * E);
    ws.rows_a.resize(N * E);
    ws.rows_b.resize(N * E);
    ws.kt.resize(E * n_pad);
    ws.scores.resize(n_pad);
    ws.key_weight.resize(N);
    ws.col_c.resize(H);
    ws.col_m.resize(H);
    ws.u.resize(E);
    ws.head_mean.resize(E);
    ws.g.resize(E);
    ws.v.resize(E);
    ws.attended.resize(E);
    ws.embedding.resize(E);
    const size_t G = kGroup;
    ws.group_agg.resize(G * N * std::max(H, F));
    ws.group_h1.resize(G * N * H);
    ws.group_h2.resize(G * N * H);
    ws.group_h3.resize(G * N * E);
    ws.group_qk.resize(G * N * 2 * E);
    ws.group_col_c.resize(G * H);
    ws.group_col_m.resize(G * H);
    ws.group_attended.resize(G * E);
    size_t words = 0;
    for (const PackedDense* p : {&w_->conv[0], &w_->conv[1], &w_->conv[2], &w_->qk, &w_->qkv}) {
      words = std::max(words, cpu::dense_scratch_words(*p, static_cast<int>(G * N)));
    }
    ws.scratch.resize(words);
  }

  void apply(const PackedDense& w, int rows, const float* a1, size_t lda1, const float* a2, size_t lda2, bool relu,
             float* y, size_t ldy, Workspace& ws) const {
    DenseArgs d;
    d.rows = rows;
    d.a1 = a1;
    d.lda1 = lda1;
    d.a2 = a2;
    d.lda2 = lda2;
    d.w = &w;
    d.relu = relu;
    d.y = y;
    d.ldy = ldy;
    d.scratch = ws.scratch.data();
    kernels_.dense(d);
  }

  // One fused GraphSAGE layer: neighbour means, then both linear maps, the bias and the ReLU in
  // one pass of register tiles over [agg | x].
  void sage(int layer, int n, const float* x, float* y, bool relu, Workspace& ws) const {
    const PackedDense& w = w_->conv[layer];
    const Topology& t = model_.topology;
    kernels_.mean_aggregate(t.offsets.data(), t.sources.data(), n, x, w.k1, ws.agg.data());
    apply(w, n, ws.agg.data(), w.k1, x, w.k2, relu, y, w.out, ws);
  }

  // Folded levels attention for one book from its conv3 rows h3 [n, E] and q|k rows [n, 2E]:
  // mean_i sum_j p_ij (Wv h_j + bv) = Wv (sum_j w_j h_j) + bv with w_j = mean_i p_ij (the weights
  // sum to 1), so the value map runs once per head instead of once per node, and out_proj once
  // on the mean. Writes E floats to `attended`.
  void attend_levels(Workspace& ws, int n, const float* h3, const float* qk, float* attended) const {
    const int E = model_.embed, heads = model_.heads, d = E / heads;
    const float scale = 1.0f / std::sqrt(static_cast<float>(d));
    for (int h = 0; h < heads; ++h) {
      std::fill(ws.key_weight.begin(), ws.key_weight.begin() + n, 0.0f);
      cpu::AttentionArgs a;
      a.n = n;
      a.d = d;
      a.q = qk + h * d;
      a.k = qk + E + h * d;
      a.ld = 2 * E;
      a.scale = scale;
      a.kt = ws.kt.data();
      a.scores = ws.scores.data();
      a.key_weight = ws.key_weight.data();
      kernels_.attention_key_weights(a);
      kernels_.weighted_column_sum(h3, n, E, ws.key_weight.data(), ws.u.data());
      apply(w_->value_heads[h], 1, ws.u.data(), E, nullptr, 0, false, ws.head_mean.data() + h * d, d, ws);
    }
    apply(w_->out_proj, 1, ws.head_mean.data(), E, nullptr, 0, false, attended, E, ws);
  }

  // Up to kGroup books with folds on: the dense layers run once over all their rows (book b's
  // rows from b * nodes; rows past a shallow book's depth are computed and never read, and
  // every row's arithmetic is the same as in run(), so results are bit-identical to it).
  void run_group(Workspace& ws, const float* x, size_t stride, const int* levels, int count, ForwardOutput* outs) const {
    const GnnModel& m = model_;
    const Topology& t = m.topology;
    const int N = m.nodes(), F = m.node_features, H = m.hidden, E = m.embed, rows = count * N;
    auto aggregate = [&](const float* in, int width) {
      for (int b = 0; b < count; ++b) {
        const size_t at = static_cast<size_t>(b) * N * width;
        kernels_.mean_aggregate(t.offsets.data(), t.sources.data(), 2 * levels[b], in + at, width, ws.group_agg.data() + at);
      }
    };
    (void)stride;  // == N * F, checked by forward_batch
    aggregate(x, F);
    apply(w_->conv[0], rows, ws.group_agg.data(), F, x, F, true, ws.group_h1.data(), H, ws);
    aggregate(ws.group_h1.data(), H);
    apply(w_->conv[1], rows, ws.group_agg.data(), H, ws.group_h1.data(), H, true, ws.group_h2.data(), H, ws);
    if (m.attention == AttentionMode::Pooled) {
      for (int b = 0; b < count; ++b) {
        const int n = 2 * levels[b];
        const float* h2 = ws.group_h2.data() + static_cast<size_t>(b) * N * H;
        kernels_.weighted_column_sum(h2, n, H, w_->column_weight.data() + static_cast<size_t>(levels[b]) * N,
                                     ws.group_col_c.data() + static_cast<size_t>(b) * H);
        kernels_.weighted_column_sum(h2, n, H, w_->mean_weight.data() + static_cast<size_t>(levels[b]) * N,
                                     ws.group_col_m.data() + static_cast<size_t>(b) * H);
      }
      apply(w_->pooled_fold, count, ws.group_col_c.data(), H, ws.group_col_m.data(), H, false, ws.group_attended.data(), E, ws);
    } else {
      aggregate(ws.group_h2.data(), H);
      apply(w_->conv[2], rows, ws.group_agg.data(), H, ws.group_h2.data(), H, false, ws.group_h3.data(), E, ws);
      apply(w_->qk, rows, ws.group_h3.data(), E, nullptr, 0, false, ws.group_qk.data(), 2 * E, ws);
      for (int b = 0; b < count; ++b) {
        attend_levels(ws, 2 * levels[b], ws.group_h3.data() + static_cast<size_t>(b) * N * E,
                      ws.group_qk.data() + static_cast<size_t>(b) * N * 2 * E,
                      ws.group_attended.data() + static_cast<size_t>(b) * E);
      }
    }
    for (int b = 0; b < count; ++b) {
      cpu::readout_forward(w_->readout, ws.group_attended.data() + static_cast<size_t>(b) * E, &outs[b], ws.embedding.data());
    }
  }

  void run(Workspace& ws, const float* x, int levels, ForwardOutput* out) const {
    const GnnModel& m = model_;
    const int n = 2 * levels, H = m.hidden, E = m.embed, N = m.nodes();
    sage(0, n, x, ws.h1.data(), true, ws);
    sage(1, n, ws.h1.data(), ws.h2.data(), true, ws);
    const float* mean_w = w_->mean_weight.data() + static_cast<size_t>(levels) * N;
    if (m.attention == AttentionMode::Pooled) {
      if (folds_) {
        kernels_.weighted_column_sum(ws.h2.data(), n, H, w_->column_weight.data() + static_cast<size_t>(levels) * N,
                                     ws.col_c.data());
        kernels_.weighted_column_sum(ws.h2.data(), n, H, mean_w, ws.col_m.data());
        apply(w_->pooled_fold, 1, ws.col_c.data(), H, ws.col_m.data(), H, false, ws.attended.data(), E, ws);
      } else {
        sage(2, n, ws.h2.data(), ws.h3.data(), false, ws);
        kernels_.weighted_column_sum(ws.h3.data(), n, E, mean_w, ws.g.data());
        apply(w_->value, 1, ws.g.data(), E, nullptr, 0, false, ws.v.data(), E, ws);
        apply(w_->out_proj, 1, ws.v.data(), E, nullptr, 0, false, ws.attended.data(), E, ws);
      }
    } else {
      sage(2, n, ws.h2.data(), ws.h3.data(), false, ws);
      const int heads = m.heads, d = E / heads;
      const float scale = 1.0f / std::sqrt(static_cast<float>(d));
      if (folds_) {
        apply(w_->qk, n, ws.h3.data(), E, nullptr, 0, false, ws.qk.data(), 2 * E, ws);
        attend_levels(ws, n, ws.h3.data(), ws.qk.data(), ws.attended.data());
      } else {
        apply(w_->qkv, n, ws.h3.data(), E, nullptr, 0, false, ws.qkv.data(), 3 * E, ws);
        for (int h = 0; h < heads; ++h) {
          cpu::AttentionRowsArgs a;
          a.n = n;
          a.d = d;
          a.q = ws.qkv.data() + h * d;
          a.k = ws.qkv.data() + E + h * d;
          a.v = ws.qkv.data() + 2 * E + h * d;
          a.ld = 3 * E;
          a.scale = scale;
          a.kt = ws.kt.data();
          a.scores = ws.scores.data();
          a.out = ws.rows_a.data() + h * d;
          a.ldo = E;
          kernels_.attention_rows(a);
        }
        apply(w_->out_proj, n, ws.rows_a.data(), E, nullptr, 0, false, ws.rows_b.data(), E, ws);
        kernels_.weighted_column_sum(ws.rows_b.data(), n, E, mean_w, ws.attended.data());
      }
    }
    cpu::readout_forward(w_->readout, ws.attended.data(), out, ws.embedding.data());
  }
};

}  // namespace

std::unique_ptr<InferenceBackend> make_cpu_backend(const GnnModel& model, const CpuOptions& options) {
  return std::make_unique<CpuBackend>(model, options);
}

double cpu_forward_macs(const GnnModel& m, int levels, bool folds) {
  const double n = 2.0 * levels, F = m.node_features, H = m.hidden, E = m.embed, heads = m.heads, d = E / heads;
  const double conv12 = n * 2 * F * H + n * 2 * H * H;
  const double conv3 = n * 2 * H * E;
  const double readout = 5 * E;
  if (m.attention == AttentionMode::Pooled) {
    // Folded: two column sums of h2 (2 n H) and one [E, 2H] map; as written: conv3 on every node,
    // then v_proj and out_proj on the mean.
    return folds ? conv12 + 2 * n * H + 2 * H * E + readout : conv12 + conv3 + n * E + 2 * E * E + readout;
  }
  const double scores = heads * n * n * d;
  if (folds) {
    // q|k for every node, scores, key-weighted sums (heads n E), value maps (E E), out_proj (E E).
    return conv12 + conv3 + n * 2 * E * E + scores + heads * n * E + 2 * E * E + readout;
  }
  return conv12 + conv3 + n * 3 * E * E + 2 * scores + n * E * E + n * E + readout;
}

std::vector<std::string> cpu_kernel_names() { return cpu::available_kernels(); }

CpuPeak measure_cpu_peak(const std::string& kernels, double seconds) {
  const CpuKernels& k = cpu::select_kernels(kernels);
  CpuPeak p;
  p.kernels = k.name;
  p.fp32_gflops = k.peak_gflops(seconds, false);
  p.bf16_gflops = k.native_bf16 ? k.peak_gflops(seconds, true) : 0.0;
  return p;
}

}  // namespace hawkgraph
