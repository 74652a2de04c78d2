// qcv export-tflite: a QDQ ONNX file made with the tflite scheme -> a fully-integer .tflite file.
#include <fmt/format.h>

#include <vector>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "ir/atomic_file.h"
#include "onnx/onnx.h"
#include "tflite/tflite.h"

namespace qcv::cli {

void add_export_tflite_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "export-tflite",
      "Write a QDQ model (from `qcv ptq --scheme tflite`) as a fully-integer TFLite file: int8 "
      "activations, per-channel int8 weights, int32 biases, fused Relu/Relu6, NHWC. Input: float32 "
      "NHWC [batch, H, W, C], quantized inside (QUANTIZE); output: float32, from the int8 logits "
      "(DEQUANTIZE)");
  static std::string input, output;
  static int64_t batch = 1;
  static bool no_pad = false;
  static std::vector<float> output_range;
  cmd->add_option("model", input, "QDQ .onnx file")->required();
  cmd->add_option("-o,--output", output, "Output .tflite file")->required();
  cmd->add_option("--batch", batch,
                  "Batch size the model is written for (TFLite shapes are static)")
      ->capture_default_str()
      ->check(integer_in(1, 1 << 20));
  cmd->add_flag("--no-pad-ops", no_pad,
                "Write centered stride-2 convolutions as a stride-1 SAME conv plus a 1x1 stride-2 "
                "MAX_POOL_2D instead of PAD + VALID conv (more compute; for readers whose int8 PAD "
                "fills with 0 instead of the zero point, such as Arm NN 20.08)");
  cmd->add_option(
         "--output-range", output_range,
         "LO,HI of float logits (a final Gemm the QDQ graph leaves float, as qcv's schemes "
         "do for ResNets), e.g. observed with `qcv run` on calibration images; default: "
         "the bound of every value the Gemm can produce (nothing saturates, wide step)")
      ->delimiter(',')
      ->expected(2);
  cmd->callback([] {
    if (!output_range.empty() && !(output_range[0] < output_range[1]))
      fail("--output-range {},{}: LO must be below HI", output_range[0], output_range[1]);
    ir::require_output_folder(output);
    ir::Graph g = onnx::load(input);
    tflite::ExportOptions options;
    options.batch = batch;
    options.pad_ops = !no_pad;
    if (!output_range.empty()) {
      options.output_lo = output_range[0];
      options.output_hi = output_range[1];
    }
    tflite::ExportResult r = tflite::convert(g, options);
    ir::write_file_atomically(output, r.bytes);
    std::string ops;
    for (const auto& [name, count] : r.op_counts)
      ops += fmt::format("{}{} {}", ops.empty() ? "" : ", ", name, count);
    fmt::print("wrote {}: {:.2f} MB ({})\n", output, r.bytes.size() / 1e6, ops);
  });
}

}  // namespace qcv::cli
