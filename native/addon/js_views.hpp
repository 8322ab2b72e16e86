// Checked views of JS arguments: typed arrays, books and option fields. The addon never trusts
// lib/ for types or lengths; the bounds themselves come from core/limits.hpp.
#pragma once

#include <napi.h>

#include <cstddef>
#include <cstdint>
#include <string>

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

}  // namespace hawkgraph::addon
