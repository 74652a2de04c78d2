// Models for the TFLite export tests: a tiny hand-built conv net covering every op the exporter
// writes, zoo models, and PTQ with the tflite scheme on seeded random images.
#pragma once
#include <random>

#include "common/graph_builder.h"
#include "models/models.h"
#include "passes/passes.h"
#include "quant/quant.h"

namespace qcv::test {

// x[N,3,16,16] -> Conv3x3 s2 p1 (explicit PAD: not TF's SAME split) -> Relu -> depthwise 3x3
// p1 (SAME) -> Clip(0,6) -> Conv1x1 -> Add(with a 1x1 conv of the Relu output) -> Relu ->
// MaxPool3x3 s2 p1 (centered, not SAME) -> AveragePool2x2 -> GlobalAveragePool -> Flatten -> Gemm
// -> Relu -> Reshape[N,12,1,1] -> Conv1x1 (classifier) -> Flatten -> logits[N,5].
inline ir::Graph tiny_conv_net(uint32_t seed = 3, int64_t depth_multiplier = 2) {
  std::mt19937 rng(seed);
  ir::Graph g;
  g.name = "tiny_conv_net";
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {-1, 3, 16, 16}));
  g.outputs.push_back(ir::make_value("logits"));
  auto conv_attrs = [](int64_t k, int64_t s, int64_t p, int64_t group) {
    return std::map<std::string, ir::Attribute>{{"kernel_shape", std::vector<int64_t>{k, k}},
                                                {"strides", std::vector<int64_t>{s, s}},
                                                {"pads", std::vector<int64_t>{p, p, p, p}},
                                                {"group", group}};
  };
  auto add_conv = [&](const std::string& name, const std::string& in, const std::string& out,
                      int64_t co, int64_t ci_per_group, int64_t k, int64_t s, int64_t p,
                      int64_t group) {
    g.initializers[name + ".w"] = random_tensor({co, ci_per_group, k, k}, rng, -0.5f, 0.5f);
    g.initializers[name + ".b"] = random_tensor({co}, rng, -0.2f, 0.2f);
    g.nodes.push_back(
        make_node(name, "Conv", {in, name + ".w", name + ".b"}, {out}, conv_attrs(k, s, p, group)));
  };
  g.initializers["zero"] = ir::Tensor::scalar(0.f);
  g.initializers["six"] = ir::Tensor::scalar(6.f);
  g.initializers["shape"] = ir::Tensor::from_vector<int64_t>({4}, {-1, 12, 1, 1});
  add_conv("c1", "x", "t1", 8, 3, 3, 2, 1, 1);
  g.nodes.push_back(make_node("r1", "Relu", {"t1"}, {"a1"}));
  add_conv("dw", "a1", "t2", 8 * depth_multiplier, 1, 3, 1, 1, 8);
  g.nodes.push_back(make_node("r6", "Clip", {"t2", "zero", "six"}, {"a2"}));
  add_conv("pw", "a2", "t3", 8, 8 * depth_multiplier, 1, 1, 0, 1);
  add_conv("skip", "a1", "t4", 8, 8, 1, 1, 0, 1);
  g.nodes.push_back(make_node("add", "Add", {"t3", "t4"}, {"s"}));
  g.nodes.push_back(make_node("r2", "Relu", {"s"}, {"a3"}));
  g.nodes.push_back(make_node("mul", "Mul", {"a3", "t4"}, {"p3"}));
  g.nodes.push_back(make_node("maxpool", "MaxPool", {"p3"}, {"m"},
                              {{"kernel_shape", std::vector<int64_t>{3, 3}},
                               {"strides", std::vector<int64_t>{2, 2}},
                               {"pads", std::vector<int64_t>{1, 1, 1, 1}}}));
  g.nodes.push_back(make_node(
      "avgpool", "AveragePool", {"m"}, {"v"},
      {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{1, 1}}}));
  g.nodes.push_back(make_node("gap", "GlobalAveragePool", {"v"}, {"p"}));
  g.nodes.push_back(make_node("flat", "Flatten", {"p"}, {"f"}));
  g.initializers["fc.w"] = random_tensor({12, 8}, rng, -0.5f, 0.5f);
  g.initializers["fc.b"] = random_tensor({12}, rng, -0.2f, 0.2f);
  g.nodes.push_back(
      make_node("fc", "Gemm", {"f", "fc.w", "fc.b"}, {"u"}, {{"transB", int64_t(1)}}));
  g.nodes.push_back(make_node("r3", "Relu", {"u"}, {"a4"}));
  g.nodes.push_back(make_node("unflat", "Reshape", {"a4", "shape"}, {"a5"}));
  add_conv("cls", "a5", "y4", 5, 12, 1, 1, 0, 1);
  g.nodes.push_back(make_node("flat2", "Flatten", {"y4"}, {"logits"}));
  ir::validate(g);
  ir::infer_shapes(g);
  return g;
}

