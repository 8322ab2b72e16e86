// Checked views of JS arguments: typed arrays, books and option fields. The addon never trusts
// lib/ for types or lengths; the bounds themselves come from core/limits.hpp.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include "../core/book.hpp"

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

// A book from six arguments starting at `first`: (bidPx, bidSz, bidCount, askPx, askSz, askCount),
// the counts at most limits::kMaxBookLevels and within their arrays (ERR_BOOK_LENGTH).
BookView book_args(const Napi::CallbackInfo& info, size_t first);

// Fields of an options object lib/ built, each refused with ERR_INVALID_OPTION naming it: a number
// (required, or `fallback` when undefined), an integer in [lo, hi], a flag, a string.
double number_field(const Napi::Object& o, const char* name);
double number_field(const Napi::Object& o, const char* name, double fallback);
int64_t integer_field(const Napi::Object& o, const char* name, double lo, double hi);
int64_t integer_field(const Napi::Object& o, const char* name, double fallback, double lo, double hi);
bool bool_field(const Napi::Object& o, const char* name);
// A string field, or `fallback` when it is not a string.
std::string string_field(const Napi::Object& o, const char* name, const std::string& fallback);

// Results handed to JS are written into V8-owned typed arrays. (Buffers handed over with a native
// finalizer, napi_create_external_arraybuffer, are freed only once the event loop turns, so a
// synchronous loop of calls would pile them up.)

// A typed array holding a copy of n elements.
template <typename T, typename Array>
Array copy_out(Napi::Env env, const T* data, size_t n) {
  Array a = Array::New(env, n);
  if (n > 0) std::memcpy(a.Data(), data, sizeof(T) * n);
  return a;
}

template <typename T, typename Array>
Array copy_out(Napi::Env env, const std::vector<T>& v) {
  return copy_out<T, Array>(env, v.data(), v.size());
}

inline Napi::Float64Array float64_copy(Napi::Env env, const std::vector<double>& v) {
  return copy_out<double, Napi::Float64Array>(env, v);
}

// A typed array of n elements over uninitialised V8 memory (napi_create_buffer does not zero-fill;
// the caller writes every element before JS sees it).
template <typename T, typename Array>
Array uninitialized_array(Napi::Env env, size_t n) {
  Napi::Buffer<uint8_t> bytes = Napi::Buffer<uint8_t>::New(env, n * sizeof(T));
  return Array::New(env, n, bytes.ArrayBuffer(), bytes.ByteOffset());
}

}  // namespace hawkgraph::addon
