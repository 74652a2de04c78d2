// The three placement schemes as rule tables, and per-node overrides.
#include <fmt/format.h>

#include "quant/quant.h"

namespace qcv::quant {

namespace {

// Ops whose integer kernels take quantized inputs (conv family) and pooling.
const std::set<std::string> kMatmulOps = {"Conv", "Gemm", "MatMul"};
const std::set<std::string> kPoolOps = {"MaxPool", "AveragePool", "GlobalAveragePool"};

std::set<std::string> join(std::set<std::string> a, const std::set<std::string>& b) {
  a.insert(b.begin(), b.end());
  return a;
}

// NVIDIA's seeds: symmetric int8 everywhere, QDQ in front of the layers TensorRT runs in INT8
// (conv/gemm/matmul and pooling), none on conv outputs; residual Adds get QDQ on every input but
// the conv branch TensorRT fuses into that conv.
QuantScheme tensorrt() {
  QuantScheme s;
  s.name = "tensorrt";
  s.activation_dtype = ir::DType::Int8;
  s.activation_symmetric = true;
  s.weight_per_channel = true;
  s.bias_int32 = false;
  s.input_ops = join(kMatmulOps, kPoolOps);
  s.residual_add_skip_conv_branch = true;
  return s;
}

// ONNX Runtime's quantizer: uint8 asymmetric activations, QDQ on inputs and outputs of the ops it
// has QLinear kernels for, int32 biases (its QDQ Conv selector wants every input behind a DQ),
// Relu/Clip folded into the Q that follows. Per-channel weights are optional in ORT (default off);
// qcv turns them on because per-tensor weights ruin depthwise convolutions.
QuantScheme onnxruntime() {
  QuantScheme s;
  s.name = "onnxruntime";
  s.activation_dtype = ir::DType::UInt8;
  s.activation_symmetric = false;
  s.weight_per_channel = true;
  s.bias_int32 = true;
  const std::set<std::string> ops = join(join(kMatmulOps, kPoolOps), {"Add", "Concat"});
  s.input_ops = ops;
  s.output_ops = ops;
  s.fused_activations = {"Relu", "Clip"};
  s.remove_relu_before_q = true;
  return s;
}

// TensorFlow Lite (Model Garden seed): int8 asymmetric activations quantized where a fused kernel
// writes them (after Conv+activation, Add, pooling) and at the graph input; symmetric per-channel
// weights, int32 biases. TFLite fuses only Relu/Relu6 into an op; HardSwish, HardSigmoid and
// Sigmoid are int8 ops of their own (HARD_SWISH, LOGISTIC), so the tensor before them is int8 too;
// LOGISTIC's output has TFLite's fixed parameters (scale 1/256, zero point -128: [0, 255/256]).
// A BatchNormalization no conv absorbs (ResNet v2's pre-activation) becomes a 1x1 depthwise
// Conv first, quantized like any conv (int8 weights, int32 bias): the integers TFLite computes.
QuantScheme tflite() {
  QuantScheme s;
  s.name = "tflite";
  s.activation_dtype = ir::DType::Int8;
  s.activation_symmetric = false;
  s.weight_per_channel = true;
  s.bias_int32 = true;
  s.output_ops = join(join(kMatmulOps, kPoolOps),
                      {"Add", "Concat", "Mul", "HardSwish", "HardSigmoid", "Sigmoid"});
  s.fused_activations = {"Relu", "Clip"};
  s.quantize_graph_inputs = true;
  s.batch_norm_as_depthwise_conv = true;
  s.fixed_output_ranges = {{"Sigmoid", {0.f, 255.f / 256.f}}};
  return s;
}

bool match_any(const std::vector<std::string>& patterns, const std::string& name) {
  for (const auto& p : patterns)
    if (glob_match(p, name)) return true;
  return false;
}

}  // namespace

std::vector<std::string> scheme_names() { return {"tensorrt", "onnxruntime", "tflite"}; }

QuantScheme scheme_by_name(const std::string& name) {
  if (name == "tensorrt") return tensorrt();
  if (name == "onnxruntime") return onnxruntime();
  if (name == "tflite") return tflite();
  fail("unknown quantization scheme '{}' (expected one of: {})", name,
       fmt::join(scheme_names(), ", "));
}

bool glob_match(const std::string& pattern, const std::string& text) {
  // Iterative wildcard matching with backtracking to the last '*'.
  size_t p = 0, t = 0, star = std::string::npos, mark = 0;
  while (t < text.size()) {
    if (p < pattern.size() && (pattern[p] == '?' || pattern[p] == text[t])) {
      ++p, ++t;
    } else if (p < pattern.size() && pattern[p] == '*') {
      star = p++;
      mark = t;
    } else if (star != std::string::npos) {
      p = star + 1;
      t = ++mark;
    } else {
      return false;
    }
  }
  while (p < pattern.size() && pattern[p] == '*') ++p;
  return p == pattern.size();
}

bool Overrides::excluded(const std::string& node_name) const {
  return match_any(exclude, node_name) && !included(node_name);
}
bool Overrides::included(const std::string& node_name) const {
  return match_any(include, node_name);
}
bool Overrides::per_channel(const std::string& node_name) const {
  return match_any(per_channel_weights, node_name);
}

CalibrationMethod method_by_name(const std::string& name) {
  if (name == "max") return CalibrationMethod::Max;
  if (name == "percentile") return CalibrationMethod::Percentile;
  if (name == "entropy") return CalibrationMethod::Entropy;
  if (name == "mse") return CalibrationMethod::Mse;
  if (name == "auto") return CalibrationMethod::Auto;
  fail("unknown calibration method '{}' (expected max, percentile, entropy, mse or auto)", name);
}

const char* method_name(CalibrationMethod method) {
  switch (method) {
    case CalibrationMethod::Max:
      return "max";
    case CalibrationMethod::Percentile:
      return "percentile";
    case CalibrationMethod::Entropy:
      return "entropy";
    case CalibrationMethod::Mse:
      return "mse";
    case CalibrationMethod::Auto:
      return "auto";
  }
  return "?";
}

const char* role_name(TensorRole role) {
  switch (role) {
    case TensorRole::Activation:
      return "activation";
    case TensorRole::Weight:
      return "weight";
    case TensorRole::Bias:
      return "bias";
  }
  return "?";
}

}  // namespace qcv::quant
