// Numbers from text (config values, flags, environment variables), checked the one way qcv checks
// them: the whole text is the number, integers are range-checked before anything narrows them
// ("4294967297" for an int is an error, never 1), and NaN/Inf are refused. Errors name `key`
// (may be empty) and the bounds in readable form.
#pragma once
#include <cstdint>
#include <limits>
#include <string>

namespace qcv::ir {

// An integer in [lo, hi]: "4294967297" for an int is an error, never 1.
int64_t parse_int(const std::string& key, const std::string& text, int64_t lo = INT64_MIN,
                  int64_t hi = INT64_MAX);
// A finite number in [lo, hi] ("nan", "inf", "1e999" are refused).
double parse_number(const std::string& key, const std::string& text,
                    double lo = -std::numeric_limits<double>::max(),
                    double hi = std::numeric_limits<double>::max());
bool parse_bool(const std::string& key, const std::string& text);

}  // namespace qcv::ir
