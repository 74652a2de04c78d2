// Edge cases of the elementwise math kernels that ONNX's node tests do not reach, with values
// worked out by hand from ONNX's definitions: integer wrap-around, rounding halves to even,
// NaN propagation, shifts by the full width, broadcasting slopes and conditions.
#include <cmath>
#include <limits>

#include "ref_test_util.h"

namespace qcv::ref::test {
namespace {

template <typename T>
ir::Tensor vec(const std::vector<T>& v) {
  return ir::Tensor::from_vector<T>({static_cast<int64_t>(v.size())}, v);
}

ir::Tensor run1(const std::string& op, const std::vector<ir::Tensor>& in,
                std::map<std::string, ir::Attribute> attrs = {}) {
  ir::Node n = make_node(op, in.size());
  n.attrs = std::move(attrs);
  return run(n, in).at(0);
}

TEST(MathKernels, IntegerNegAbsWrapLikeNumpy) {
  expect_values<int8_t>(run1("Neg", {vec<int8_t>({-128, -1, 0, 127})}), {4}, {-128, 1, 0, -127});
  expect_values<int8_t>(run1("Abs", {vec<int8_t>({-128, -7, 5})}), {3}, {-128, 7, 5});
  expect_values<uint16_t>(run1("Abs", {vec<uint16_t>({65535, 0})}), {2}, {65535, 0});
}

TEST(MathKernels, RoundHalvesToEvenInFloat64) {
  expect_values<double>(run1("Round", {vec<double>({-2.5, -1.5, -0.5, 0.5, 1.5, 2.5, 2.51})}), {7},
                        {-2, -2, -0.0, 0, 2, 2, 3});
}

TEST(MathKernels, UnsignedAndNarrowArithmeticWraps) {
  expect_values<uint16_t>(run1("Mul", {vec<uint16_t>({65535, 300}), vec<uint16_t>({65535, 300})}),
                          {2}, {1, 24464});  // 65535^2 = 1 mod 2^16; 90000 - 65536
  expect_values<uint8_t>(run1("Sub", {vec<uint8_t>({1}), vec<uint8_t>({2})}), {1}, {255});
  expect_values<int8_t>(run1("Sum", {vec<int8_t>({100}), vec<int8_t>({100}), vec<int8_t>({-1})}),
                        {1}, {-57});  // 199 wraps to -57
}

TEST(MathKernels, PowIntegerExponents) {
  expect_values<int64_t>(
      run1("Pow", {vec<int64_t>({3, -2, 2, -1, 1}), vec<int64_t>({4, 3, -1, -3, -5})}), {5},
      {81, -8, 0, -1, 1});
  // Float base, integer exponent: a negative base is fine.
  expect_floats(run1("Pow", {vec<float>({-2.f, 0.5f}), vec<int32_t>({3, -2})}), {2}, {-8.f, 4.f});
  // Integer base, float exponent: the result truncates to the base's type.
  expect_values<int32_t>(run1("Pow", {vec<int32_t>({2, 10}), vec<float>({0.5f, 0.5f})}), {2},
                         {1, 3});
}

TEST(MathKernels, ModSignConventions) {
  // fmod=0: the sign of the divisor (Python); fmod=1: the sign of the dividend (C).
  expect_values<int32_t>(run1("Mod", {vec<int32_t>({-7, 7, -7, 7}), vec<int32_t>({3, -3, -3, 3})}),
                         {4}, {2, -2, -1, 1});
  expect_values<int32_t>(
      run1("Mod", {vec<int32_t>({-7, 7}), vec<int32_t>({3, -3})}, {{"fmod", int64_t{1}}}), {2},
      {-1, 1});
  expect_floats(
      run1("Mod", {vec<float>({-7.5f, 7.5f}), vec<float>({2.f, -2.f})}, {{"fmod", int64_t{1}}}),
      {2}, {-1.5f, 1.5f});
  expect_floats(run1("Mod", {vec<float>({-7.5f, 7.5f}), vec<float>({2.f, -2.f})}), {2},
                {0.5f, -0.5f});
  EXPECT_THROW(run1("Mod", {vec<int32_t>({1}), vec<int32_t>({0})}), Error);
}

TEST(MathKernels, BitShiftByTheFullWidthGivesZero) {
  expect_values<uint8_t>(run1("BitShift", {vec<uint8_t>({255, 1, 128}), vec<uint8_t>({8, 7, 9})},
                              {{"direction", std::string("LEFT")}}),
                         {3}, {0, 128, 0});
  expect_values<uint32_t>(
      run1("BitShift", {vec<uint32_t>({0x80000000u, 16}), vec<uint32_t>({31, 32})},
           {{"direction", std::string("RIGHT")}}),
      {2}, {1, 0});
}

TEST(MathKernels, MinMaxPropagateNaN) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  ir::Tensor mx = run1("Max", {vec<float>({nan, 1.f, 2.f}), vec<float>({0.f, nan, 1.f})});
  std::vector<float> v = mx.to_float_vector();
  EXPECT_TRUE(std::isnan(v[0]));
  EXPECT_TRUE(std::isnan(v[1]));
  EXPECT_EQ(v[2], 2.f);
}

TEST(MathKernels, ReluClipShrinkOnIntegers) {
  expect_values<int32_t>(run1("Relu", {vec<int32_t>({-5, 0, 7})}), {3}, {0, 0, 7});
  ir::Node clip = make_node("Clip", 3);
  clip.inputs[1] = "";  // no lower bound
  expect_values<uint8_t>(
      run(clip, {vec<uint8_t>({0, 9, 200}), ir::Tensor(), ir::Tensor::scalar<uint8_t>(10)}).at(0),
      {3}, {0, 9, 10});
  expect_values<int16_t>(
      run1("Shrink", {vec<int16_t>({-3, -1, 0, 1, 3})}, {{"lambd", 1.5f}, {"bias", 1.f}}), {5},
      {-2, 0, 0, 0, 2});
}

TEST(MathKernels, PReluSlopePerChannelAndWhereBroadcast) {
  // X [1,2,2], slope [2,1]: channel 0 slope 0.5, channel 1 slope -1.
  ir::Tensor x = ir::Tensor::from_vector<float>({1, 2, 2}, {-2.f, 3.f, -4.f, 5.f});
  ir::Tensor s = ir::Tensor::from_vector<float>({2, 1}, {0.5f, -1.f});
  expect_floats(run1("PRelu", {x, s}), {1, 2, 2}, {-1.f, 3.f, 4.f, 5.f});
  ir::Tensor c = ir::Tensor::from_vector<bool>({2, 1}, {true, false});
  ir::Tensor a = vec<int64_t>({1, 2, 3});
  ir::Tensor b = ir::Tensor::scalar<int64_t>(-9);
  expect_values<int64_t>(run1("Where", {c, a, b}), {2, 3}, {1, 2, 3, -9, -9, -9});
}

TEST(MathKernels, IsInfDetectionFlagsAndComparisonsOnBool) {
  const float inf = std::numeric_limits<float>::infinity();
  ir::Tensor x = vec<float>({inf, -inf, 1.f, std::nanf("")});
  expect_values<bool>(run1("IsInf", {x}, {{"detect_positive", int64_t{0}}}), {4},
                      {false, true, false, false});
  expect_values<bool>(run1("IsInf", {x}, {{"detect_negative", int64_t{0}}}), {4},
                      {true, false, false, false});
  expect_values<bool>(run1("Equal", {vec<bool>({true, false}), vec<bool>({true, true})}), {2},
                      {true, false});
}

TEST(MathKernels, TypeErrorsNameTheNode) {
  try {
    run1("Sqrt", {vec<int32_t>({4})});
    FAIL() << "Sqrt accepted int32";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("Sqrt_under_test"), std::string::npos) << e.what();
  }
  EXPECT_THROW(run1("And", {vec<int32_t>({1}), vec<int32_t>({1})}), Error);
  EXPECT_THROW(run1("Add", {vec<float>({1.f}), vec<double>({1.0})}), Error);
}

}  // namespace
}  // namespace qcv::ref::test
