#include "linear.hpp"

#include <cstring>

namespace hawkgraph::cpu {

std::vector<float> transpose_weight(const Matrix& w) {
  std::vector<float> t(static_cast<size_t>(w.rows) * w.cols);
  for (int o = 0; o < w.rows; ++o) {
    for (int k = 0; k < w.cols; ++k) t[static_cast<size_t>(k) * w.rows + o] = w.row(o)[k];
  }
  return t;
}

void linear_forward(const float* v, int in, const float* weight_t, const float* bias, int out, float* y) {
  std::memcpy(y, bias, sizeof(float) * out);
  accumulate_rows(v, in, weight_t, out, y);
}

}  // namespace hawkgraph::cpu
