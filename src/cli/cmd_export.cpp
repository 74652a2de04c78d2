// qcv export: build a zoo model with initialized weights and write it as ONNX.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "models/models.h"
#include "onnx/onnx.h"

namespace qcv::cli {

void add_export_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("export", "Build a zoo model and write it as an ONNX file");
  static models::ModelSpec spec;
  static std::string output;
  cmd->add_option("--model", spec.name, "Architecture (see `qcv models`)")->required()->check(one_of(models::model_names()));
  cmd->add_option("--width", spec.width, "Width multiplier")
      ->capture_default_str()
      ->check(number_in(1e-3, 1e3));
  cmd->add_option("--resolution", spec.resolution, "Input height and width")
      ->capture_default_str()
      ->check(integer_in(1, 65536));
  cmd->add_option("--classes", spec.classes, "Number of classes")
      ->capture_default_str()
      ->check(integer_in(1, 1 << 24));
  cmd->add_option("--channels", spec.in_channels, "Input channels (1 for grayscale)")
      ->capture_default_str()
      ->check(integer_in(1, 4096));
  cmd->add_option("--dropout", spec.dropout, "Dropout before the classifier")
      ->capture_default_str()
      ->check(number_in(0, 1));
  cmd->add_option("--seed", spec.seed, "Seed of the weight initialization")
      ->capture_default_str()
      ->check(integer_in(0, INT64_MAX));
  cmd->add_option("-o,--output", output, "Output .onnx file")->required();
  cmd->callback([] {
    ir::Graph g = models::build(spec);
    onnx::save(g, output);
    models::Cost c = models::count_cost(g);
    fmt::print("wrote {}: {} ({:.1f} M MACs, {:.2f} M params)\n", output, spec.name, c.macs / 1e6,
               c.params / 1e6);
  });
}

}  // namespace qcv::cli
