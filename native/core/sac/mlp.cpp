#include "mlp.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>
#include <utility>

#include "dense_kernels.hpp"

namespace hawkgraph::sac {

Mlp::Mlp(std::vector<int> widths) : widths_(std::move(widths)) {
  size_t total = 0;
  for (int l = 0; l < layers(); ++l) {
    offset_.push_back(total);
    total += static_cast<size_t>(width(l)) * width(l + 1) + static_cast<size_t>(width(l + 1));
  }
  params_.assign(total, 0.0f);
}

void Mlp::init_uniform(SacRng& rng) {
  for (int l = 0; l < layers(); ++l) {
    const double bound = 1.0 / std::sqrt(static_cast<double>(width(l)));
    float* p = params_.data() + offset_[static_cast<size_t>(l)];
    const size_t count = static_cast<size_t>(width(l)) * width(l + 1) + static_cast<size_t>(width(l + 1));
    for (size_t i = 0; i < count; ++i) p[i] = static_cast<float>(rng.uniform(-bound, bound));
  }
}

MlpTape::MlpTape(const Mlp& net, int rows) : capacity(rows) {
  int widest = 0;
  size_t widest_layer = 0;
  for (int l = 0; l <= net.layers(); ++l) {
    act.emplace_back(static_cast<size_t>(rows) * net.width(l), 0.0f);
    widest = std::max(widest, net.width(l));
    if (l < net.layers()) widest_layer = std::max(widest_layer, static_cast<size_t>(net.width(l)) * net.width(l + 1));
  }
  delta.assign(static_cast<size_t>(rows) * widest, 0.0f);
  delta_prev.assign(delta.size(), 0.0f);
  wt_scratch.assign(widest_layer, 0.0f);
}

// Rows go through every layer a block at a time, so a layer reads the activations the one before
// it just wrote while they are still in L1 (each row's numbers are the same either way).
constexpr int kForwardRows = 64;

void mlp_forward(const Mlp& net, MlpTape& tape, int batch) {
  tape.batch = batch;
  for (int r0 = 0; r0 < batch; r0 += kForwardRows) {
    const int rows = std::min(kForwardRows, batch - r0);
    for (int l = 0; l < net.layers(); ++l) {
      const size_t in = static_cast<size_t>(net.width(l)), out = static_cast<size_t>(net.width(l + 1));
      dense_forward(tape.act[static_cast<size_t>(l)].data() + r0 * in, rows, net.width(l), net.weight(l), net.bias(l), net.width(l + 1),
                    tape.act[static_cast<size_t>(l) + 1].data() + r0 * out, l + 1 < net.layers());
    }
  }
}

void mlp_backward(const Mlp& net, MlpTape& tape, const float* d_output, float* grad, float* d_input) {
  const int batch = tape.batch;
  const int last = net.layers() - 1;
  std::memcpy(tape.delta.data(), d_output, sizeof(float) * static_cast<size_t>(batch) * net.outputs());
  for (int l = last; l >= 0; --l) {
    const int n_in = net.width(l), n_out = net.width(l + 1);
    const float* x = tape.act[static_cast<size_t>(l)].data();
    if (grad != nullptr) {
      float* dw = grad + net.weight_offset(l);
      dense_weight_grad(x, batch, n_in, tape.delta.data(), n_out, dw, dw + static_cast<size_t>(n_in) * n_out);
    }
    if (l == 0 && d_input == nullptr) break;
    float* dx = l == 0 ? d_input : tape.delta_prev.data();
    // Past a hidden layer's ReLU, gated by its output: a unit that output 0 passes nothing back.
    dense_input_grad(tape.delta.data(), batch, n_out, net.weight(l), n_in, dx, tape.wt_scratch.data(), l == 0 ? nullptr : x);
    if (l == 0) break;
    std::swap(tape.delta, tape.delta_prev);
  }
}

void mlp_backward(const Mlp& net, MlpTape& tape, const float* d_output, float* grad, float* d_input, TaskPair& pair) {
  const int batch = tape.batch;
  std::memcpy(tape.delta.data(), d_output, sizeof(float) * static_cast<size_t>(batch) * net.outputs());
  for (int l = net.layers() - 1; l >= 0; --l) {
    const int n_in = net.width(l), n_out = net.width(l + 1);
    const float* x = tape.act[static_cast<size_t>(l)].data();
    float* dx = l == 0 ? d_input : tape.delta_prev.data();
    auto layer = [&](int k) {
      if (k == 0) {
        float* dw = grad + net.weight_offset(l);
        dense_weight_grad(x, batch, n_in, tape.delta.data(), n_out, dw, dw + static_cast<size_t>(n_in) * n_out);
        return;
      }
      if (dx == nullptr) return;
      dense_input_grad(tape.delta.data(), batch, n_out, net.weight(l), n_in, dx, tape.wt_scratch.data(), l == 0 ? nullptr : x);
    };
    pair.run(layer);
    if (l > 0) std::swap(tape.delta, tape.delta_prev);
  }
}

}  // namespace hawkgraph::sac
