// qcv tune: the best calibration method, then FP32 fallback of the most sensitive nodes until the
// top-1 drop is within the limit; writes the QDQ model and a report of every trial.
#include <fmt/format.h>

#include <cstdio>
#include <cstdlib>

#include "cli/commands.h"
#include "cli/quant_flags.h"
#include "cli/quant_reports.h"
#include "ir/atomic_file.h"
#include "onnx/onnx.h"
#include "quant/tune.h"
#include "runtime/calibration_backend.h"

namespace qcv::cli {

void add_tune_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "tune",
      "Accuracy-driven PTQ: best calibration method, then the most sensitive nodes changed (per-"
      "channel weights, their inputs' lowest-error range, FP32) until the top-1 drop is within "
      "--max-drop. Exit 0: criterion met; exit 3: not met (the best model found is written "
      "anyway)");
  static QuantFlags f;
  static quant::TuneOptions o;
  static std::vector<std::string> methods = {"max", "percentile", "entropy", "mse"};
  static std::string output, report_dir, fallback = "ladder";
  static int latency_runs = 50;
  add_quant_flags(cmd, f);
  cmd->add_option("--max-drop", o.max_drop,
                  "Largest accepted top-1 drop against FP32: points, or with --relative percent "
                  "of the FP32 top-1")
      ->capture_default_str()
      ->check(number_in(0, 100));
  cmd->add_flag("--relative", o.relative, "--max-drop is a percent of the FP32 top-1");
  cmd->add_option("--max-trials", o.max_trials,
                  "Most fallback trials (the method trials and the sensitivity analysis are not "
                  "counted)")
      ->capture_default_str()
      ->check(non_negative());
  cmd->add_option("--timeout", o.timeout_s, "Start no trial after this many seconds (0: none)")
      ->capture_default_str()
      ->check(number_in(0, 1e9));
  cmd->add_option("--fallback", fallback,
                  "What a sensitive node gets: fp32, or ladder (first per-channel weights where "
                  "the scheme says per tensor, then also the lowest-error range for its inputs, "
                  "then FP32; each a trial)")
      ->capture_default_str()
      ->check(one_of({"fp32", "ladder"}));
  cmd->add_option("--methods", methods, "Calibration methods to try first")
      ->capture_default_str()
      ->check(one_of({"max", "percentile", "entropy", "mse", "auto"}));
  cmd->add_option("--latency-runs", latency_runs,
                  "Timed batch-1 runs per trial (the median is reported)")
      ->capture_default_str()
      ->check(integer_in(1, 100000));
  cmd->add_option("-o,--output", output, "Output QDQ .onnx file")->required();
  cmd->add_option("--report", report_dir,
                  "Report folder: tune.json, tune.md and the sensitivity files");
  cmd->callback([] {
    ir::require_output_folder(output);
    if (!report_dir.empty()) ir::require_output_folder(report_dir);
    o.methods.clear();
    for (const std::string& m : methods) o.methods.push_back(quant::method_by_name(m));
    o.fallback = quant::fallback_mode_by_name(fallback);
    o.progress = [](const std::string& line) { fmt::print(stderr, "qcv {}\n", line); };
    quant::PtqOptions base = ptq_options(f.passes, "max");
    base.calibration.show_progress = false;  // the command reports its own progress
    QuantInputs in = load_quant_inputs(f);
    fmt::print(stderr, "qcv tune: {}: calibrating on {}, evaluating on {}\n", f.model,
               in.calib_description, in.eval_description);
    quant::TuneResult r = quant::tune_quantization(
        in.fp32, runtime::calibration_backend(f.threads), *in.calibration, base,
        [&](const ir::Graph& g) { return in.eval->evaluate(g); },
        [&](const ir::Graph& g) { return batch1_latency_ms(g, f.threads, latency_runs); }, o);
    const quant::TuneTrial& best = r.trials.at(r.best);
    r.best_graph.metadata["qcv.quantization"] = fmt::format(
        "tune scheme={} method={} images={} weight_bits={} fp32_nodes={} per_channel_nodes={} "
        "other_ranges={} top1={:.2f} fp32_top1={:.2f}",
        f.passes.scheme, best.method, f.images, f.passes.weight_bits, best.fp32_nodes.size(),
        best.per_channel_nodes.size(), best.activation_methods.size(), best.top1, r.fp32_top1);
    model_input::restore_layout(r.best_graph, in.file_layout);
    onnx::save(r.best_graph, output);
    const ReportContext ctx{f.model, in.calib_description, in.eval_description, f.passes.scheme,
                            ""};
    if (!report_dir.empty()) write_tune(report_dir, r, o, ctx, output);
    std::string nodes =
        best.fp32_nodes.empty() ? "none" : fmt::format("{}", fmt::join(best.fp32_nodes, ", "));
    if (!best.per_channel_nodes.empty() || !best.activation_methods.empty())
      nodes += fmt::format("; {} node(s) with per-channel weights, {} range(s) from another method",
                           best.per_channel_nodes.size(), best.activation_methods.size());
    if (r.met) {
      fmt::print(
          "wrote {}: criterion met, method {}, top-1 {:.2f}% (FP32 {:.2f}%), {} FP32 "
          "node(s): {}\n",
          output, best.method, best.top1, r.fp32_top1, best.fp32_nodes.size(), nodes);
      return;
    }
    fmt::print(
        "wrote {}: criterion NOT met ({}); best found: method {}, top-1 {:.2f}% (FP32 "
        "{:.2f}%), {} FP32 node(s): {}\n",
        output, r.ended, best.method, best.top1, r.fp32_top1, best.fp32_nodes.size(), nodes);
    fmt::print(stderr, "qcv tune: criterion not met: exit 3\n");
    std::fflush(nullptr);
    std::exit(3);  // documented: not met, the best found written
  });
}

}  // namespace qcv::cli
