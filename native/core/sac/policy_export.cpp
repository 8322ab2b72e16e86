#include "policy_export.hpp"

#include <cstdio>
#include <cstring>
#include <string>

namespace hawkgraph::sac {
namespace {

// Nine significant digits round-trip every float32.
std::string float_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.9g", v);
  return buf;
}

std::string json_array(const float* v, int n) {
  std::string s = "[";
  for (int i = 0; i < n; ++i) s += (i ? "," : "") + float_text(v[i]);
  return s + "]";
}

struct Tensor {
  std::string name;
  std::vector<int64_t> shape;
  std::vector<float> data;
};

}  // namespace

std::vector<uint8_t> export_policy(const Mlp& actor, const LobNormalisation& norm, double action_scale, double action_offset) {
  std::vector<Tensor> tensors;
  const int layers = actor.layers();
  const int actions = actor.outputs() / 2;
  for (int l = 0; l < layers; ++l) {
    const int n_in = actor.width(l);
    // The head's first `actions` outputs are the means; the log standard deviations are dropped.
    const int n_out = l + 1 == layers ? actions : actor.width(l + 1);
    const int stride = actor.width(l + 1);
    Tensor w{"layers." + std::to_string(l) + ".weight", {n_out, n_in}, std::vector<float>(static_cast<size_t>(n_out) * n_in)};
    for (int o = 0; o < n_out; ++o) {
      for (int i = 0; i < n_in; ++i) w.data[static_cast<size_t>(o) * n_in + i] = actor.weight(l)[static_cast<size_t>(i) * stride + o];
    }
    Tensor b{"layers." + std::to_string(l) + ".bias", {n_out}, std::vector<float>(actor.bias(l), actor.bias(l) + n_out)};
    tensors.push_back(std::move(w));
    tensors.push_back(std::move(b));
  }
  const float scale[2] = {static_cast<float>(action_scale), static_cast<float>(action_scale)};
  const float offset[2] = {static_cast<float>(action_offset), static_cast<float>(action_offset)};
  std::string header = "{\"__metadata__\":{\"input_mean\":\"" + json_array(norm.mean, 3) + "\",\"input_std\":\"" + json_array(norm.std, 3) +
                       "\",\"output_activation\":\"tanh\",\"output_scale\":\"" + json_array(scale, 2) + "\",\"output_offset\":\"" +
                       json_array(offset, 2) + "\",\"offsets_from\":\"best\",\"producer\":\"hawkgraph trainPolicy (SAC)\"}";
  size_t at = 0;
  for (const Tensor& t : tensors) {
    const size_t bytes = t.data.size() * sizeof(float);
    header += ",\"" + t.name + "\":{\"dtype\":\"F32\",\"shape\":[";
    for (size_t i = 0; i < t.shape.size(); ++i) header += (i ? "," : "") + std::to_string(t.shape[i]);
    header += "],\"data_offsets\":[" + std::to_string(at) + "," + std::to_string(at + bytes) + "]}";
    at += bytes;
  }
  header += "}";
  while (header.size() % 8 != 0) header += ' ';  // the data starts 8-byte aligned
  std::vector<uint8_t> out(8 + header.size() + at);
  const uint64_t n = header.size();
  for (int i = 0; i < 8; ++i) out[static_cast<size_t>(i)] = static_cast<uint8_t>(n >> (8 * i));
  std::memcpy(out.data() + 8, header.data(), header.size());
  uint8_t* data = out.data() + 8 + header.size();
  for (const Tensor& t : tensors) {
    std::memcpy(data, t.data.data(), t.data.size() * sizeof(float));
    data += t.data.size() * sizeof(float);
  }
  return out;
}

}  // namespace hawkgraph::sac
