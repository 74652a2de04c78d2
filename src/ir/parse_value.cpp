#include "ir/parse_value.h"

#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdlib>

#include "ir/error.h"

namespace qcv::ir {
namespace {
// "'key': " before a message, or nothing for an unnamed value.
std::string at(const std::string& key) { return key.empty() ? "" : "'" + key + "': "; }
}  // namespace

int64_t parse_int(const std::string& key, const std::string& text, int64_t lo, int64_t hi) {
  const char* s = text.c_str();
  char* end = nullptr;
  errno = 0;
  const long long v = std::strtoll(s, &end, 10);
  const bool whole = !text.empty() && end == s + text.size() && !std::isspace(uint8_t(text[0]));
  if (!whole) fail("{}'{}' is not an integer", at(key), text);
  if (errno == ERANGE || v < lo || v > hi) {
    if (hi == INT64_MAX) fail("{}{} is out of range (expected an integer >= {})", at(key), text, lo);
    fail("{}{} is out of range (expected an integer from {} to {})", at(key), text, lo, hi);
  }
  return v;
}

double parse_number(const std::string& key, const std::string& text, double lo, double hi) {
  const char* s = text.c_str();
  char* end = nullptr;
  const double v = std::strtod(s, &end);
  const bool whole = !text.empty() && end == s + text.size() && !std::isspace(uint8_t(text[0]));
  if (!whole) fail("{}'{}' is not a number", at(key), text);
  if (!std::isfinite(v)) fail("{}{} is not a finite number", at(key), text);
  if (v < lo || v > hi) {
    const double big = std::numeric_limits<double>::max();
    if (hi == big) fail("{}{} is out of range (expected a number >= {})", at(key), text, lo);
    if (lo == -big) fail("{}{} is out of range (expected a number <= {})", at(key), text, hi);
    fail("{}{} is out of range (expected {} to {})", at(key), text, lo, hi);
  }
  return v;
}

bool parse_bool(const std::string& key, const std::string& v) {
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  fail("{}'{}' is not a boolean", at(key), v);
}

}  // namespace qcv::ir
