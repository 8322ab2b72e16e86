#include "js_views.hpp"

#include <cmath>

#include "../core/error.hpp"
#include "../core/limits.hpp"
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

BookView book_args(const Napi::CallbackInfo& info, size_t first) {
  auto bid_px = float64_view(info[first], "bidPx");
  auto bid_sz = float64_view(info[first + 1], "bidSz");
  const int32_t nb = int_arg(info[first + 2], "bidCount", 0, limits::kMaxBookLevels);
  auto ask_px = float64_view(info[first + 3], "askPx");
  auto ask_sz = float64_view(info[first + 4], "askSz");
  const int32_t na = int_arg(info[first + 5], "askCount", 0, limits::kMaxBookLevels);
  if (static_cast<size_t>(nb) > bid_px.length || static_cast<size_t>(nb) > bid_sz.length ||
      static_cast<size_t>(na) > ask_px.length || static_cast<size_t>(na) > ask_sz.length) {
    throw make_error(info.Env(), "ERR_BOOK_LENGTH", "book level counts exceed the arrays passed");
  }
  return BookView{{bid_px.data, bid_sz.data, nb}, {ask_px.data, ask_sz.data, na}};
}

double number_field(const Napi::Object& o, const char* name) {
  const Napi::Value v = o.Get(name);
  if (!v.IsNumber()) throw Error("ERR_INVALID_OPTION", std::string(name) + " must be a number");
  return v.As<Napi::Number>().DoubleValue();
}

double number_field(const Napi::Object& o, const char* name, double fallback) {
  return o.Get(name).IsUndefined() ? fallback : number_field(o, name);
}

int64_t integer_field(const Napi::Object& o, const char* name, double lo, double hi) {
  return require_integer(name, number_field(o, name), lo, hi);
}

int64_t integer_field(const Napi::Object& o, const char* name, double fallback, double lo, double hi) {
  return require_integer(name, number_field(o, name, fallback), lo, hi);
}

bool bool_field(const Napi::Object& o, const char* name) {
  const Napi::Value v = o.Get(name);
  return !v.IsUndefined() && v.ToBoolean().Value();
}

std::string string_field(const Napi::Object& o, const char* name, const std::string& fallback) {
  const Napi::Value v = o.Get(name);
  return v.IsString() ? v.As<Napi::String>().Utf8Value() : fallback;
}

}  // namespace hawkgraph::addon
