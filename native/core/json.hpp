// A small, strict, bounds-checked JSON reader for safetensors headers: depth-limited, no
// recursion past kMaxDepth, duplicate keys refused, integers kept exact up to 2^63.
#pragma once

#include <cstdint>
#include <map>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

namespace hawkgraph::json {

enum class Kind { Null, Bool, Number, String, Array, Object };

struct Value {
  Kind kind = Kind::Null;
  bool boolean = false;
  double number = 0.0;
  bool is_integer = false;  // number had no fraction/exponent and fits in int64
  int64_t integer = 0;
  std::string string;
  std::vector<Value> array;
  std::vector<std::pair<std::string, Value>> object;  // in file order

  const Value* find(std::string_view key) const;
};

// Throws hawkgraph::Error("ERR_MODEL_HEADER", ...) on any syntax error.
Value parse(std::string_view text);

}  // namespace hawkgraph::json
