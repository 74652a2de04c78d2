// qcv ptq: post-training quantization of an FP32 model into an ONNX QDQ model, calibrated on a
// dataset with qcv's runtime.
#include <fmt/format.h>

#include <algorithm>
#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/commands.h"
#include "cli/model_input.h"
#include "cli/option_checks.h"
#include "cli/quant_flags.h"
#include "cli/runtime_eval.h"
#include "config/calibration.h"
#include "data/data.h"
#include "ir/atomic_file.h"
#include "ir/npy.h"
#include "onnx/onnx.h"
#include "quant/calibration_guard.h"
#include "quant/quant.h"
#include "runtime/calibration_backend.h"
#include "runtime/session.h"

namespace qcv::cli {

namespace {

// Per observed tensor: the observed range, the histogram of |x| and the calibrated range, so that
// a reference (bench/entropy_ref.py) can recompute the thresholds. With auto, each tensor's
// range is that of the method it got.
std::string stats_json(const quant::PtqResult& r, const quant::CalibrationOptions& calibration) {
  std::map<std::string, std::string> chosen;
  for (const auto& e : r.report.entries) chosen[e.tensor] = e.method;
  nlohmann::json j = nlohmann::json::object();
  for (const auto& [name, s] : r.stats) {
    quant::CalibrationOptions c = calibration;
    if (c.method == quant::CalibrationMethod::Auto)
      c.method = quant::method_by_name(chosen[name].empty() ? "max" : chosen[name]);
    const auto [lo, hi] = calibrated_range(s, c, true, ir::DType::Int8);
    j[name] = {
        {"min", s.min},    {"max", s.max},   {"max_abs", s.hist.max_abs}, {"counts", s.hist.counts},
        {"range_min", lo}, {"range_max", hi}};
  }
  return j.dump();
}

// The calibration guards' warnings and auto's choices, on stderr.
void print_calibration_notes(const quant::PtqResult& r, const quant::ClipLimits& limits,
                             bool has_report) {
  for (const std::string& line : quant::calibration_notes(r, limits))
    fmt::print(stderr, "qcv ptq: {}\n", line);
  if (r.report.method == "auto" && !has_report)
    fmt::print(stderr, "qcv ptq: --report FILE lists each tensor's method and error\n");
}

bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() &&
         s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}

}  // namespace

