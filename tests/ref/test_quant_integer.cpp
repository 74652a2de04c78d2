// ConvInteger, MatMulInteger and DynamicQuantizeLinear on the zero-point forms and edge cases that
// ONNX's conformance data leaves out (per-row, per-column and per-channel zero points, int8
// inputs, an all-zero dynamic range), against values computed by hand.
#include "ref_test_util.h"

namespace qcv::ref::test {
namespace {

using ir::Tensor;

TEST(RefMatMulInteger, PerRowAndPerColumnZeroPoints) {
  // A [2,2] uint8 with row zero points {1, 2}; B [2,3] uint8 with column zero points {0, 1, 2}.
  Tensor a = Tensor::from_vector<uint8_t>({2, 2}, {3, 5, 4, 2});
  Tensor b = Tensor::from_vector<uint8_t>({2, 3}, {1, 2, 3, 4, 5, 6});
  Tensor az = Tensor::from_vector<uint8_t>({2}, {1, 2});
  Tensor bz = Tensor::from_vector<uint8_t>({3}, {0, 1, 2});
  // A - az = [[2, 4], [2, 0]]; B - bz = [[1, 1, 1], [4, 4, 4]].
  auto y = run(make_node("MatMulInteger", 4), {a, b, az, bz});
  expect_values<int32_t>(y[0], {2, 3}, {18, 18, 18, 2, 2, 2});
}

TEST(RefMatMulInteger, Int8BatchedWithNdZeroPoints) {
  // A [2,1,2] int8 with zero points [2,1,1]; B [2,1] int8 per tensor, broadcast over the batch.
  Tensor a = Tensor::from_vector<int8_t>({2, 1, 2}, {-3, 4, 10, -128});
  Tensor b = Tensor::from_vector<int8_t>({2, 1}, {127, -1});
  Tensor az = Tensor::from_vector<int8_t>({2, 1, 1}, {-1, 0});
  Tensor bz = Tensor::scalar<int8_t>(-1);
  // batch 0: [-2, 5] . [128, 0] = -256; batch 1: [10, -128] . [128, 0] = 1280.
  auto y = run(make_node("MatMulInteger", 4), {a, b, az, bz});
  expect_values<int32_t>(y[0], {2, 1, 1}, {-256, 1280});
}

TEST(RefMatMulInteger, NoZeroPointsAndVectorOperands) {
  Tensor a = Tensor::from_vector<uint8_t>({3}, {255, 255, 255});
  Tensor b = Tensor::from_vector<uint8_t>({3, 2}, {255, 1, 255, 2, 255, 3});
  auto y = run(make_node("MatMulInteger", 2), {a, b});
  expect_values<int32_t>(y[0], {2}, {3 * 255 * 255, 255 * 6});
}

TEST(RefConvInteger, PerChannelWeightZeroPointsAndGroups) {
  // x [1,2,2,2] uint8, zero point 10; w [2,1,1,1] int8 (group 2), zero points {1, -1}.
  Tensor x = Tensor::from_vector<uint8_t>({1, 2, 2, 2}, {10, 11, 12, 13, 0, 20, 255, 10});
  Tensor w = Tensor::from_vector<int8_t>({2, 1, 1, 1}, {3, -2});
  Tensor xz = Tensor::scalar<uint8_t>(10);
  Tensor wz = Tensor::from_vector<int8_t>({2}, {1, -1});
  ir::Node n = make_node("ConvInteger", 4);
  n.attrs["group"] = int64_t{2};
  // channel 0: (x - 10) * 2 = {0, 2, 4, 6}; channel 1: (x - 10) * -1 = {10, -10, -245, 0}.
  auto y = run(n, {x, w, xz, wz});
  expect_values<int32_t>(y[0], {1, 2, 2, 2}, {0, 2, 4, 6, 10, -10, -245, 0});
}

TEST(RefConvInteger, StridedPaddedWithoutZeroPoints) {
  Tensor x = Tensor::from_vector<uint8_t>({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor w = Tensor::from_vector<uint8_t>({1, 1, 2, 2}, {1, 2, 3, 4});
  ir::Node n = make_node("ConvInteger", 2);
  n.attrs["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  n.attrs["strides"] = std::vector<int64_t>{2, 2};
  // Windows at padded rows/cols 0 and 2; taps on the padding add nothing.
  auto y = run(n, {x, w});
  expect_values<int32_t>(y[0], {1, 1, 2, 2},
                         {1 * 4, 2 * 3 + 3 * 4, 4 * 2 + 7 * 4, 5 * 1 + 6 * 2 + 8 * 3 + 9 * 4});
}

TEST(RefDynamicQuantizeLinear, AllZeroInputGivesZeroScale) {
  Tensor x = Tensor::from_vector<float>({3}, {0, 0, 0});
  auto y = run(make_node("DynamicQuantizeLinear", 1, 3), {x});
  expect_values<uint8_t>(y[0], {3}, {0, 0, 0});
  expect_floats(y[1], {}, {0.f});
  expect_values<uint8_t>(y[2], {}, {0});
}

TEST(RefDynamicQuantizeLinear, PositiveRangeIncludesZero) {
  // Range [0, 5.1]: scale 0.02, zero point 0.
  Tensor x = Tensor::from_vector<float>({3}, {1.0f, 5.1f, -0.0f});
  auto y = run(make_node("DynamicQuantizeLinear", 1, 3), {x});
  expect_floats(y[1], {}, {5.1f / 255.f}, 0.f);
  expect_values<uint8_t>(y[2], {}, {0});
  EXPECT_EQ(y[0].data<uint8_t>()[0], 50);
  EXPECT_EQ(y[0].data<uint8_t>()[1], 255);
  EXPECT_EQ(y[0].data<uint8_t>()[2], 0);
}

}  // namespace
}  // namespace qcv::ref::test
