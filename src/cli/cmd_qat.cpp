// qcv qat: quantization-aware training. The FP32 model is quantized as `qcv ptq` would (same
// scheme, placement, exclusions, calibration), then fine-tuned by the trainer with every Q->DQ
// pair run as fake quantization; the result is written as a QDQ ONNX file the runtime runs.
#include <fmt/format.h>

#include <filesystem>
#include <memory>

#include "cli/commands.h"
#include "cli/config_flags.h"
#include "cli/option_checks.h"
#include "quant/quant.h"
#include "cli/quant_pipeline.h"
#include "onnx/onnx.h"

namespace qcv::cli {

void add_qat_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "qat", "Quantization-aware training: PTQ-initialized QDQ graph fine-tuned with fake quant");
  static std::string model, dataset, output, run_dir, config_file, scheme = "tensorrt",
                                                                   method = "max";
  static std::vector<std::string> exclude, include;
  static int images = 512;
  static bool keep_float_weights = false;
  static std::string export_which = "best";
  static train::QatOptions qat;
  cmd->add_option("model", model, "FP32 model .onnx (qcv train output or an imported export)")
      ->required();
  cmd->add_option("--data", dataset, "Dataset with labels (fashion-mnist, cifar10:DIR, folder)")
      ->required();
  cmd->add_option("-o,--output", output, "Output QDQ .onnx file")->required();
  cmd->add_option("--run-dir", run_dir,
                  "Trainer run directory (default: OUTPUT without .onnx + .run)");
  cmd->add_option("--config", config_file,
                  "YAML trainer config (keys as qcv train); flags override");
  cmd->add_option("--scheme", scheme, "QDQ placement: tensorrt, onnxruntime or tflite")
      ->capture_default_str()
      ->check(one_of(quant::scheme_names()));
  cmd->add_option("--method", method, "Initial ranges: max, percentile, entropy, mse or auto")
      ->capture_default_str()
      ->check(one_of({"max", "percentile", "entropy", "mse", "auto"}));
  cmd->add_option("--images", images, "Calibration images")->capture_default_str()->check(positive());
  cmd->add_option("--exclude", exclude, "Node name or glob kept in FP32 (repeatable)");
  cmd->add_option("--include", include, "Node name or glob forced to INT8");
  cmd->add_option("--ranges", qat.ranges,
                  "fixed (calibrated), lsq (learned scales) or ema (moving average of batch "
                  "min/max; weight scales follow the weights)")
      ->capture_default_str();
  cmd->add_option("--freeze-ranges-after", qat.freeze_ranges_after,
                  "lsq: stop learning scales, ema: stop observing, after N epochs (0: never)")
      ->capture_default_str()
      ->check(non_negative());
  cmd->add_option("--range-decay", qat.range_decay,
                  "ema: running range = decay * running + (1 - decay) * batch range")
      ->capture_default_str()
      ->check(number_in(0, 1));
  cmd->add_option("--qat-bn", qat.batch_norm,
                  "BatchNormalization: fold (before QAT), keep (trained and exported with BN) or "
                  "fold-after (folded weights fake-quantized, statistics frozen after "
                  "--bn-fold-after epochs, folded at export)")
      ->capture_default_str();
  cmd->add_option("--bn-fold-after", qat.bn_fold_after,
                  "fold-after: freeze BN statistics after N epochs")
      ->capture_default_str()
      ->check(non_negative());
  cmd->add_flag("--keep-float-weights", keep_float_weights,
                "Export float weights behind Q->DQ (default: int8 weights, as PTQ writes)");
  cmd->add_option("--export", export_which,
                  "best: the best by test top-1 of the PTQ initialization (evaluated first) and "
                  "the epochs, so QAT never writes a model worse than its init; last: the last "
                  "epoch (warns when it is below the init)")
      ->capture_default_str()
      ->check(one_of({"best", "last"}));
  static std::unique_ptr<TrainFlags> flags;  // the callback reads it: static, renewed per call
  flags = std::make_unique<TrainFlags>(cmd, train::qat_defaults(), false,
                                       std::set<std::string>{"run_dir", "init", "dataset", "model", "width"});
  cmd->callback([] {
    QatSetup s;
    s.train = train::qat_defaults();
    if (!config_file.empty()) train::load_config_yaml(config_file, s.train);
    flags->apply(s.train);
    std::string stem = output;
    if (stem.size() > 5 && stem.substr(stem.size() - 5) == ".onnx") stem.resize(stem.size() - 5);
    s.train.run_dir = run_dir.empty() ? stem + ".run" : run_dir;
    s.calib.dataset = dataset;
    s.calib.images = images;
    s.calib.threads = s.train.threads;
    s.ptq.scheme = quant::scheme_by_name(scheme);
    s.ptq.calibration.method = quant::method_by_name(method);
    train::check_qat_options(qat);  // before calibration and training start
    s.ptq.overrides.exclude = exclude;
    s.ptq.overrides.include = include;
    s.qat = qat;
    s.fold_weights = !keep_float_weights;
    s.export_last = export_which == "last";
    QatOutcome o;
    ir::Graph g = quantization_aware_training(model, s, &o);
    onnx::save(g, output);
    fmt::print(
        "wrote {}: QAT {} epochs ({} ranges, {} scheme), {}, torch-backend top-1 {:.2f}%; run "
        "directory {}\n",
        output, s.train.epochs, qat.ranges, scheme,
        o.epoch == 0 ? std::string("the PTQ initialization (no epoch beat it)")
                     : fmt::format("epoch {}", o.epoch),
        o.top1, s.train.run_dir);
  });
}

}  // namespace qcv::cli
