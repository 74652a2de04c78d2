// Checks for numeric flags, with readable bounds (CLI11's PositiveNumber prints DBL_MAX in full
// and lets NaN through). The text is parsed by ir/parse_value.h, the rule configs use too.
#pragma once
#include <CLI/CLI.hpp>
#include <array>
#include <cstdint>
#include <limits>
#include <string>
#include <vector>

namespace qcv::cli {

// An integer in [lo, hi].
CLI::Validator integer_in(int64_t lo, int64_t hi = std::numeric_limits<int>::max());
// Integers in [lo, hi] separated by commas ("1,4,16"); parse_integer_list reads the checked text.
CLI::Validator integer_list_in(int64_t lo, int64_t hi = std::numeric_limits<int>::max());
std::vector<int> parse_integer_list(const std::string& text);
// A finite number in [lo, hi].
CLI::Validator number_in(double lo, double hi);
// One of a fixed set of names (a scheme, a method, a preset): anything else is a usage error.
CLI::Validator one_of(std::vector<std::string> names);
// One or three finite numbers ("0.5", "0.485,0.456,0.406" or "[1 2 3]"); one is repeated. None
// may be zero if `nonzero` (a std). Errors name `what` and the text. Used for flags and metadata.
std::array<float, 3> parse_triple(const std::string& text, const std::string& what,
                                  bool nonzero = false);
// The flag form of parse_triple.
CLI::Validator number_triple(bool nonzero);
inline CLI::Validator positive() { return integer_in(1); }
inline CLI::Validator non_negative() { return integer_in(0); }

// Gives every floating-point option of the app and its subcommands a finite-number check, so
// that no flag takes NaN or Inf (registered after the commands, in main).
void require_finite_numbers(CLI::App& app);

}  // namespace qcv::cli
