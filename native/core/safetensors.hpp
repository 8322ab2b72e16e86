// Bounds-checked reader for the safetensors container: an 8-byte little-endian header length,
// a JSON header, then the tensor bytes. Views the caller's bytes; copies nothing.
#pragma once

#include <cstddef>
#include <cstdint>
#include <map>
#include <string>
#include <vector>

namespace hawkgraph {

enum class DType { F32, F64, F16, BF16, I64, I32, I16, I8, U8, BOOL, Other };

struct TensorView {
  std::string name;
  std::string dtype_name;
  DType dtype = DType::Other;
  std::vector<int64_t> shape;
  const uint8_t* data = nullptr;  // points into the file's bytes
  size_t byte_size = 0;
  size_t element_count() const;
};

struct SafetensorsView {
  std::vector<TensorView> tensors;  // in header order
  std::map<std::string, std::string> metadata;
  const TensorView* find(const std::string& name) const;
};

// Throws hawkgraph::Error with codes ERR_MODEL_HEADER / ERR_MODEL_OFFSETS / ERR_MODEL_DTYPE.
// The returned views stay valid as long as `bytes` does.
SafetensorsView parse_safetensors(const uint8_t* bytes, size_t size);

}  // namespace hawkgraph
