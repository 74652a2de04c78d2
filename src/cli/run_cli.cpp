#include "cli/run_cli.h"

#include <cstdio>
#include <new>
#include <string>

#include "ir/error.h"
#ifdef QCV_HAVE_TORCH
#include "train/torch_error.h"
#endif

namespace qcv::cli {
namespace {

// The first line of a message, trimmed (LibTorch and some library errors append traces).
std::string first_line(const std::string& s) {
  std::string line = s.substr(0, s.find('\n'));
  while (!line.empty() && (line.back() == ' ' || line.back() == '\r')) line.pop_back();
  return line.empty() ? "unknown error" : line;
}

int report(const std::string& message, int code) {
  std::fprintf(stderr, "qcv: error: %s\n", first_line(message).c_str());
  return code;
}

// What was being done, for errors that carry no context of their own (std::bad_alloc).
std::string command_line(int argc, char** argv) {
  std::string s = "qcv";
  for (int i = 1; i < argc; ++i) s += std::string(" ") + argv[i];
  return s.size() > 200 ? s.substr(0, 197) + "..." : s;
}

// argv[1] names no command: CLI11 would say "A subcommand is required".
bool unknown_command(CLI::App& app, int argc, char** argv, std::string& message) {
  if (argc < 2) {
    message = "no command given (qcv --help lists them)";
    return true;
  }
  const std::string first = argv[1];
  if (!first.empty() && first[0] == '-') return false;  // --help, --version, or CLI11's error
  for (const CLI::App* sub : app.get_subcommands([](CLI::App*) { return true; }))
    if (sub->check_name(first)) return false;
  message = "unknown command '" + first + "' (qcv --help lists them)";
  return true;
}

}  // namespace

int run_cli(CLI::App& app, int argc, char** argv) {
  std::string message;
  if (unknown_command(app, argc, argv, message)) return report(message, 2);
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    if (e.get_exit_code() == 0) return app.exit(e);  // --help, --version
    std::string text = e.what();
    if (dynamic_cast<const CLI::RequiredError*>(&e) && text == "A subcommand is required")
      text = "no command given (qcv --help lists them)";
    return report(text, 2);
  } catch (const Error& e) {
    return report(e.what(), 1);
  } catch (const std::bad_alloc&) {
    return report("out of memory running '" + command_line(argc, argv) +
                      "' (an input asks for more than this machine has?)",
                  1);
  } catch (const std::exception& e) {
#ifdef QCV_HAVE_TORCH
    std::string torch_message;
    if (train::torch_error_message(e, torch_message)) return report(torch_message, 1);
#endif
    return report(e.what(), 1);
  }
  return 0;
}

}  // namespace qcv::cli
