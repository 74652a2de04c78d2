// Fake-quantization numerics: QDQ graphs run by the reference kernels against hand computations,
// ONNX rounding ties, quantization parameters, and the QDQ parameter validation.
#include <gtest/gtest.h>

#include "quant/quant.h"
#include "quant_test_util.h"
#include "ref/ref.h"

namespace qcv::quant {
namespace {

// x [1,1,3,3] -> Conv(W [2,1,2,2], B) -> y [1,2,2,2]; scales are powers of two so that the
// hand-written dequantized values are exact.
ir::Graph tiny_conv() {
  ir::Graph g;
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {1, 1, 3, 3}));
  g.outputs.push_back(ir::make_value("y"));
  g.initializers["W"] = ir::Tensor::from_vector<float>(
      {2, 1, 2, 2}, {0.9921875f, -0.5f, 0.01171875f, 0.00390625f,  // amax 127/128: scale 2^-7
                     -0.49609375f, 0.25f, 0.0107421875f, -0.005859375f});  // scale 2^-8
  g.initializers["B"] = ir::Tensor::from_vector<float>({2}, {0.1f, -0.2f});
  g.nodes.push_back(test::node("conv", "Conv", {"x", "W", "B"}, {"y"},
                               {{"kernel_shape", std::vector<int64_t>{2, 2}}}));
  ir::validate(g);
  ir::infer_shapes(g);
  return g;
}

const std::vector<float> kX = {0.03125f, 0.09375f,  0.15625f, -0.09375f, 7.9375f,
                               1.0f,     -0.03125f, 0.5f,     9.0f};
// x / 0.0625 = 0.5, 1.5, 2.5, -1.5, 127, 16, -0.5, 8, 144: ties to even, 144 saturates at 127.
const std::vector<double> kXdq = {0, 0.125, 0.125, -0.125, 7.9375, 1.0, 0, 0.5, 7.9375};
// Weight steps: 127, -64, 1.5 -> 2, 0.5 -> 0 | -127, 64, 2.75 -> 3, -1.5 -> -2.
const std::vector<double> kWdq = {0.9921875,   -0.5, 0.015625,   0,
                                  -0.49609375, 0.25, 0.01171875, -0.0078125};

std::vector<double> hand_conv(const std::vector<double>& bias) {
  std::vector<double> y;
  for (int o = 0; o < 2; ++o)
    for (int i = 0; i < 2; ++i)
      for (int j = 0; j < 2; ++j) {
        double acc = bias[o];
        for (int ki = 0; ki < 2; ++ki)
          for (int kj = 0; kj < 2; ++kj)
            acc += kXdq[(i + ki) * 3 + j + kj] * kWdq[o * 4 + ki * 2 + kj];
        y.push_back(acc);
      }
  return y;
}

ir::Graph quantized_tiny_conv(const std::string& scheme) {
  ir::Graph g = tiny_conv();
  const QuantPlan plan = plan_quantization(g, scheme_by_name(scheme));
  std::map<std::string, QuantParams> params;
  params["x"] = params_for_range(-7.9375f, 7.9375f, ir::DType::Int8, true);  // scale 1/16
  insert_qdq(g, plan, params);
  ir::validate(g);
  ir::infer_shapes(g);
  validate_qdq(g);
  return g;
}

TEST(FakeQuant, TinyConvEqualsHandComputation) {
  const ir::Graph g = quantized_tiny_conv("tensorrt");  // FP32 bias
  auto y = ref::run_graph(g, {{"x", ir::Tensor::from_vector<float>({1, 1, 3, 3}, kX)}});
  const std::vector<double> want = hand_conv({0.1, -0.2});
  ASSERT_EQ(y[0].numel(), 8);
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(y[0].data<float>()[i], want[i], 1e-6) << i;
}

TEST(FakeQuant, Int32BiasScaleIsInputTimesWeightScale) {
  const ir::Graph g = quantized_tiny_conv("tflite");
  const ir::Node& conv = g.nodes[g.find_node("conv")];
  const ir::Node& dq = g.nodes[g.producer(conv.inputs[2])];
  const ir::Tensor* q = g.initializer(dq.inputs[0]);
  ASSERT_TRUE(q);
  // 0.1 / (2^-4 * 2^-7) = 204.8 -> 205; -0.2 / (2^-4 * 2^-8) = -819.2 -> -819.
  EXPECT_EQ(q->data<int32_t>()[0], 205);
  EXPECT_EQ(q->data<int32_t>()[1], -819);
  EXPECT_FLOAT_EQ(g.initializer(dq.inputs[1])->data<float>()[0], 1.0f / 2048);
  auto y = ref::run_graph(g, {{"x", ir::Tensor::from_vector<float>({1, 1, 3, 3}, kX)}});
  const std::vector<double> want = hand_conv({205.0 / 2048, -819.0 / 4096});
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(y[0].data<float>()[i], want[i], 1e-6) << i;
}

TEST(FakeQuant, QatWeightsStayFloatBehindQ) {
  ir::Graph g = tiny_conv();
  const QuantPlan plan = plan_quantization(g, scheme_by_name("tensorrt"));
  std::map<std::string, QuantParams> params;
  params["x"] = params_for_range(-7.9375f, 7.9375f, ir::DType::Int8, true);
  InsertOptions o;
  o.fold_weights = false;
  insert_qdq(g, plan, params, o);
  ir::validate(g);
  ir::infer_shapes(g);
  EXPECT_EQ(test::count_ops(g, "QuantizeLinear"), 2);  // x and W
  EXPECT_EQ(g.initializer("W")->dtype(), ir::DType::Float32);
  auto y = ref::run_graph(g, {{"x", ir::Tensor::from_vector<float>({1, 1, 3, 3}, kX)}});
  const std::vector<double> want = hand_conv({0.1, -0.2});
  for (int i = 0; i < 8; ++i) EXPECT_NEAR(y[0].data<float>()[i], want[i], 1e-6) << i;
}

