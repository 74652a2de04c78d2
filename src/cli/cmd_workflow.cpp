#include "cli/commands.h"
namespace qcv::cli {
void add_workflow_command(CLI::App& app) { app.add_subcommand("workflow", "(being written)"); }
}  // namespace qcv::cli
