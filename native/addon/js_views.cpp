#include "js_views.hpp"

#include <cmath>

#include "js_errors.hpp"

namespace hawkgraph::addon {
namespace {

template <typename T>
ArrayView<T> typed_view(const Napi::Value& v, napi_typedarray_type type, const char* type_name,
                        const char* name) {
  if (!v.IsTypedArray() || v.As<Napi::TypedArray>().TypedArrayType() != type) {
    throw make_error(v.Env(), "ERR_INVALID_ARGUMENT", std::string(name) + " must be a " + type_name);
  }
  auto array = v.As<Napi::TypedArrayOf<T>>();
  return {array.Data(), array.ElementLength()};
}

}  // namespace

ArrayView<double> float64_view(const Napi::Value& v, const char* name) {
  return typed_view<double>(v, napi_float64_array, "Float64Array", name);
}

ArrayView<float> float32_view(const Napi::Value& v, const char* name) {
  return typed_view<float>(v, napi_float32_array, "Float32Array", name);
}

ArrayView<int32_t> int32_view(const Napi::Value& v, const char* name) {
  return typed_view<int32_t>(v, napi_int32_array, "Int32Array", name);
}

ArrayView<uint8_t> uint8_view(const Napi::Value& v, const char* name) {
  return typed_view<uint8_t>(v, napi_uint8_array, "Uint8Array", name);
}

int32_t int_arg(const Napi::Value& v, const char* name, int32_t lo, int32_t hi) {
  double d = v.IsNumber() ? v.As<Napi::Number>().DoubleValue() : NAN;
  if (!(d >= lo && d <= hi) || d != std::floor(d)) {
    throw make_error(v.Env(), "ERR_INVALID_ARGUMENT",
                     std::string(name) + " must be an integer in [" + std::to_string(lo) + ", " +
                         std::to_string(hi) + "]");
  }
  return static_cast<int32_t>(d);
}

}  // namespace hawkgraph::addon
