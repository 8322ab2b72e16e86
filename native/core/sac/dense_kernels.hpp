// The dense-layer kernels SAC's networks run on (float32, row-major): the forward product with
// bias and ReLU, the weight gradient and the input gradient, each over a whole minibatch. They are
// the hot path of training (about 95 % of an update's flops). Plain C++; no Node or CUDA headers.
#pragma once

#include <cstddef>

namespace hawkgraph::sac {

// y[B][N] = x[B][K] w[K][N] + bias[N], then max(0, .) when relu.
void dense_forward(const float* x, int batch, int k, const float* w, const float* bias, int n, float* y, bool relu);

// dw[K][N] = x[B][K]^T dy[B][N] and db[N] = column sums of dy (overwritten, not accumulated).
void dense_weight_grad(const float* x, int batch, int k, const float* dy, int n, float* dw, float* db);

// dx[B][K] = dy[B][N] w[K][N]^T, then 0 where gate[B][K] <= 0 when gate is not null (the ReLU's
// backward pass, gated by its output, fused in); wt_scratch holds K * N floats (w transposed, so
// the product runs on the forward kernel's contiguous rows).
void dense_input_grad(const float* dy, int batch, int n, const float* w, int k, float* dx, float* wt_scratch, const float* gate);

}  // namespace hawkgraph::sac
