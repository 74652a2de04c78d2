// qcv optimize: run the graph passes (BN folding, constant folding, identity removal, DCE).
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/op_histogram.h"
#include "onnx/onnx.h"
#include "passes/passes.h"

namespace qcv::cli {

void add_optimize_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("optimize", "Fold BatchNorm and constants, remove dead code");
  static std::string input, output;
  cmd->add_option("input", input, "Input .onnx file")->required();
  cmd->add_option("-o,--output", output, "Output .onnx file")->required();
  cmd->callback([] {
    ir::Graph g = onnx::load(input);
    size_t before = g.nodes.size();
    passes::optimize(g);
    onnx::save(g, output);
    fmt::print("wrote {}: {} -> {} nodes ({})\n", output, before, g.nodes.size(),
               format_histogram(op_histogram(g)));
  });
}

}  // namespace qcv::cli
