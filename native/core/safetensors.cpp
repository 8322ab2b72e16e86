// safetensors container parsing. Every length and offset from the file is checked against the
// file size before use, with overflow-safe arithmetic, and tensors may not overlap.
#include "safetensors.hpp"

#include <algorithm>
#include <cstring>

#include "error.hpp"
#include "json.hpp"

namespace hawkgraph {
namespace {

// The safetensors format caps the header at 100 MB; a larger claim is garbage, not a model.
constexpr uint64_t kMaxHeaderBytes = 100ull * 1000 * 1000;

[[noreturn]] void header_error(const std::string& message) {
  throw Error("ERR_MODEL_HEADER", message);
}

struct DTypeInfo {
  const char* name;
  DType dtype;
  size_t bytes;
};

constexpr DTypeInfo kDTypes[] = {
    {"F32", DType::F32, 4},  {"F64", DType::F64, 8}, {"F16", DType::F16, 2},
    {"BF16", DType::BF16, 2}, {"I64", DType::I64, 8}, {"I32", DType::I32, 4},
    {"I16", DType::I16, 2},  {"I8", DType::I8, 1},   {"U8", DType::U8, 1},
    {"BOOL", DType::BOOL, 1},
};

const DTypeInfo* lookup_dtype(const std::string& name) {
  for (const auto& d : kDTypes) {
    if (name == d.name) return &d;
  }
  return nullptr;
}

uint64_t read_u64_le(const uint8_t* p) {
  uint64_t v = 0;
  for (int i = 7; i >= 0; --i) v = (v << 8) | p[i];
  return v;
}

uint64_t integer_field(const json::Value& v, const std::string& what) {
  if (v.kind != json::Kind::Number || !v.is_integer || v.integer < 0) {
    header_error(what + " must be a non-negative integer");
  }
  return static_cast<uint64_t>(v.integer);
}

TensorView parse_entry(const std::string& name, const json::Value& entry, const uint8_t* data,
                       uint64_t data_size, uint64_t* begin_out, uint64_t* end_out) {
  const std::string where = "tensor \"" + name + "\"";
  if (entry.kind != json::Kind::Object) header_error(where + " entry must be an object");
  const json::Value* dtype = entry.find("dtype");
  const json::Value* shape = entry.find("shape");
  const json::Value* offsets = entry.find("data_offsets");
  if (!dtype || dtype->kind != json::Kind::String) header_error(where + " has no string dtype");
  if (!shape || shape->kind != json::Kind::Array) header_error(where + " has no shape array");
  if (!offsets || offsets->kind != json::Kind::Array || offsets->array.size() != 2) {
    header_error(where + " has no data_offsets [begin, end]");
  }
  if (entry.object.size() != 3) header_error(where + " has keys other than dtype, shape, data_offsets");

  TensorView t;
  t.name = name;
  t.dtype_name = dtype->string;
  const DTypeInfo* info = lookup_dtype(dtype->string);
  if (!info) throw Error("ERR_MODEL_DTYPE", where + " has unknown dtype \"" + dtype->string + "\"");
  t.dtype = info->dtype;

  uint64_t count = 1;
  for (size_t i = 0; i < shape->array.size(); ++i) {
    uint64_t dim = integer_field(shape->array[i], where + " shape[" + std::to_string(i) + "]");
    if (dim != 0 && count > (uint64_t{1} << 62) / dim) header_error(where + " shape overflows");
    count *= dim;
    t.shape.push_back(static_cast<int64_t>(dim));
  }
  uint64_t begin = integer_field(offsets->array[0], where + " data_offsets[0]");
  uint64_t end = integer_field(offsets->array[1], where + " data_offsets[1]");
  if (begin > end || end > data_size) {
    throw Error("ERR_MODEL_OFFSETS", where + " data_offsets [" + std::to_string(begin) + ", " +
                                         std::to_string(end) + "] lie outside the " +
                                         std::to_string(data_size) + "-byte data section");
  }
  if (count > (uint64_t{1} << 62) / info->bytes || end - begin != count * info->bytes) {
    throw Error("ERR_MODEL_OFFSETS", where + " spans " + std::to_string(end - begin) +
                                         " bytes but its shape and dtype need " +
                                         std::to_string(count * info->bytes));
  }
  t.data = data + begin;
  t.byte_size = static_cast<size_t>(end - begin);
  *begin_out = begin;
  *end_out = end;
  return t;
}

std::map<std::string, std::string> parse_metadata(const json::Value& v) {
  if (v.kind != json::Kind::Object) header_error("__metadata__ must be an object of strings");
  std::map<std::string, std::string> out;
  for (const auto& [key, value] : v.object) {
    if (value.kind != json::Kind::String) {
      throw Error("ERR_MODEL_METADATA", "metadata key \"" + key + "\" must be a string");
    }
    out[key] = value.string;
  }
  return out;
}

}  // namespace

size_t TensorView::element_count() const {
  size_t n = 1;
  for (int64_t d : shape) n *= static_cast<size_t>(d);
  return n;
}

const TensorView* SafetensorsView::find(const std::string& name) const {
  for (const auto& t : tensors) {
    if (t.name == name) return &t;
  }
  return nullptr;
}

SafetensorsView parse_safetensors(const uint8_t* bytes, size_t size) {
  if (size < 8) {
    header_error("model file is " + std::to_string(size) +
                 " bytes, too short for a safetensors header (at least 8)");
  }
  uint64_t header_len = read_u64_le(bytes);
  if (header_len > size - 8) {
    header_error("header length " + std::to_string(header_len) + " runs past the end of the " +
                 std::to_string(size) + "-byte file");
  }
  if (header_len > kMaxHeaderBytes) {
    header_error("header length " + std::to_string(header_len) + " exceeds the 100 MB limit");
  }
  if (header_len < 2) header_error("header length " + std::to_string(header_len) + " is too short");
  const uint8_t* data = bytes + 8 + header_len;
  const uint64_t data_size = size - 8 - header_len;

  json::Value root = json::parse(
      std::string_view(reinterpret_cast<const char*>(bytes + 8), static_cast<size_t>(header_len)));
  if (root.kind != json::Kind::Object) header_error("header must be a JSON object");

  SafetensorsView view;
  std::vector<std::pair<uint64_t, uint64_t>> spans;
  for (const auto& [name, entry] : root.object) {
    if (name == "__metadata__") {
      view.metadata = parse_metadata(entry);
      continue;
    }
    uint64_t begin = 0, end = 0;
    view.tensors.push_back(parse_entry(name, entry, data, data_size, &begin, &end));
    spans.emplace_back(begin, end);
  }
  std::sort(spans.begin(), spans.end());
  for (size_t i = 1; i < spans.size(); ++i) {
    if (spans[i].first < spans[i - 1].second) {
      throw Error("ERR_MODEL_OFFSETS", "tensor data ranges overlap at byte " +
                                           std::to_string(spans[i].first));
    }
  }
  return view;
}

}  // namespace hawkgraph
