// The one exception type the core throws. `code` is a stable string the JS layer exposes as
// HawkgraphError.code; `message` names the field and the value. No Node headers here.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

namespace hawkgraph {

class Error : public std::runtime_error {
 public:
  Error(std::string code, const std::string& message)
      : std::runtime_error(message), code_(std::move(code)) {}
  const std::string& code() const noexcept { return code_; }

 private:
  std::string code_;
};

// Formats a double for an error message as the caller wrote it: the shortest decimal that reads
// back as the same double, as JS prints numbers (30000, 0.1, 1e-7, 1e+21, NaN, Infinity). Every
// number in a native message goes through here.
std::string format_number(double v);

// `v` as an integer in [lo, hi], or ERR_INVALID_OPTION: "<field> must be an integer in [lo, hi],
// got v".
int64_t require_integer(const std::string& field, double v, double lo, double hi);

}  // namespace hawkgraph
