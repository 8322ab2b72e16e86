// libFuzzer harness: the strict JSON reader of safetensors headers and policy metadata
// (native/core/json.cpp). Refusals (hawkgraph::Error, ERR_MODEL_HEADER) are expected; anything
// else is a finding. An accepted document must also survive a round trip: written back as JSON
// (every string escaped, every number in a form that reads back to the same double) it parses
// to the same tree, so the reader neither loses nor invents bytes.
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <string_view>

#include "error.hpp"
#include "json.hpp"

namespace {

using hawkgraph::json::Kind;
using hawkgraph::json::Value;

[[noreturn]] void broken(const char* what) {
  std::fprintf(stderr, "json_reader: invariant broken: %s\n", what);
  std::abort();
}

void write_string(const std::string& s, std::string& out) {
  out += '"';
  for (unsigned char c : s) {
    if (c == '"' || c == '\\') {
      out += '\\';
      out += static_cast<char>(c);
    } else if (c < 0x20) {
      char esc[8];
      std::snprintf(esc, sizeof esc, "\\u%04x", c);
      out += esc;
    } else {
      out += static_cast<char>(c);
    }
  }
  out += '"';
}

void write_value(const Value& v, std::string& out) {
  switch (v.kind) {
    case Kind::Null: out += "null"; break;
    case Kind::Bool: out += v.boolean ? "true" : "false"; break;
    case Kind::Number: {
      if (v.is_integer) {
        out += std::to_string(v.integer);
      } else if (std::isinf(v.number)) {
        out += v.number > 0 ? "1e999" : "-1e999";
      } else {
        char buf[40];
        std::snprintf(buf, sizeof buf, "%.17g", v.number);
        out += buf;
      }
      break;
    }
    case Kind::String: write_string(v.string, out); break;
    case Kind::Array:
      out += '[';
      for (size_t i = 0; i < v.array.size(); ++i) {
        if (i) out += ',';
        write_value(v.array[i], out);
      }
      out += ']';
      break;
    case Kind::Object:
      out += '{';
      for (size_t i = 0; i < v.object.size(); ++i) {
        if (i) out += ',';
        write_string(v.object[i].first, out);
        out += ':';
        write_value(v.object[i].second, out);
      }
      out += '}';
      break;
  }
}

bool same(const Value& a, const Value& b) {
  if (a.kind != b.kind) return false;
  switch (a.kind) {
    case Kind::Null: return true;
    case Kind::Bool: return a.boolean == b.boolean;
    case Kind::Number:
      if (std::isnan(a.number)) return false;  // the grammar has no NaN
      if (a.number != b.number) return false;
      // "100.0" reads back as the integer 100; an integer must stay one, with the same value.
      return !a.is_integer || (b.is_integer && a.integer == b.integer);
    case Kind::String: return a.string == b.string;
    case Kind::Array:
      if (a.array.size() != b.array.size()) return false;
      for (size_t i = 0; i < a.array.size(); ++i) {
        if (!same(a.array[i], b.array[i])) return false;
      }
      return true;
    case Kind::Object:
      if (a.object.size() != b.object.size()) return false;
      for (size_t i = 0; i < a.object.size(); ++i) {
        if (a.object[i].first != b.object[i].first || !same(a.object[i].second, b.object[i].second)) return false;
        if (a.find(a.object[i].first) != &a.object[i].second) broken("find() misses a key of the object");
      }
      return true;
  }
  return false;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string_view text(reinterpret_cast<const char*>(data), size);
  Value doc;
  try {
    doc = hawkgraph::json::parse(text);
  } catch (const hawkgraph::Error& e) {
    if (e.code() != "ERR_MODEL_HEADER") broken("a refusal with another code than ERR_MODEL_HEADER");
    return 0;
  }
  std::string written;
  write_value(doc, written);
  Value again;
  try {
    again = hawkgraph::json::parse(written);
  } catch (const hawkgraph::Error&) {
    broken("an accepted document, written back, is refused");
  }
  if (!same(doc, again)) broken("an accepted document, written back, reads differently");
  return 0;
}
