#include "model_file.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "error.hpp"
#include "limits.hpp"

namespace hawkgraph {

std::vector<uint8_t> read_model_file(const std::string& path) {
  const std::string quoted = "model file \"" + path + "\"";
  auto unreadable = [&](int err) {
    return Error("ERR_MODEL_READ", quoted + " cannot be read: " + std::strerror(err));
  };
  struct stat st {};
  if (::stat(path.c_str(), &st) != 0) throw unreadable(errno);
  if (!S_ISREG(st.st_mode)) throw Error("ERR_MODEL_READ", "model \"" + path + "\" is not a file");
  if (static_cast<double>(st.st_size) > limits::kMaxModelBytes) {
    throw Error("ERR_MODEL_READ", quoted + " is " + std::to_string(st.st_size) +
                                      " bytes, more than the 2 GiB a model may be");
  }
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) throw unreadable(errno);
  std::vector<uint8_t> bytes(static_cast<size_t>(st.st_size));
  if (!bytes.empty() && std::fread(bytes.data(), 1, bytes.size(), file.get()) != bytes.size()) {
    throw Error("ERR_MODEL_READ", quoted + " changed size while it was read");
  }
  return bytes;
}

}  // namespace hawkgraph
