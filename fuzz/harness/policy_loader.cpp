// libFuzzer harness: the backtest policy-network reader (backtest::load_policy, the bytes of
// runBacktest({ strategy: { policy } })). Refusals (hawkgraph::Error, ERR_POLICY) are expected;
// anything else is a finding. An accepted policy is then run as the backtest runs it: the shared
// per-step MLP (backtest_step.hpp, the code CPU threads and CUDA threads both execute) on a few
// observations, with the decision it turns into checked (no market order, the file's reference).
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <vector>

#include "backtest/backtest.hpp"
#include "error.hpp"

namespace {

using namespace hawkgraph::backtest;

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "policy_loader: invariant broken: %s\n", what);
  std::abort();
}

void check_policy(const Policy& p) {
  const MlpView& v = p.view;
  if (v.layers < 1 || v.layers > kMaxMlpLayers) broken("layer count");
  if (v.width[0] != kPolicyInputs || v.width[v.layers] != kPolicyOutputs) broken("input or output width");
  if (p.weight_t.size() != static_cast<size_t>(v.layers) || p.bias.size() != static_cast<size_t>(v.layers)) broken("owned layers");
  for (int l = 0; l < v.layers; ++l) {
    if (v.width[l + 1] < 1 || v.width[l + 1] > kMaxMlpWidth) broken("hidden width");
    if (p.weight_t[static_cast<size_t>(l)].size() != static_cast<size_t>(v.width[l]) * v.width[l + 1]) broken("weight size");
    if (p.bias[static_cast<size_t>(l)].size() != static_cast<size_t>(v.width[l + 1])) broken("bias size");
    if (v.weight_t[l] != p.weight_t[static_cast<size_t>(l)].data() || v.bias[l] != p.bias[static_cast<size_t>(l)].data()) broken("view pointers");
  }
  // The network runs in float32: what the metadata says must hold there too (a std that rounds to
  // 0 divides by zero, a mean beyond FLT_MAX is infinite).
  for (int i = 0; i < kPolicyInputs; ++i) {
    if (!(v.input_std[i] > 0) || !std::isfinite(v.input_std[i]) || !std::isfinite(v.input_mean[i])) {
      broken("input_mean / input_std not finite and > 0 in float32");
    }
  }
  for (int j = 0; j < kPolicyOutputs; ++j) {
    if (!std::isfinite(v.output_scale[j]) || !std::isfinite(v.output_offset[j])) broken("output_scale / output_offset not finite in float32");
  }
}

void run_policy(const Policy& p) {
  // The scratch the CPU driver gives a lane: two activations of the widest layer.
  std::vector<float> scratch(2 * kMaxMlpWidth);
  PolicyStrategy<InlineForward> strategy{&p.view, InlineForward{}, scratch.data()};
  const Observation observations[] = {
      {0.0, 0, 10000, 10001, 0.0, 0.0, 0},
      {1.5, 7, 9990, 10010, 3.25, -12.0, 3},
      {2.0, -10, 1, 2, -1e6, 1e6, 100},
      {3.0, 3, 4000000, 4000003, 1e9, 0.0, 7},
  };
  for (const Observation& o : observations) {
    // Any offsets are a valid decision (a quote across the spread is a market order, NaN no
    // quote); what the file decides is the reference they are measured from.
    const Decision d = strategy.decide(o);
    if (d.market != 0) broken("a policy decided a market order");
    if (d.from_best != (p.view.offsets_from_best != 0)) broken("offsets measured from another reference than the file's offsets_from");
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::unique_ptr<Policy> policy;
  try {
    policy = load_policy(data, size);
  } catch (const hawkgraph::Error& e) {
    if (e.code() != "ERR_POLICY") broken("a refusal with another code than ERR_POLICY");
    return 0;
  }
  if (!policy) broken("load_policy returned null");
  check_policy(*policy);
  run_policy(*policy);
  return 0;
}
