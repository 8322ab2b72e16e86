#include "cpu_backend.hpp"

#include <algorithm>
#include <vector>

#include "attention.hpp"
#include "readout.hpp"
#include "sage_layer.hpp"

namespace hawkgraph {
namespace {

class CpuBackend final : public InferenceBackend {
 public:
  explicit CpuBackend(const GnnModel& m)
      : model_(m),
        conv_{cpu::pack_sage(m.conv[0]), cpu::pack_sage(m.conv[1]), cpu::pack_sage(m.conv[2])},
        attention_(cpu::pack_attention(m)),
        readout_(cpu::pack_readout(m)) {
    const size_t nodes = static_cast<size_t>(m.nodes());
    const size_t widest = static_cast<size_t>(std::max(m.hidden, m.node_features));
    agg_.resize(nodes * widest);
    h1_.resize(nodes * m.hidden);
    h2_.resize(nodes * m.hidden);
    h3_.resize(nodes * m.embed);
    qkv_.resize(m.attention == AttentionMode::Levels ? nodes * 3 * m.embed : 0);
    scores_.resize(nodes);
    pooled_.resize(m.embed);
    scratch_.resize(m.embed);
    attended_.resize(m.embed);
  }

  std::string name() const override { return "cpu"; }
  std::string precision() const override { return "fp32"; }

  void forward(const float* x, int levels, ForwardOutput* out) override {
    const int n = 2 * levels;
    const Topology& topo = model_.topology;
    cpu::sage_mean_aggregate(topo, n, x, conv_[0].in, agg_.data());
    cpu::sage_layer_forward(conv_[0], n, agg_.data(), x, true, h1_.data());
    cpu::sage_mean_aggregate(topo, n, h1_.data(), conv_[1].in, agg_.data());
    cpu::sage_layer_forward(conv_[1], n, agg_.data(), h1_.data(), true, h2_.data());
    cpu::sage_mean_aggregate(topo, n, h2_.data(), conv_[2].in, agg_.data());
    cpu::sage_layer_forward(conv_[2], n, agg_.data(), h2_.data(), false, h3_.data());

    const int E = model_.embed;
    if (model_.attention == AttentionMode::Pooled) {
      std::fill(pooled_.begin(), pooled_.end(), 0.0f);
      for (int i = 0; i < n; ++i) {
        const float* row = h3_.data() + static_cast<size_t>(i) * E;
        for (int c = 0; c < E; ++c) pooled_[c] += row[c];
      }
      for (int c = 0; c < E; ++c) pooled_[c] /= static_cast<float>(n);
      cpu::attention_single_token(attention_, pooled_.data(), scratch_.data(), attended_.data());
    } else {
      cpu::attention_sequence_mean(attention_, n, h3_.data(), qkv_.data(), scores_.data(),
                                   scratch_.data(), attended_.data());
    }
    cpu::readout_forward(readout_, attended_.data(), out);
  }

 private:
  const GnnModel& model_;
  cpu::PackedSage conv_[3];
  cpu::PackedAttention attention_;
  cpu::PackedReadout readout_;
  std::vector<float> agg_, h1_, h2_, h3_, qkv_, scores_, pooled_, scratch_, attended_;
};

}  // namespace

std::unique_ptr<InferenceBackend> make_cpu_backend(const GnnModel& model) {
  return std::make_unique<CpuBackend>(model);
}

}  // namespace hawkgraph
