// The one exception type the core throws. `code` is a stable string the JS layer exposes as
// HawkgraphError.code; `message` names the field and the value. No Node headers here.
#pragma once

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

// Formats a double for an error message the way JS would print it (NaN, Infinity, 1.5).
std::string format_number(double v);

}  // namespace hawkgraph
