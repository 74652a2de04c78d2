// QuantizeLinear / DequantizeLinear against hand-computed values: ties round to even, values
// saturate, and the scale divides (never a multiplied reciprocal).
#include "ref_test_util.h"

namespace qcv::ref::test {
namespace {

using ir::Tensor;

TEST(RefQuantizeValue, TiesRoundToEven) {
  EXPECT_EQ(quantize_value(0.5f, 1.0f, 0, -128, 127), 0);
  EXPECT_EQ(quantize_value(1.5f, 1.0f, 0, -128, 127), 2);
  EXPECT_EQ(quantize_value(2.5f, 1.0f, 0, -128, 127), 2);
  EXPECT_EQ(quantize_value(-0.5f, 1.0f, 0, -128, 127), 0);
  EXPECT_EQ(quantize_value(-1.5f, 1.0f, 0, -128, 127), -2);
  EXPECT_EQ(quantize_value(-2.5f, 1.0f, 0, -128, 127), -2);
  EXPECT_EQ(quantize_value(2.6f, 1.0f, 0, -128, 127), 3);
  // Rounding happens before the zero point is added: 0.5 -> 0, then + 128.
  EXPECT_EQ(quantize_value(0.5f, 1.0f, 128, 0, 255), 128);
  EXPECT_EQ(quantize_value(1.0f, 0.25f, 10, 0, 255), 14);
}

TEST(RefQuantizeValue, Saturates) {
  EXPECT_EQ(quantize_value(127.6f, 1.0f, 0, -128, 127), 127);
  EXPECT_EQ(quantize_value(1e9f, 1.0f, 0, -128, 127), 127);
  EXPECT_EQ(quantize_value(-129.0f, 1.0f, 0, -128, 127), -128);
  EXPECT_EQ(quantize_value(-1e30f, 1e-3f, 0, -128, 127), -128);
  EXPECT_EQ(quantize_value(-3.0f, 1.0f, 0, 0, 255), 0);
  EXPECT_EQ(quantize_value(300.0f, 1.0f, 0, 0, 255), 255);
  EXPECT_EQ(quantize_value(200.0f, 1.0f, 100, 0, 255), 255);
}

TEST(RefQuantizeValue, DividesByTheScale) {
  // In float32, x / s is exactly -32.5 (a tie, to -32) but x * (1/s) is -32.500004 (to -33).
  // Found by a numpy search; ONNX's reference computes x / s.
  EXPECT_EQ(quantize_value(-0.8567767f, 0.02636236f, 0, -128, 127), -32);
}

TEST(RefQuantizeLinear, PerTensorUint8DefaultAndInt8) {
  Tensor x = Tensor::from_vector<float>({6}, {0.5f, 1.5f, 2.5f, -0.5f, 300, -300});
  Tensor scale = Tensor::scalar<float>(1.0f);
  ir::Node n = make_node("QuantizeLinear", 2);
  // No zero point: uint8 with zero point 0.
  expect_values<uint8_t>(run(n, {x, scale})[0], {6}, {0, 2, 2, 0, 255, 0});
  ir::Node n3 = make_node("QuantizeLinear", 3);
  expect_values<int8_t>(run(n3, {x, scale, Tensor::scalar<int8_t>(0)})[0], {6},
                        {0, 2, 2, 0, 127, -128});
  expect_values<uint8_t>(run(n3, {x, scale, Tensor::scalar<uint8_t>(128)})[0], {6},
                         {128, 130, 130, 128, 255, 0});
}

TEST(RefQuantizeLinear, PerAxisUsesTheChannelScale) {
  // x [2,3] quantized along axis 1: scales 1, 2, 4 and zero points 0, 1, -1.
  Tensor x = Tensor::from_vector<float>({2, 3}, {4, 4, 4, -8, 5, 6});
  Tensor scale = Tensor::from_vector<float>({3}, {1, 2, 4});
  Tensor zp = Tensor::from_vector<int8_t>({3}, {0, 1, -1});
  ir::Node n = make_node("QuantizeLinear", 3);
  n.attrs["axis"] = int64_t{1};
  // 4/1=4; 4/2=2 +1=3; 4/4=1 -1=0; -8; 5/2=2.5->2 +1=3; 6/4=1.5->2 -1=1.
  expect_values<int8_t>(run(n, {x, scale, zp})[0], {2, 3}, {4, 3, 0, -8, 3, 1});
}

TEST(RefDequantizeLinear, PerTensorPerAxisAndInt32) {
  ir::Node n = make_node("DequantizeLinear", 3);
  Tensor q = Tensor::from_vector<uint8_t>({4}, {0, 128, 129, 255});
  expect_floats(run(n, {q, Tensor::scalar<float>(0.5f), Tensor::scalar<uint8_t>(128)})[0], {4},
                {-64, 0, 0.5f, 63.5f});

  ir::Node per_axis = make_node("DequantizeLinear", 3);
  per_axis.attrs["axis"] = int64_t{0};
  Tensor q8 = Tensor::from_vector<int8_t>({2, 2}, {-128, 127, 10, 20});
  Tensor scale = Tensor::from_vector<float>({2}, {1, 0.1f});
  Tensor zp = Tensor::from_vector<int8_t>({2}, {0, 10});
  expect_floats(run(per_axis, {q8, scale, zp})[0], {2, 2}, {-128, 127, 0, 1});

  ir::Node bias = make_node("DequantizeLinear", 2);
  Tensor q32 = Tensor::from_vector<int32_t>({2}, {-1000, 123456});
  expect_floats(run(bias, {q32, Tensor::scalar<float>(0.001f)})[0], {2}, {-1, 123.456f}, 1e-4f);
}

TEST(RefQuantize, RoundTripStaysWithinHalfAStep) {
  // Independent check of the pair: |dequant(quant(x)) - x| <= scale / 2 inside the range.
  const float scale = 0.037f;
  ir::Node qn = make_node("QuantizeLinear", 3), dn = make_node("DequantizeLinear", 3);
  std::vector<float> values;
  for (int i = -300; i <= 300; ++i) values.push_back(static_cast<float>(i) * 0.0123f);
  Tensor x = Tensor::from_vector<float>({static_cast<int64_t>(values.size())}, values);
  Tensor s = Tensor::scalar<float>(scale), zp = Tensor::scalar<int8_t>(3);
  Tensor q = run(qn, {x, s, zp})[0];
  Tensor back = run(dn, {q, s, zp})[0];
  for (size_t i = 0; i < values.size(); ++i)
    EXPECT_LE(std::abs(back.data<float>()[i] - values[i]), scale / 2 + 1e-6f) << values[i];
}

TEST(RefQuantizeLinear, BadParametersThrowNamingTheNode) {
  ir::Node n = make_node("QuantizeLinear", 2);
  n.attrs["axis"] = int64_t{0};
  Tensor x = Tensor::from_vector<float>({2, 2}, {1, 2, 3, 4});
  Tensor scale = Tensor::from_vector<float>({3}, {1, 1, 1});
  try {
    run(n, {x, scale});
    FAIL() << "expected qcv::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("QuantizeLinear_under_test"), std::string::npos)
        << e.what();
  }
}

}  // namespace
}  // namespace qcv::ref::test
