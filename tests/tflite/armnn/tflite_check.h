// The export check: the same input through qcv's INT8 runtime (the QDQ graph) and through Arm NN
// (the .tflite file), outputs compared in units of the output's quantization step.
#pragma once
#include <string>

#include "ir/ir.h"

namespace qcv::test {

struct CheckResult {
  int64_t outputs = 0;
  float step = 0;              // scale of the .tflite output's int8 tensor
  double within_one_step = 0;  // fraction of outputs with |qcv - Arm NN| <= one step
  double max_steps = 0, mean_steps = 0;
  double top1_agreement = 0;  // fraction of batch rows with the same argmax
};

// input: NCHW float32 [B, C, H, W] for the QDQ graph; Arm NN gets it transposed to NHWC. The
// .tflite must have been written for batch B. step, zero_point: the .tflite output's int8
// parameters (tflite::ExportResult). Where the QDQ graph leaves the logits float (a final Gemm),
// the .tflite quantizes them with those parameters, so qcv's are put on that int8 grid first
// (on_output_grid): both engines' INT8 outputs are compared, in whole steps, and a logit
// outside a calibrated range counts as the range's, not as an export error.
CheckResult compare_with_armnn(const ir::Graph& qdq, const std::string& tflite_bytes,
                               const ir::Tensor& input, float step, int64_t zero_point,
                               int threads = 2);

// NCHW float32 -> the NHWC order a .tflite input takes.
std::vector<float> to_nhwc(const ir::Tensor& input);

// A logit on the .tflite output's int8 grid: quantized (round half to even, saturated) and
// dequantized. The identity where the QDQ graph's output is already int8 with those parameters.
float on_output_grid(float logit, float step, int64_t zero_point);

// A seeded N(0, 1) NCHW input of the graph's input shape with batch `batch`.
ir::Tensor normal_input(const ir::Graph& g, int64_t batch, uint32_t seed);

// The [min, max] of the graph's output over `images` seeded N(0, 1) images through qcv's INT8
// runtime: the logits range for tflite::ExportOptions where the QDQ graph leaves them float.
std::pair<float, float> observed_output_range(const ir::Graph& qdq, int images, uint32_t seed);

// A labelled set through Arm NN against qcv's logits on the same preprocessed images (`qcv eval
// --dump`): inputs NCHW float32 [N, C, H, W], labels int64 [N], qcv_logits [N, classes]. With a
// step (the .tflite output's int8 scale and zero point) the logits are also compared in steps,
// qcv's on that int8 grid first (as compare_with_armnn), and top-1 is also taken from them.
struct DatasetResult {
  int64_t images = 0;
  double armnn_top1 = 0, qcv_top1 = 0, top1_agreement = 0;  // percent; qcv's logits as they are
  // With a step (percent): qcv's logits on the output grid, its top-1 and agreement with Arm NN.
  double qcv_int8_top1 = 0, int8_top1_agreement = 0;
  double within_one_step = 0, max_steps = 0, mean_steps = 0;  // with a step; share in percent
};
DatasetResult evaluate_armnn(const std::string& tflite_bytes, const ir::Tensor& inputs,
                             const ir::Tensor& labels, const ir::Tensor& qcv_logits, float step = 0,
                             int64_t zero_point = 0);

}  // namespace qcv::test
