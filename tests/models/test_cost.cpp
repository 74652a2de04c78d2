// count_cost on small hand-built graphs: MACs and params computed by hand, the parameter
// convention (BN gamma/beta only, no scalars, no quantization scales), QDQ graphs, and errors.
#include <gtest/gtest.h>

#include "models/models.h"

namespace qcv::models {
namespace {

ir::Tensor zeros(ir::Shape s) { return ir::Tensor(ir::DType::Float32, std::move(s)); }

ir::Node node(const std::string& op, const std::string& name, std::vector<std::string> in) {
  ir::Node n;
  n.op = op;
  n.name = name;
  n.inputs = std::move(in);
  n.outputs = {name};
  return n;
}

// x [N,3,10,10] -> conv 3x3 s1 p1 (8 out, bias) -> BN -> Clip(0,6) -> depthwise 3x3 s2 p1
// -> GlobalAveragePool -> Flatten -> Dropout -> Gemm (8 -> 5) -> MatMul (5 -> 4)
ir::Graph small_float_graph() {
  ir::Graph g;
  ir::Value x = ir::make_value("x", ir::DType::Float32, {-1, 3, 10, 10});
  g.inputs.push_back(x);
  g.initializers["w1"] = zeros({8, 3, 3, 3});
  g.initializers["b1"] = zeros({8});
  for (const char* p : {"gamma", "beta", "mean", "var"}) g.initializers[p] = zeros({8});
  g.initializers["lo"] = ir::Tensor::scalar(0.0f);
  g.initializers["hi"] = ir::Tensor::scalar(6.0f);
  g.initializers["wd"] = zeros({8, 1, 3, 3});
  g.initializers["ratio"] = ir::Tensor::scalar(0.5f);
  g.initializers["wfc"] = zeros({5, 8});
  g.initializers["bfc"] = zeros({5});
  g.initializers["wmm"] = zeros({5, 4});
  ir::Node conv = node("Conv", "conv", {"x", "w1", "b1"});
  conv.attrs["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  g.nodes.push_back(conv);
  g.nodes.push_back(node("BatchNormalization", "bn", {"conv", "gamma", "beta", "mean", "var"}));
  g.nodes.push_back(node("Clip", "relu6", {"bn", "lo", "hi"}));
  ir::Node dw = node("Conv", "dw", {"relu6", "wd"});
  dw.attrs["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  dw.attrs["strides"] = std::vector<int64_t>{2, 2};
  dw.attrs["group"] = int64_t{8};
  g.nodes.push_back(dw);
  g.nodes.push_back(node("GlobalAveragePool", "pool", {"dw"}));
  g.nodes.push_back(node("Flatten", "flat", {"pool"}));
  g.nodes.push_back(node("Dropout", "drop", {"flat", "ratio"}));
  ir::Node fc = node("Gemm", "fc", {"drop", "wfc", "bfc"});
  fc.attrs["transB"] = int64_t{1};
  g.nodes.push_back(fc);
  g.nodes.push_back(node("MatMul", "mm", {"fc", "wmm"}));
  g.outputs.push_back(ir::make_value("mm"));
  return g;
}

// By hand, at batch 1:
//   conv: 10*10 outputs x 8 channels x (3 in x 3x3) = 800 * 27 = 21600
//   dw:   5*5 outputs x 8 channels x (1 x 3x3)      = 200 * 9  = 1800
//   fc:   1 x 8 x 5 = 40;  matmul: 1 x 5 x 4 = 20
constexpr int64_t kMacs = 21600 + 1800 + 40 + 20;
// params: w1 216 + b1 8 + gamma/beta 16 + wd 72 + wfc 40 + bfc 5 + wmm 20 = 377
// (not: BN mean/var, Clip bounds, Dropout ratio).
constexpr int64_t kParams = 216 + 8 + 16 + 72 + 40 + 5 + 20;

TEST(CountCost, HandComputedFloatGraph) {
  Cost c = count_cost(small_float_graph());
  EXPECT_EQ(c.macs, kMacs);
  EXPECT_EQ(c.params, kParams);
}

TEST(CountCost, KnownBatchIsUsedAsIs) {
  ir::Graph g = small_float_graph();
  g.inputs[0].shape[0] = 3;
  EXPECT_EQ(count_cost(g).macs, 3 * kMacs);
}

TEST(CountCost, SharedInitializersCountOnce) {
  ir::Graph g = small_float_graph();
  // A second Gemm reading the same weight and bias.
  ir::Node fc2 = node("Gemm", "fc2", {"drop", "wfc", "bfc"});
  fc2.attrs["transB"] = int64_t{1};
  g.nodes.push_back(fc2);
  Cost c = count_cost(g);
  EXPECT_EQ(c.params, kParams);
  EXPECT_EQ(c.macs, kMacs + 40);
}

// The same network with the conv weight stored as int8 behind DequantizeLinear (per-channel
// scales) and the activation quantized/dequantized: same MACs, same params.
TEST(CountCost, QdqGraphCountsQuantizedWeightsNotScales) {
  ir::Graph g = small_float_graph();
  g.initializers.erase("w1");
  g.initializers["w1_q"] = ir::Tensor(ir::DType::Int8, {8, 3, 3, 3});
  g.initializers["w1_scale"] = zeros({8});
  g.initializers["w1_zp"] = ir::Tensor(ir::DType::Int8, {8});
  g.initializers["b1_q"] = ir::Tensor(ir::DType::Int32, {8});
  g.initializers.erase("b1");
  g.initializers["b1_scale"] = zeros({8});
  g.initializers["x_scale"] = ir::Tensor::scalar(0.1f);
  g.initializers["x_zp"] = ir::Tensor::scalar(uint8_t{128});
  ir::Node dqw = node("DequantizeLinear", "w1", {"w1_q", "w1_scale", "w1_zp"});
  dqw.attrs["axis"] = int64_t{0};
  ir::Node dqb = node("DequantizeLinear", "b1", {"b1_q", "b1_scale"});
  dqb.attrs["axis"] = int64_t{0};
  ir::Node q = node("QuantizeLinear", "x_q", {"x", "x_scale", "x_zp"});
  ir::Node dq = node("DequantizeLinear", "x_dq", {"x_q", "x_scale", "x_zp"});
  g.nodes[0].inputs = {"x_dq", "w1", "b1"};
  g.nodes.insert(g.nodes.begin(), {dqw, dqb, q, dq});
  Cost c = count_cost(g);
  EXPECT_EQ(c.macs, kMacs);
  EXPECT_EQ(c.params, kParams);
}

TEST(CountCost, UnknownSpatialSizeIsAnError) {
  ir::Graph g = small_float_graph();
  g.inputs[0].shape = {-1, 3, -1, -1};
  try {
    count_cost(g);
    FAIL() << "expected an error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("'x'"), std::string::npos) << e.what();
  }
}

TEST(CountCost, DoesNotModifyTheGraph) {
  ModelSpec s;
  s.name = "mobilenet_v3_small";
  s.init_weights = false;
  ir::Graph g = build(s);
  count_cost(g);
  EXPECT_EQ(g.inputs[0].shape[0], -1);
  EXPECT_EQ(g.outputs[0].shape[0], -1);
  EXPECT_EQ(g.outputs[0].dim_names[0], "N");
}

}  // namespace
}  // namespace qcv::models
