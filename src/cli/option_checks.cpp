#include "cli/option_checks.h"

#include <fmt/format.h>

#include "ir/error.h"
#include "ir/parse_value.h"

namespace qcv::cli {

CLI::Validator integer_in(int64_t lo, int64_t hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        try {
          ir::parse_int("", text, lo, hi);
          return "";
        } catch (const Error& e) {
          return e.what();
        }
      },
      hi != std::numeric_limits<int>::max() ? fmt::format("{}..{}", lo, hi)
      : lo == 1                             ? std::string("POSITIVE")
      : lo == 0                             ? std::string("NONNEGATIVE")
                                            : fmt::format(">={}", lo));
}

CLI::Validator number_in(double lo, double hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        try {
          ir::parse_number("", text, lo, hi);
          return "";
        } catch (const Error& e) {
          return e.what();
        }
      },
      fmt::format("{}..{}", lo, hi));
}

void require_finite_numbers(CLI::App& app) {
  const double big = std::numeric_limits<double>::max();
  for (CLI::Option* o : app.get_options())
    if (o->get_type_name().rfind("FLOAT", 0) == 0) o->check(number_in(-big, big).description(""));
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    require_finite_numbers(*sub);
}

}  // namespace qcv::cli