// x[N,3,8,8] -> Conv3x3 p1 -> SiLU (Sigmoid, Mul with its input) -> Conv1x1 -> Sigmoid ->
// GlobalAveragePool -> Flatten -> [N, 8]: two LOGISTICs, the pooled gate as the output.
inline ir::Graph sigmoid_net(uint32_t seed = 5) {
  std::mt19937 rng(seed);
  ir::Graph g;
  g.name = "sigmoid_net";
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {-1, 3, 8, 8}));
  g.outputs.push_back(ir::make_value("y"));
  g.initializers["c1.w"] = random_tensor({8, 3, 3, 3}, rng, -0.8f, 0.8f);
  g.initializers["c1.b"] = random_tensor({8}, rng, -0.5f, 0.5f);
  g.initializers["c2.w"] = random_tensor({8, 8, 1, 1}, rng, -1.f, 1.f);
  g.initializers["c2.b"] = random_tensor({8}, rng, -0.5f, 0.5f);
  const std::vector<int64_t> one = {1, 1};
  g.nodes.push_back(make_node(
      "c1", "Conv", {"x", "c1.w", "c1.b"}, {"t1"},
      {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}}));
  g.nodes.push_back(make_node("gate1", "Sigmoid", {"t1"}, {"s1"}));
  g.nodes.push_back(make_node("silu", "Mul", {"t1", "s1"}, {"a1"}));
  g.nodes.push_back(
      make_node("c2", "Conv", {"a1", "c2.w", "c2.b"}, {"t2"}, {{"kernel_shape", one}}));
  g.nodes.push_back(make_node("gate2", "Sigmoid", {"t2"}, {"s2"}));
  g.nodes.push_back(make_node("gap", "GlobalAveragePool", {"s2"}, {"p"}));
  g.nodes.push_back(make_node("flat", "Flatten", {"p"}, {"y"}));
  ir::validate(g);
  ir::infer_shapes(g);
  return g;
}

// x[N,3,8,8] -> Conv3x3 p1 with wide outputs (|y| up to ~20, a coarse input step for the gate)
// -> HardSigmoid(1/6, 1/2) -> GlobalAveragePool -> Flatten -> [N, 16]: the squeeze-excite gate
// of a trained MobileNetV3, whose bias beta must sit on the int32 grid of the exported conv.
inline ir::Graph gate_net(uint32_t seed = 7) {
  std::mt19937 rng(seed);
  ir::Graph g;
  g.name = "gate_net";
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {-1, 3, 8, 8}));
  g.outputs.push_back(ir::make_value("y"));
  g.initializers["c.w"] = random_tensor({16, 3, 3, 3}, rng, -2.f, 2.f);
  g.initializers["c.b"] = random_tensor({16}, rng, -1.f, 1.f);
  g.nodes.push_back(make_node(
      "c", "Conv", {"x", "c.w", "c.b"}, {"t"},
      {{"kernel_shape", std::vector<int64_t>{3, 3}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}}));
  g.nodes.push_back(
      make_node("gate", "HardSigmoid", {"t"}, {"s"}, {{"alpha", 1.f / 6}, {"beta", 0.5f}}));
  g.nodes.push_back(make_node("gap", "GlobalAveragePool", {"s"}, {"p"}));
  g.nodes.push_back(make_node("flat", "Flatten", {"p"}, {"y"}));
  ir::validate(g);
  ir::infer_shapes(g);
  return g;
}

// PTQ with the tflite scheme (max calibration) on `images` seeded N(0,1) images, calibrated by
// the reference kernels (exact, no runtime needed).
inline ir::Graph quantize_tflite(const ir::Graph& fp32, int images = 4, uint32_t seed = 11,
                                 bool per_channel = true,
                                 quant::QuantScheme scheme = quant::scheme_by_name("tflite")) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::vector<std::map<std::string, ir::Tensor>> batches;
  ir::Shape shape = fp32.inputs[0].shape;
  shape[0] = 1;
  for (int i = 0; i < images; ++i) {
    ir::Tensor x(ir::DType::Float32, shape);
    for (int64_t k = 0; k < x.numel(); ++k) x.data<float>()[k] = normal(rng);
    batches.push_back({{fp32.inputs[0].name, x}});
  }
  auto data = quant::feeds_data(batches);
  quant::PtqOptions options;
  options.scheme = scheme;
  options.scheme.weight_per_channel = per_channel;
  options.calibration.show_progress = false;
  return quant::quantize_ptq(fp32, quant::reference_backend(), *data, options).graph;
}

// Zoo models start with BN gamma 0 on residual branches (and unit BN elsewhere), so that
// random images give near-constant activations; trained-like BN parameters (gamma in [0.5, 1.5],
// beta in [-0.2, 0.2]) make the check see real signal.
inline void randomize_batch_norm(ir::Graph& g, uint32_t seed = 9) {
  std::mt19937 rng(seed);
  for (const auto& n : g.nodes) {
    if (n.op != "BatchNormalization") continue;
    ir::Tensor& gamma = g.initializers.at(n.input(1));
    gamma = random_tensor(gamma.shape(), rng, 0.5f, 1.5f);
    ir::Tensor& beta = g.initializers.at(n.input(2));
    beta = random_tensor(beta.shape(), rng, -0.2f, 0.2f);
  }
}

inline ir::Graph zoo_model(const std::string& name, float width, int resolution, int classes) {
  models::ModelSpec spec;
  spec.name = name;
  spec.width = width;
  spec.resolution = resolution;
  spec.classes = classes;
  ir::Graph g = models::build(spec);
  randomize_batch_norm(g);
  return g;
}

// The FP32 graph cut after `value` (a 4-D activation): GlobalAveragePool -> Flatten is the new
// output, for a check that stops before a random deep net's rounding flips pile up.
inline ir::Graph cut_after(ir::Graph g, const std::string& value) {
  g.nodes.push_back(make_node("cut.pool", "GlobalAveragePool", {value}, {"cut.pooled"}));
  g.nodes.push_back(make_node("cut.flatten", "Flatten", {"cut.pooled"}, {"cut"}));
  g.outputs = {ir::make_value("cut")};
  g.value_info.clear();
  passes::eliminate_dead_code(g);
  ir::validate(g);
  ir::infer_shapes(g);
  return g;
}

inline int count_op(const ir::Graph& g, const std::string& op) {
  int count = 0;
  for (const auto& n : g.nodes) count += n.op == op;
  return count;
}

}  // namespace qcv::test
