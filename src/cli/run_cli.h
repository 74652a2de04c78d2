// How every qcv error reaches the user: one line `qcv: error: ...` on stderr, exit 2 for a usage
// error (CLI11's, an unknown command), 1 for bad input (qcv::Error, a LibTorch error, running out
// of memory, any other exception), 0 for --help/--version.
#pragma once
#include <CLI/CLI.hpp>

namespace qcv::cli {

// Parses argv and runs the chosen command's callback; returns the process exit code.
int run_cli(CLI::App& app, int argc, char** argv);

}  // namespace qcv::cli
