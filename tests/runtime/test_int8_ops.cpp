// INT8 steps other than Conv (quantized Add, pooling, Gemm, Q/DQ conversions), the check that
// the int8 path is taken, and bad QDQ parameters: against the FP32 fake-quant oracle.
#include "int8_test_util.h"

using namespace qcv;
using namespace qcv::testing;

namespace {

const ir::DType u8 = ir::DType::UInt8, s8 = ir::DType::Int8;

std::map<std::string, ir::Tensor> feeds_for(const ir::Graph& g, uint32_t seed = 3) {
  std::map<std::string, ir::Tensor> feeds;
  for (const ir::Value& in : g.inputs) feeds[in.name] = random_tensor(in.shape, seed++);
  return feeds;
}

// Runs g through an INT8 Session and the reference kernels; returns the plan and the worst step
// difference over the (quantized) outputs.
int64_t run_both(const ir::Graph& g, std::string& plan) {
  auto feeds = feeds_for(g);
  runtime::Session s(g, {2, true});
  std::vector<ir::Tensor> got = s.run(feeds);
  std::vector<ir::Tensor> want = ref::run_graph(g, feeds);
  plan = s.describe_plan();
  int64_t worst = 0;
  for (size_t k = 0; k < got.size(); ++k) worst = std::max(worst, max_step_diff(got[k], want[k]));
  return worst;
}

TEST(Int8Ops, QuantizedAddWithZeroPointsAndRelu) {
  for (ir::DType t : {u8, s8}) {
    GraphMaker m;
    std::string a = m.input("a", {1, 24, 7, 9}), b = m.input("b", {1, 24, 7, 9});
    Range ra = range_params(-0.6f, 1.f, t), rb = range_params(-1.f, 0.8f, t);
    if (t == s8) ra = {0.008f, -30}, rb = {0.007f, 13};  // asymmetric int8 (tflite)
    std::string y = m.node("Add", {qdq(m, a, ra.scale, ra.zp, t), qdq(m, b, rb.scale, rb.zp, t)});
    y = m.node("Relu", {y});
    Range ry = range_params(0.f, 1.6f, t);
    if (t == s8) ry = {0.0065f, -128};
    m.output(quantize(m, y, ry.scale, ry.zp, t));
    std::string plan;
    EXPECT_LE(run_both(m.g, plan), 1) << plan;
    EXPECT_NE(plan.find("QAdd+Relu+QuantizeLinear"), std::string::npos) << plan;
  }
}

TEST(Int8Ops, ActivationBetweenQuantizedTensors) {
  // Q(Clip(DQ(x))) as PyTorch writes ReLU6: same and different parameters on both sides.
  for (bool same : {true, false}) {
    GraphMaker m;
    std::string x = m.input("x", {1, 16, 5, 7});
    Range r = range_params(-3.f, 8.f, u8), ry = same ? r : range_params(0.f, 6.f, u8);
    std::string y =
        m.node("Clip", {qdq(m, x, r.scale, r.zp, u8), m.constant(ir::Tensor::scalar<float>(0.f)),
                        m.constant(ir::Tensor::scalar<float>(6.f))});
    m.output(quantize(m, y, ry.scale, ry.zp, u8));
    std::string plan;
    m.g.inputs[0].shape = {1, 16, 5, 7};
    auto feeds = feeds_for(m.g);
    feeds["x"] = random_tensor({1, 16, 5, 7}, 3, -4.f, 9.f);
    runtime::Session s(m.g, {2, true});
    EXPECT_LE(max_step_diff(s.run(feeds)[0], ref::run_graph(m.g, feeds)[0]), 1)
        << s.describe_plan();
    // A function of one int8 tensor runs as a lookup table (compile_qlut.cpp).
    EXPECT_NE(s.describe_plan().find("QLookup Clip+QuantizeLinear"), std::string::npos)
        << s.describe_plan();
  }
}

TEST(Int8Ops, QatWeightsBehindQuantizeLinearRunAsInt8) {
  GraphMaker m;
  std::string x = m.input("x", {1, 8, 9, 9});
  Range r = range_params(-1.f, 1.f, s8);
  std::string w = qdq_weight(m, random_tensor({16, 8, 3, 3}, 4, -0.3f, 0.3f), true);
  std::string y = m.node("Conv", {qdq(m, x, r.scale, r.zp, s8), w},
                         {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  m.output(quantize(m, m.node("Relu", {y}), 0.02f, 0, s8));
  std::string plan;
  EXPECT_LE(run_both(m.g, plan), 1) << plan;
  EXPECT_NE(plan.find("QConv+Relu+QuantizeLinear"), std::string::npos) << plan;
}

TEST(Int8Ops, ConcatOfQuantizedTensorsWithEqualParameters) {
  GraphMaker m;
  std::string a = m.input("a", {1, 8, 5, 5}), b = m.input("b", {1, 24, 5, 5});
  Range r = range_params(-1.f, 1.f, u8);
  std::string y = m.node("Concat", {qdq(m, a, r.scale, r.zp, u8), qdq(m, b, r.scale, r.zp, u8)},
                         {{"axis", int64_t{1}}});
  m.output(quantize(m, y, r.scale, r.zp, u8));
  std::string plan;
  EXPECT_EQ(run_both(m.g, plan), 0) << plan;
  EXPECT_NE(plan.find("Concat int8"), std::string::npos) << plan;
}

TEST(Int8Ops, PoolingOnInt8) {
  for (const std::string op : {"MaxPool", "AveragePool", "GlobalAveragePool"}) {
    GraphMaker m;
    std::string x = m.input("x", {1, 16, 9, 11});
    Range r = range_params(-1.f, 1.f, u8);
    std::string d = qdq(m, x, r.scale, r.zp, u8);
    std::map<std::string, ir::Attribute> attrs;
    if (op != "GlobalAveragePool")
      attrs = {{"kernel_shape", std::vector<int64_t>{3, 3}},
               {"strides", std::vector<int64_t>{2, 2}},
               {"pads", std::vector<int64_t>{1, 1, 1, 1}}};
    std::string y = m.node(op, {d}, attrs);
    m.output(quantize(m, y, r.scale, r.zp, u8));  // same parameters: Q(pool(DQ(x))) on int8
    std::string plan;
    int64_t diff = run_both(m.g, plan);
    EXPECT_LE(diff, op == "MaxPool" ? 0 : 1) << op << "\n" << plan;
    EXPECT_NE(plan.find(op + " int8"), std::string::npos) << plan;
  }
}

TEST(Int8Ops, GemmAsInt8InnerProduct) {
  for (bool trans_b : {true, false}) {
    GraphMaker m;
    std::string x = m.input("x", {3, 64});
    // uint8 with a zero point (folded into the bias) and symmetric int8.
    const ir::DType t = trans_b ? u8 : s8;
    Range r = range_params(trans_b ? -0.4f : -1.f, 1.f, t);
    ir::Tensor w = random_tensor({32, 64}, 21, -0.2f, 0.2f);
    std::string wd;
    if (trans_b) {
      wd = int8_weight(m, w, true);
    } else {  // B as [K, N], quantized per tensor
      ir::Tensor wt(ir::DType::Float32, {64, 32});
      for (int64_t o = 0; o < 32; ++o)
        for (int64_t k = 0; k < 64; ++k) wt.data<float>()[k * 32 + o] = w.data<float>()[o * 64 + k];
      wd = int8_weight(m, wt, false);
    }
    std::string y = m.node("Gemm", {qdq(m, x, r.scale, r.zp, t), wd, m.constant({32}, -0.1f, 0.1f)},
                           {{"transB", int64_t{trans_b ? 1 : 0}}});
    m.output(y);  // float output
    auto feeds = feeds_for(m.g);
    runtime::Session s(m.g, {2, true});
    double err = relative_error(s.run(feeds)[0], ref::run_graph(m.g, feeds)[0]);
    EXPECT_LT(err, 1e-4) << s.describe_plan();
    EXPECT_NE(s.describe_plan().find("QGemm"), std::string::npos) << s.describe_plan();
  }
}

TEST(Int8Ops, QuantizeAndDequantizeAsReorders) {
  GraphMaker m;
  std::string x = m.input("x", {2, 5, 3, 4});
  Range r = range_params(-0.3f, 0.9f, u8);
  std::string q = quantize(m, x, r.scale, r.zp, u8);
  m.output(q);
  m.output(m.node("Relu", {dequantize(m, q, r.scale, r.zp, u8)}));
  auto feeds = feeds_for(m.g);
  runtime::Session s(m.g, {2, true});
  auto got = s.run(feeds);
  auto want = ref::run_graph(m.g, feeds);
  EXPECT_LE(max_step_diff(got[0], want[0]), 1);
  EXPECT_LT(relative_error(got[1], want[1]), 1e-2);  // one step of 0.0047 at most
  EXPECT_NE(s.describe_plan().find("QuantizeLinear: reorder"), std::string::npos);
}

TEST(Int8Ops, PerAxisActivationQuantizationFallsBackToReference) {
  GraphMaker m;
  std::string x = m.input("x", {1, 3, 4, 4});
  std::string sc = m.constant(ir::Tensor::from_vector<float>({3}, {0.01f, 0.02f, 0.03f}));
  std::string zp = m.constant(ir::Tensor::from_vector<uint8_t>({3}, {10, 128, 200}));
  std::string q = m.node("QuantizeLinear", {x, sc, zp}, {{"axis", int64_t{1}}});
  m.output(m.node("DequantizeLinear", {q, sc, zp}, {{"axis", int64_t{1}}}));
  auto feeds = feeds_for(m.g);
  runtime::Session s(m.g, {2, true});
  EXPECT_EQ(relative_error(s.run(feeds)[0], ref::run_graph(m.g, feeds)[0]), 0.0);
  EXPECT_NE(s.describe_plan().find("QuantizeLinear: reference"), std::string::npos);
}

// A Q/DQ pair on x with the given parameters, feeding a Conv with int8 weights.
ir::Graph graph_with_params(ir::Tensor scale, ir::Tensor zp, int64_t axis = 1) {
  GraphMaker m;
  std::string x = m.input("x", {1, 4, 5, 5});
  std::string s = m.constant(scale), z = m.constant(zp);
  std::string q = m.node("QuantizeLinear", {x, s, z}, {{"axis", axis}});
  std::string d = m.node("DequantizeLinear", {q, s, z}, {{"axis", axis}});
  m.output(m.node("Conv", {d, int8_weight(m, random_tensor({8, 4, 3, 3}, 2), true)}));
  return m.g;
}

void expect_session_error(const ir::Graph& g, const std::string& words) {
  try {
    runtime::Session s(g);
    ADD_FAILURE() << "no error; expected one mentioning '" << words << "'";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(words), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("QuantizeLinear_"), std::string::npos) << e.what();
  }
}

TEST(Int8BadInput, ZeroOrNegativeScale) {
  expect_session_error(
      graph_with_params(ir::Tensor::scalar<float>(0.f), ir::Tensor::scalar<uint8_t>(0)),
      "must be finite and > 0");
  expect_session_error(
      graph_with_params(ir::Tensor::scalar<float>(-0.1f), ir::Tensor::scalar<uint8_t>(0)),
      "must be finite and > 0");
}

TEST(Int8BadInput, PerAxisSizeMismatch) {
  expect_session_error(graph_with_params(ir::Tensor::from_vector<float>({3}, {0.1f, 0.1f, 0.1f}),
                                         ir::Tensor::from_vector<uint8_t>({3}, {0, 0, 0})),
                       "per-axis scale");
}

TEST(Int8BadInput, ZeroPointCountMismatch) {
  expect_session_error(graph_with_params(ir::Tensor::scalar<float>(0.1f),
                                         ir::Tensor::from_vector<uint8_t>({2}, {0, 0})),
                       "zero point");
}

TEST(Int8BadInput, DequantizeZeroPointTypeDiffersFromInput) {
  GraphMaker m;
  std::string x = m.input("x", {1, 4});
  std::string q = quantize(m, x, 0.1f, 3, u8);
  // DequantizeLinear of a uint8 tensor with an int8 zero point.
  std::string d = dequantize(m, q, 0.1f, 3, s8);
  m.output(d);
  try {
    runtime::Session s(m.g);
    ADD_FAILURE() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("zero point"), std::string::npos) << e.what();
    EXPECT_NE(std::string(e.what()).find("DequantizeLinear_"), std::string::npos) << e.what();
  }
}

}  // namespace
