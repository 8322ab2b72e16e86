#include "error.hpp"

#include <charconv>
#include <cmath>
#include <cstdlib>
#include <string>
#include <system_error>

namespace hawkgraph {

std::string format_number(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "Infinity" : "-Infinity";
  if (v == 0) return "0";  // -0 too, as JS prints it
  // The shortest round-trip digits, then placed as Number.prototype.toString places them:
  // plain up to 21 integer digits or 6 leading zeros, exponent form beyond.
  char sci[40];
  const std::to_chars_result r = std::to_chars(sci, sci + sizeof sci, v, std::chars_format::scientific);
  if (r.ec != std::errc()) return std::to_string(v);
  const std::string s(sci, r.ptr);
  const size_t e = s.find('e');
  const bool negative = s[0] == '-';
  std::string digits;
  for (size_t i = negative ? 1 : 0; i < e; ++i) {
    if (s[i] != '.') digits += s[i];
  }
  const int k = static_cast<int>(digits.size());
  const int n = std::atoi(s.c_str() + e + 1) + 1;  // v = 0.digits * 10^n
  std::string out = negative ? "-" : "";
  if (k <= n && n <= 21) {
    out += digits + std::string(static_cast<size_t>(n - k), '0');
  } else if (0 < n && n <= 21) {
    out += digits.substr(0, n) + "." + digits.substr(n);
  } else if (-6 < n && n <= 0) {
    out += "0." + std::string(static_cast<size_t>(-n), '0') + digits;
  } else {
    out += digits.substr(0, 1);
    if (k > 1) out += "." + digits.substr(1);
    out += (n - 1 < 0 ? "e-" : "e+") + std::to_string(std::abs(n - 1));
  }
  return out;
}

int64_t require_integer(const std::string& field, double v, double lo, double hi) {
  if (!(v >= lo && v <= hi) || v != std::floor(v)) {
    throw Error("ERR_INVALID_OPTION", field + " must be an integer in [" + format_number(lo) + ", " + format_number(hi) +
                                          "], got " + format_number(v));
  }
  return static_cast<int64_t>(v);
}

}  // namespace hawkgraph
