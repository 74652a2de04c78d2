// qcv sensitivity: which nodes of a model hurt when quantized, from one calibration.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/quant_flags.h"
#include "cli/quant_reports.h"
#include "ir/atomic_file.h"
#include "quant/sensitivity.h"
#include "runtime/calibration_backend.h"

namespace qcv::cli {

void add_sensitivity_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "sensitivity",
      "Per quantizable node: top-1 and output SQNR with only it quantized and with only it in "
      "FP32; per tensor SQNR (sensitivity.json, .md, .png, .svg)");
  static QuantFlags f;
  static std::string method = "max", out_dir = "sensitivity";
  f.eval_images = 2000;
  add_quant_flags(cmd, f);
  cmd->add_option("--method", method, "Calibration: max, percentile, entropy, mse or auto")
      ->capture_default_str()
      ->check(one_of({"max", "percentile", "entropy", "mse", "auto"}));
  cmd->add_option("-o,--output", out_dir, "Report folder")->capture_default_str();
  cmd->callback([] {
    ir::require_output_folder(out_dir);
    quant::PtqOptions options = ptq_options(f.passes, method);
    options.calibration.show_progress = false;  // the command reports its own progress
    QuantInputs in = load_quant_inputs(f);
    fmt::print(stderr, "qcv sensitivity: {}: calibrating on {} ({}), evaluating on {}\n", f.model,
               in.calib_description, method, in.eval_description);
    const quant::PtqCalibration c = quant::calibrate_ptq(
        in.fp32, runtime::calibration_backend(f.threads), *in.calibration, options, true);
    quant::SensitivityOptions so;
    so.progress = [](const std::string& line) { fmt::print(stderr, "qcv {}\n", line); };
    const quant::SensitivityResult r = quant::analyze_sensitivity(
        in.fp32, c, [&](const ir::Graph& g) { return in.eval->evaluate(g); },
        runtime::calibration_backend(f.threads), *in.calibration, so);
    const ReportContext ctx{f.model, in.calib_description, in.eval_description, f.passes.scheme,
                            ""};
    write_sensitivity(out_dir, r, ctx);
    fmt::print("wrote {}/sensitivity.json, .md, .png, .svg: {} nodes; most damaging: {}\n", out_dir,
               r.nodes.size(), r.nodes.empty() ? "none" : r.nodes.front().node);
  });
}

}  // namespace qcv::cli
