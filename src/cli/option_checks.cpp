#include "cli/option_checks.h"

#include <fmt/format.h>
#include <sstream>
#include <fmt/ranges.h>

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

static std::vector<std::string> comma_parts(const std::string& text) {
  std::vector<std::string> parts(1);
  for (char c : text) {
    if (c == ',') parts.emplace_back();
    else parts.back() += c;
  }
  return parts;
}

CLI::Validator integer_list_in(int64_t lo, int64_t hi) {
  return CLI::Validator(
      [lo, hi](std::string& text) -> std::string {
        try {
          for (const std::string& part : comma_parts(text)) {
            if (part.empty()) return fmt::format("'{}': an empty item in the list", text);
            ir::parse_int("", part, lo, hi);
          }
          return "";
        } catch (const Error& e) {
          return e.what();
        }
      },
      fmt::format("N[,N...] in {}..{}", lo, hi));
}

std::vector<int> parse_integer_list(const std::string& text) {
  std::vector<int> values;
  for (const std::string& part : comma_parts(text))
    values.push_back(static_cast<int>(ir::parse_int("", part, INT32_MIN, INT32_MAX)));
  return values;
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

CLI::Validator one_of(std::vector<std::string> names) {
  const std::string list = fmt::format("{}", fmt::join(names, ", "));
  return CLI::Validator(
      [names, list](std::string& text) -> std::string {
        for (const std::string& n : names)
          if (text == n) return "";
        return fmt::format("'{}' is not one of: {}", text, list);
      },
      "{" + list + "}");
}

std::array<float, 3> parse_triple(const std::string& text, const std::string& what,
                                  bool nonzero) {
  std::string s = text;
  for (char& c : s)
    if (c == ',' || c == '[' || c == ']') c = ' ';
  std::vector<float> values;
  std::istringstream words(s);
  const double big = std::numeric_limits<float>::max();
  for (std::string word; words >> word;) {
    const double v = ir::parse_number(fmt::format("{} '{}'", what, text), word, -big, big);
    if (v == 0 && nonzero) fail("{} '{}': a standard deviation cannot be 0", what, text);
    values.push_back(static_cast<float>(v));
  }
  if (values.size() == 1) return {values[0], values[0], values[0]};
  if (values.size() != 3) fail("{} '{}': expected one or three numbers", what, text);
  return {values[0], values[1], values[2]};
}

CLI::Validator number_triple(bool nonzero) {
  return CLI::Validator(
      [nonzero](std::string& text) -> std::string {
        try {
          parse_triple(text, nonzero ? "std" : "mean", nonzero);
          return "";
        } catch (const Error& e) {
          return e.what();
        }
      },
      "N or N,N,N");
}

void require_finite_numbers(CLI::App& app) {
  const double big = std::numeric_limits<double>::max();
  for (CLI::Option* o : app.get_options())
    if (o->get_type_name().rfind("FLOAT", 0) == 0) o->check(number_in(-big, big).description(""));
  for (CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    require_finite_numbers(*sub);
}

}  // namespace qcv::cli