TEST(Rounding, TiesToEvenAndSaturation) {
  EXPECT_EQ(ref::quantize_value(2.5f, 1.0f, 0, -128, 127), 2);
  EXPECT_EQ(ref::quantize_value(3.5f, 1.0f, 0, -128, 127), 4);
  EXPECT_EQ(ref::quantize_value(-2.5f, 1.0f, 0, -128, 127), -2);
  EXPECT_EQ(ref::quantize_value(0.5f, 1.0f, 10, 0, 255), 10);
  EXPECT_EQ(ref::quantize_value(200.0f, 1.0f, 0, -128, 127), 127);
  EXPECT_EQ(ref::quantize_value(-1.0f, 0.01f, 0, 0, 255), 0);
}

TEST(Params, HandComputedScalesAndZeroPoints) {
  QuantParams p = params_for_range(-1.0f, 3.0f, ir::DType::UInt8, false);
  EXPECT_FLOAT_EQ(p.scale[0], 4.0f / 255);
  EXPECT_EQ(p.zero_point[0], 64);  // round(0 + 1 / (4/255)) = round(63.75)
  p = params_for_range(0.0f, 6.0f, ir::DType::Int8, false);
  EXPECT_FLOAT_EQ(p.scale[0], 6.0f / 255);
  EXPECT_EQ(p.zero_point[0], -128);                           // a Relu range: zero at qmin
  p = params_for_range(0.5f, 2.0f, ir::DType::UInt8, false);  // widened to hold 0
  EXPECT_FLOAT_EQ(p.scale[0], 2.0f / 255);
  EXPECT_EQ(p.zero_point[0], 0);
  p = params_for_range(-2.0f, 1.0f, ir::DType::Int8, true);
  EXPECT_FLOAT_EQ(p.scale[0], 2.0f / 127);
  EXPECT_EQ(p.zero_point[0], 0);
  p = params_for_range(0.0f, 0.0f, ir::DType::Int8, true);  // a dead tensor
  EXPECT_FLOAT_EQ(p.scale[0], 1.0f);
  EXPECT_THROW(params_for_range(1.0f, -1.0f, ir::DType::Int8, true), Error);
  // Depthwise layout [C, 1, kh, kw]: one scale per channel along axis 0.
  auto w = ir::Tensor::from_vector<float>({3, 1, 1, 2}, {1.27f, -0.5f, 0.0f, 0.0f, -2.54f, 0.1f});
  QuantParams wp = weight_params(w, 0);
  ASSERT_EQ(wp.scale.size(), 3u);
  EXPECT_FLOAT_EQ(wp.scale[0], 0.01f);
  EXPECT_FLOAT_EQ(wp.scale[1], 1.0f);  // an all-zero channel
  EXPECT_FLOAT_EQ(wp.scale[2], 0.02f);
}

// The weight DequantizeLinear of the tiny conv, to corrupt.
ir::Node& weight_dq(ir::Graph& g) {
  return g.nodes[g.producer(g.nodes[g.find_node("conv")].inputs[1])];
}

TEST(ValidateQdq, RejectsBadScalesZeroPointsAndAxes) {
  auto expect_error = [](const ir::Graph& g, const std::string& what) {
    try {
      validate_qdq(g);
      ADD_FAILURE() << "no error, expected: " << what;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
      EXPECT_NE(std::string(e.what()).find("DequantizeLinear 'W_DequantizeLinear'"),
                std::string::npos)
          << e.what();
    }
  };
  {
    ir::Graph g = quantized_tiny_conv("tensorrt");
    g.initializers[weight_dq(g).inputs[1]] = ir::Tensor::from_vector<float>({2}, {0.01f, 0.0f});
    expect_error(g, "has value 0 at index 1; scales must be finite and positive");
  }
  {
    ir::Graph g = quantized_tiny_conv("tensorrt");
    g.initializers[weight_dq(g).inputs[1]] = ir::Tensor::from_vector<float>({2}, {-0.01f, 0.1f});
    expect_error(g, "has value -0.01");
  }
  {
    ir::Graph g = quantized_tiny_conv("tensorrt");
    g.initializers[weight_dq(g).inputs[2]] = ir::Tensor(ir::DType::UInt8, {2});
    expect_error(g, "zero point 'W_zero_point' is uint8 but input 'W_quantized' is int8");
  }
  {
    ir::Graph g = quantized_tiny_conv("tensorrt");
    const ir::Node& dq = weight_dq(g);
    g.initializers[dq.inputs[1]] = ir::Tensor::from_vector<float>({3}, {0.1f, 0.1f, 0.1f});
    g.initializers[dq.inputs[2]] = ir::Tensor(ir::DType::Int8, {3});
    expect_error(g, "per-axis scale 'W_scale' has 3 values but axis 0");
  }
  {
    ir::Graph g = quantized_tiny_conv("tensorrt");
    g.initializers[weight_dq(g).inputs[2]] = ir::Tensor(ir::DType::Int8, {1});
    expect_error(g, "zero point 'W_zero_point' has shape [1]");
  }
  EXPECT_NO_THROW(validate_qdq(quantized_tiny_conv("onnxruntime")));
}

}  // namespace
}  // namespace qcv::quant
