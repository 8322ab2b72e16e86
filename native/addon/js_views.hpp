// Checked views of JS typed arrays: the addon never trusts lib/ for types or lengths.
#pragma once

#include <napi.h>

#include <cstddef>
#include <string>

namespace hawkgraph::addon {

template <typename T>
struct ArrayView {
  T* data;
  size_t length;
};

ArrayView<double> float64_view(const Napi::Value& v, const char* name);
ArrayView<float> float32_view(const Napi::Value& v, const char* name);
ArrayView<int32_t> int32_view(const Napi::Value& v, const char* name);
ArrayView<uint8_t> uint8_view(const Napi::Value& v, const char* name);
int32_t int_arg(const Napi::Value& v, const char* name, int32_t lo, int32_t hi);

}  // namespace hawkgraph::addon
