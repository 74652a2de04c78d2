// QDQ placement per scheme on a hand-built residual block: which tensors, which uses, which rule.
#include <gtest/gtest.h>

#include <algorithm>

#include "quant/quant.h"
#include "quant_test_util.h"

namespace qcv::quant {
namespace {

using test::count_ops;

std::vector<std::string> sorted_tensors(const QuantPlan& p, TensorRole role) {
  std::vector<std::string> out;
  for (const auto& t : p.targets)
    if (t.role == role) out.push_back(t.tensor);
  std::sort(out.begin(), out.end());
  return out;
}

// Inserts QDQ with unit parameters for activations (calibration is tested elsewhere).
ir::Graph apply(const ir::Graph& fp32, const QuantPlan& plan) {
  ir::Graph g = fp32;
  std::map<std::string, QuantParams> params;
  for (const auto& t : plan.targets)
    if (t.role == TensorRole::Activation)
      params[t.tensor] = params_for_range(-1, 1, t.dtype, t.symmetric);
  insert_qdq(g, plan, params);
  ir::validate(g);
  ir::infer_shapes(g);
  validate_qdq(g);
  return g;
}

// The node that reads input `k` of node `name`'s producer chain: the op feeding that input.
std::string producer_op(const ir::Graph& g, const std::string& node_name, int k) {
  const int i = g.find_node(node_name);
  const int p = g.producer(g.nodes.at(i).inputs.at(k));
  return p < 0 ? "" : g.nodes[p].op;
}

TEST(Placement, TensorRT) {
  const ir::Graph g = test::residual_block();
  const QuantPlan plan = plan_quantization(g, scheme_by_name("tensorrt"));
  // Conv/Gemm/pool inputs; the Add's skip input x; not the conv branch t2; no conv outputs.
  EXPECT_EQ(sorted_tensors(plan, TensorRole::Activation),
            (std::vector<std::string>{"a1", "a2", "f", "x"}));
  EXPECT_EQ(sorted_tensors(plan, TensorRole::Weight),
            (std::vector<std::string>{"W1", "W2", "Wfc"}));
  EXPECT_TRUE(sorted_tensors(plan, TensorRole::Bias).empty());
  const QuantTarget* x = plan.find("x");
  ASSERT_TRUE(x);
  EXPECT_EQ(x->rule, "input:Conv+residual-add");
  EXPECT_EQ(x->uses.size(), 2u);
  EXPECT_EQ(x->dtype, ir::DType::Int8);
  EXPECT_TRUE(x->symmetric);
  EXPECT_EQ(plan.find("a2")->rule, "input:GlobalAveragePool");
  EXPECT_EQ(plan.find("W1")->axis, 0);
  EXPECT_EQ(plan.find("Wfc")->axis, 0);  // transB: [N, K]

  const ir::Graph q = apply(g, plan);
  EXPECT_EQ(count_ops(q, "QuantizeLinear"), 4);
  EXPECT_EQ(count_ops(q, "DequantizeLinear"), 7);
  EXPECT_EQ(count_ops(q, "Relu"), 2);
  // The Add reads the conv output directly (fused branch) and x through DQ.
  EXPECT_EQ(producer_op(q, "add", 0), "Conv");
  EXPECT_EQ(producer_op(q, "add", 1), "DequantizeLinear");
  EXPECT_EQ(producer_op(q, "c2", 0), "DequantizeLinear");
  EXPECT_EQ(producer_op(q, "c2", 1), "DequantizeLinear");
  EXPECT_EQ(q.nodes[q.find_node("c2")].inputs[2], "B2");  // FP32 bias
  for (const auto& n : q.nodes) {
    if (n.op == "QuantizeLinear") {
      EXPECT_NE(producer_op(q, n.name, 0), "Conv") << n.name;
    }
  }
  // Weights are int8 initializers with per-channel scales on axis 0.
  const ir::Node& wdq = q.nodes[q.producer(q.nodes[q.find_node("c1")].inputs[1])];
  EXPECT_EQ(q.initializer(wdq.inputs[0])->dtype(), ir::DType::Int8);
  EXPECT_EQ(q.initializer(wdq.inputs[1])->shape(), (ir::Shape{4}));
  EXPECT_EQ(wdq.attr_int("axis", 1), 0);
}

TEST(Placement, TensorRTResidualWithTwoConvBranches) {
  // Add(conv_a, conv_b): only one branch can be fused; the other is quantized.
  ir::Graph g = test::residual_block();
  g.nodes[3].inputs = {"t2", "t3"};
  g.initializers["W3"] = g.initializers["W2"];
  g.nodes.insert(g.nodes.begin() + 3, test::node("c3", "Conv", {"x", "W3"}, {"t3"},
                                                 {{"kernel_shape", std::vector<int64_t>{3, 3}},
                                                  {"pads", std::vector<int64_t>{1, 1, 1, 1}}}));
  ir::validate(g);
  ir::infer_shapes(g);
  const QuantPlan plan = plan_quantization(g, scheme_by_name("tensorrt"));
  EXPECT_EQ(plan.find("t2"), nullptr);
  ASSERT_NE(plan.find("t3"), nullptr);
  EXPECT_EQ(plan.find("t3")->rule, "residual-add");
}

TEST(Placement, OnnxRuntime) {
  const ir::Graph g = test::residual_block();
  const QuantPlan plan = plan_quantization(g, scheme_by_name("onnxruntime"));
  EXPECT_EQ(sorted_tensors(plan, TensorRole::Activation),
            (std::vector<std::string>{"a1", "a2", "f", "p", "t2", "x"}));
  EXPECT_EQ(sorted_tensors(plan, TensorRole::Bias), (std::vector<std::string>{"B1", "B2", "Bfc"}));
  EXPECT_EQ(plan.find("a1")->rule, "output:Conv+Relu+input:Conv");
  EXPECT_EQ(plan.find("a1")->dtype, ir::DType::UInt8);
  EXPECT_FALSE(plan.find("a1")->symmetric);
  EXPECT_EQ(plan.find("t2")->rule, "output:Conv+input:Add");

  const ir::Graph q = apply(g, plan);
  // Relus folded into the Q saturation (range [0, max] -> zero point at qmin).
  EXPECT_EQ(count_ops(q, "Relu"), 0);
  EXPECT_EQ(count_ops(q, "QuantizeLinear"), 6);
  EXPECT_EQ(count_ops(q, "DequantizeLinear"), 12);
  EXPECT_EQ(producer_op(q, "c2", 2), "DequantizeLinear");  // int32 bias
  const ir::Node& bdq = q.nodes[q.producer(q.nodes[q.find_node("c2")].inputs[2])];
  EXPECT_EQ(q.initializer(bdq.inputs[0])->dtype(), ir::DType::Int32);
  // Every Conv/Add/Gemm input comes through a DQ (what ORT's QDQ selectors want).
  for (const char* name : {"c1", "c2", "add", "fc"})
    for (int k = 0; k < 2; ++k) EXPECT_EQ(producer_op(q, name, k), "DequantizeLinear") << name << k;
}

TEST(Placement, TfLite) {
  const ir::Graph g = test::residual_block();
  const QuantPlan plan = plan_quantization(g, scheme_by_name("tflite"));
  // Graph input, outputs after the fused activation, Add, pooling; not the Gemm's input.
  EXPECT_EQ(sorted_tensors(plan, TensorRole::Activation),
            (std::vector<std::string>{"a1", "a2", "p", "t2", "x"}));
  EXPECT_EQ(plan.find("x")->rule, "graph-input");
  EXPECT_EQ(plan.find("a2")->rule, "output:Add+Relu");
  EXPECT_EQ(plan.find("x")->dtype, ir::DType::Int8);
  EXPECT_FALSE(plan.find("x")->symmetric);
  EXPECT_EQ(sorted_tensors(plan, TensorRole::Bias), (std::vector<std::string>{"B1", "B2"}));
  const ir::Graph q = apply(g, plan);
  EXPECT_EQ(count_ops(q, "Relu"), 2);  // kept: the quantized tensor is the activation's output
  EXPECT_EQ(count_ops(q, "QuantizeLinear"), 5);
  EXPECT_EQ(count_ops(q, "DequantizeLinear"), 10);
  EXPECT_EQ(producer_op(q, "r1", 0), "Conv");
}

TEST(Placement, ExcludeAndInclude) {
  const ir::Graph g = test::residual_block();
  Overrides o;
  o.exclude = {"c?"};
  QuantPlan plan = plan_quantization(g, scheme_by_name("tensorrt"), o);
  // Convs stay FP32: no weight, no conv input; x still feeds the Add as residual input.
  EXPECT_EQ(sorted_tensors(plan, TensorRole::Weight), (std::vector<std::string>{"Wfc"}));
  EXPECT_EQ(sorted_tensors(plan, TensorRole::Activation),
            (std::vector<std::string>{"a2", "f", "x"}));
  EXPECT_EQ(plan.find("x")->uses.size(), 1u);

  o.exclude = {"*"};
  o.include = {"fc"};  // include wins over exclude
  plan = plan_quantization(g, scheme_by_name("tensorrt"), o);
  EXPECT_EQ(sorted_tensors(plan, TensorRole::Activation), (std::vector<std::string>{"f"}));
  EXPECT_EQ(sorted_tensors(plan, TensorRole::Weight), (std::vector<std::string>{"Wfc"}));

  // Include forces a node no rule selects: both Add inputs (the fused branch too).
  Overrides inc;
  inc.include = {"add"};
  plan = plan_quantization(g, scheme_by_name("tensorrt"), inc);
  ASSERT_NE(plan.find("t2"), nullptr);
  EXPECT_EQ(plan.find("t2")->rule, "include");
  EXPECT_EQ(apply(g, plan).nodes.size(), g.nodes.size() + 5 + 8);
}

TEST(Placement, GlobAndNames) {
  EXPECT_TRUE(glob_match("conv*", "conv_12"));
  EXPECT_TRUE(glob_match("*block?/conv", "stage1/block3/conv"));
  EXPECT_FALSE(glob_match("conv?", "conv12"));
  EXPECT_TRUE(glob_match("*", ""));
  EXPECT_FALSE(glob_match("a*b", "acbd"));
  EXPECT_THROW(scheme_by_name("tensorflow"), Error);
  EXPECT_THROW(method_by_name("kl"), Error);
  EXPECT_EQ(method_by_name("entropy"), CalibrationMethod::Entropy);
}

}  // namespace
}  // namespace qcv::quant