void add_ptq_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("ptq", "Post-training quantization into an ONNX QDQ model");
  static std::string model, calib, split = "train", method = "max", output, report, histograms;
  static model_input::InputFlags flags;
  static PtqPassFlags passes;
  static int images = 512, batch = 16, threads = 0;
  static quant::ClipLimits clip_limits;
  cmd->add_option("model", model, "FP32 model .onnx file")->required();
  cmd->add_option("--calib", calib,
                  "Calibration dataset (fashion-mnist, cifar10:DIR, image folder)")
      ->required();
  cmd->add_option("--split", split, "Dataset split")->capture_default_str();
  cmd->add_option("--images", images, "Calibration images (spread over the split)")
      ->capture_default_str()
      ->check(positive());
  cmd->add_option("--method", method,
                  "Calibration: max, percentile, entropy, mse, or auto (per tensor the method "
                  "with the lowest MSE of the fake-quantized tensor on the calibration data)")
      ->capture_default_str()
      ->check(one_of({"max", "percentile", "entropy", "mse", "auto"}));
  cmd->add_option("--clip-warn-values", clip_limits.values_percent,
                  "Warn when a calibrated range clips more than this percent of a tensor's "
                  "observed values")
      ->capture_default_str()
      ->check(number_in(0, 100));
  cmd->add_option("--clip-warn-range", clip_limits.range_percent,
                  "Warn when a calibrated range clips more than this percent of a tensor's "
                  "observed |x| range")
      ->capture_default_str()
      ->check(number_in(0, 100));
  add_ptq_pass_flags(cmd, passes);
  cmd->add_option("--batch", batch,
                  "Calibration batch size (peak memory grows with it: the runtime's activations "
                  "of one batch)")
      ->capture_default_str()
      ->check(positive());
  model_input::add_input_options(cmd, flags);
  cmd->add_option("--threads", threads, "Runtime threads (0: all cores)")
      ->capture_default_str()
      ->check(non_negative());
  cmd->add_option("-o,--output", output, "Output QDQ .onnx file")->required();
  cmd->add_option("--report", report,
                  "Placement report: FILE.json (JSON) or any other name (text)");
  cmd->add_option("--histograms", histograms,
                  "Write each observed tensor's range, |x| histogram and symmetric calibrated "
                  "range as JSON (bench/entropy_ref.py checks the entropy thresholds)");
  cmd->callback([] {
    for (const std::string& out : {output, report, histograms})
      if (!out.empty()) ir::require_output_folder(out);
    quant::CalibrationOptions wanted;  // settings first: no model loaded for a bad flag
    wanted.method = quant::method_by_name(method);
    wanted.num_bins = passes.bins;
    wanted.percentile = passes.percentile;
    config::check_calibration(wanted);
    ir::Graph graph = onnx::load(model);
    if (graph.inputs.size() != 1)
      fail("{}: {} graph inputs, ptq calibrates single-input classifiers", model,
           graph.inputs.size());
    const passes::InputLayout file_layout = model_input::adopt_nchw(graph, flags.layout);
    const ir::Value& input = graph.inputs[0];
    const auto input_dim = [&](size_t i) {
      return input.has_shape && input.shape.size() == 4 ? input.shape[i] : int64_t(-1);
    };

    // Preprocessing: flags, then the model's metadata, then its input shape.
    const std::string dataset_name = model_input::meta(graph, "qcv.dataset").empty()
                                         ? calib
                                         : model_input::meta(graph, "qcv.dataset");
    model_input::InputFlags f = flags;
    if (f.resolution <= 0 && model_input::meta(graph, "qcv.resolution").empty() &&
        input_dim(2) <= 0)
      f.resolution = 224;
    if (f.channels <= 0 && model_input::meta(graph, "qcv.channels").empty() && input_dim(1) != 1 &&
        input_dim(1) != 3)
      f.channels = 3;
    const data::Preprocess pre = model_input::preprocessing(graph, dataset_name, f);
    const int res = pre.resolution, ch = pre.channels;

    int b = batch;
    if (input_dim(0) > 0 && input_dim(0) != b) {
      fmt::print(stderr, "qcv: note: {} has a fixed batch of {}; calibrating in batches of {}\n",
                 model, input_dim(0), input_dim(0));
      b = static_cast<int>(input_dim(0));
    }
    if (images <= 0 || b <= 0) fail("--images and --batch must be positive");
    auto subset = data::random_subset(data::open_dataset(calib, split), images, /*seed=*/0);
    data::LoaderOptions lo;
    lo.batch_size = b;
    lo.shuffle = false;
    lo.drop_last = input_dim(0) > 0 && subset->size() >= static_cast<size_t>(b);
    auto loader = std::make_shared<data::DataLoader>(subset, pre, lo);
    auto calibration_data = quant::loader_data(loader, input.name);

    const quant::PtqOptions o = ptq_options(passes, method);
    fmt::print(stderr, "qcv ptq: {} on {} ({}x{}x{}), scheme {}, method {}\n", model,
               subset->description(), ch, res, res, passes.scheme, method);
    quant::PtqResult r = quant::quantize_ptq(
        std::move(graph), runtime::calibration_backend(threads), *calibration_data, o);
    r.graph.metadata["qcv.quantization"] = fmt::format(
        "ptq scheme={} method={} images={} weight_bits={}{}{}{}{}", passes.scheme, method,
        subset->size(), passes.weight_bits, passes.cle ? " cle=" + passes.cle_relu6 : "",
        passes.high_bias_absorption ? " high_bias_absorption" : "",
        passes.bias_correction ? " bias_correction" : "",
        passes.adaround ? fmt::format(" adaround={}", passes.adaround_iters) : "");
    if (passes.cle) {
      fmt::print(stderr,
                 "qcv ptq: cross-layer equalization: {} conv pairs in {} rounds ({} ReLU6 made "
                 "per-channel, {} replaced by Relu)\n",
                 r.equalization.pairs, r.equalization.rounds, r.equalization.clips_made_per_channel,
                 r.equalization.clips_replaced);
      for (const std::string& why : r.equalization.skipped)
        fmt::print(stderr, "qcv ptq: cross-layer equalization skipped {}\n", why);
    }
    if (passes.high_bias_absorption) {
      fmt::print(stderr, "qcv ptq: high-bias absorption: {} conv pairs, {} channels shifted\n",
                 r.high_bias.pairs, r.high_bias.channels);
      const size_t shown = std::min<size_t>(r.high_bias.skipped.size(), 5);
      for (size_t k = 0; k < shown; ++k)
        fmt::print(stderr, "qcv ptq: high-bias absorption skipped {}\n", r.high_bias.skipped[k]);
      if (r.high_bias.skipped.size() > shown)
        fmt::print(stderr, "qcv ptq: high-bias absorption skipped {} more pairs\n",
                   r.high_bias.skipped.size() - shown);
    }
    if (!flags.preprocess.empty()) r.graph.metadata["qcv.preprocess"] = flags.preprocess;
    if (!flags.mean.empty()) r.graph.metadata["qcv.mean"] = flags.mean;
    if (!flags.std.empty()) r.graph.metadata["qcv.std"] = flags.std;
    print_calibration_notes(r, clip_limits, !report.empty());
    model_input::restore_layout(r.graph, file_layout);
    onnx::save(r.graph, output);
    if (!report.empty())
      ir::write_file_atomically(
          report, ends_with(report, ".json") ? r.report.to_json() : r.report.to_text());
    if (!histograms.empty()) ir::write_file_atomically(histograms, stats_json(r, o.calibration));
    int counts[3] = {0, 0, 0};
    for (const auto& e : r.report.entries) ++counts[static_cast<int>(e.role)];
    fmt::print(
        "wrote {}: {} activations, {} weights, {} biases quantized ({} scheme, {} calibration)\n",
        output, counts[0], counts[1], counts[2], passes.scheme, method);
  });
}

}  // namespace qcv::cli
