// Reading a model file's bytes, with the errors lib's readModel() gives for the same causes
// (ERR_MODEL_READ): for a hot swap, whose file is read on a worker thread. Plain C++.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

namespace hawkgraph {

// The file's bytes; throws ERR_MODEL_READ when it cannot be read, is not a regular file or is
// larger than limits::kMaxModelBytes.
std::vector<uint8_t> read_model_file(const std::string& path);

}  // namespace hawkgraph
