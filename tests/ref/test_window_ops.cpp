// Hand-computed Conv and pooling cases (values worked out on paper in the comments).
#include "ref_test_util.h"

namespace qcv::ref::test {
namespace {

using ir::Tensor;

TEST(RefConv, PaddedStridedTwoByTwoByHand) {
  // Input 3x3 = 1..9 zero-padded by 1 to 5x5, kernel [[1,2],[3,4]], stride 2, bias 0.5:
  //   (0,0) window [[0,0],[0,1]] -> 4      (0,1) [[0,0],[2,3]] -> 6+12 = 18
  //   (1,0) [[0,4],[0,7]] -> 8+28 = 36     (1,1) [[5,6],[8,9]] -> 5+12+24+36 = 77
  ir::Node n = make_node("Conv", 3);
  n.attrs["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  n.attrs["strides"] = std::vector<int64_t>{2, 2};
  Tensor x = Tensor::from_vector<float>({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9});
  Tensor w = Tensor::from_vector<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor b = Tensor::from_vector<float>({1}, {0.5f});
  auto y = run(n, {x, w, b});
  expect_floats(y[0], {1, 1, 2, 2}, {4.5f, 18.5f, 36.5f, 77.5f});
}

TEST(RefConv, AsymmetricPadsAndDilation) {
  // Row input 1x5 = [1,2,3,4,5], kernel [1,-1] dilated by 2 (taps 2 apart), pads left 0 right 2:
  // padded [1,2,3,4,5,0,0]; out[i] = p[i] - p[i+2] for i = 0..4 -> [-2,-2,-2,4,5].
  ir::Node n = make_node("Conv", 2);
  n.attrs["pads"] = std::vector<int64_t>{0, 0, 0, 2};
  n.attrs["dilations"] = std::vector<int64_t>{1, 2};
  Tensor x = Tensor::from_vector<float>({1, 1, 1, 5}, {1, 2, 3, 4, 5});
  Tensor w = Tensor::from_vector<float>({1, 1, 1, 2}, {1, -1});
  auto y = run(n, {x, w});
  expect_floats(y[0], {1, 1, 1, 5}, {-2, -2, -2, 4, 5});
}

TEST(RefConv, DepthwiseUsesOneFilterPerChannel) {
  // group = channels = 2. ch0 [[1,2],[3,4]] * ones = 10; ch1 [[5,6],[7,8]] * [[1,0],[0,2]] = 21.
  ir::Node n = make_node("Conv", 2);
  n.attrs["group"] = int64_t{2};
  Tensor x = Tensor::from_vector<float>({1, 2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8});
  Tensor w = Tensor::from_vector<float>({2, 1, 2, 2}, {1, 1, 1, 1, 1, 0, 0, 2});
  auto y = run(n, {x, w});
  expect_floats(y[0], {1, 2, 1, 1}, {10, 21});
}

TEST(RefConv, GroupedConvolutionSumsOnlyItsGroup) {
  // 4 input channels (values 1,2,3,4 as 1x1 images), 2 groups, 1x1 kernels of ones:
  // out0 = 1+2 = 3, out1 = 3+4 = 7.
  ir::Node n = make_node("Conv", 2);
  n.attrs["group"] = int64_t{2};
  Tensor x = Tensor::from_vector<float>({1, 4, 1, 1}, {1, 2, 3, 4});
  Tensor w = Tensor::from_vector<float>({2, 2, 1, 1}, {1, 1, 1, 1});
  expect_floats(run(n, {x, w})[0], {1, 2, 1, 1}, {3, 7});
}

TEST(RefConv, SameUpperPutsTheOddPadAtTheEnd) {
  // Input 1x4 [1,2,3,4], kernel [1,1], stride 1, SAME_UPPER: total pad 1, at the end:
  // [1,2,3,4,0] -> [3,5,7,4]. SAME_LOWER pads at the start: [0,1,2,3,4] -> [1,3,5,7].
  Tensor x = Tensor::from_vector<float>({1, 1, 1, 4}, {1, 2, 3, 4});
  Tensor w = Tensor::from_vector<float>({1, 1, 1, 2}, {1, 1});
  ir::Node n = make_node("Conv", 2);
  n.attrs["auto_pad"] = std::string("SAME_UPPER");
  expect_floats(run(n, {x, w})[0], {1, 1, 1, 4}, {3, 5, 7, 4});
  n.attrs["auto_pad"] = std::string("SAME_LOWER");
  expect_floats(run(n, {x, w})[0], {1, 1, 1, 4}, {1, 3, 5, 7});
}

TEST(RefMaxPool, CeilModeAddsAPartialWindow) {
  // 4x4 = 1..16, kernel 3, stride 2. Floor mode: one window (max 11). Ceil mode: 2x2 windows
  // rows/cols {0-2, 2-3}: maxima 11, 12, 15, 16.
  Tensor x(ir::DType::Float32, {1, 1, 4, 4});
  for (int i = 0; i < 16; ++i) x.data<float>()[i] = static_cast<float>(i + 1);
  ir::Node n = make_node("MaxPool", 1);
  n.attrs["kernel_shape"] = std::vector<int64_t>{3, 3};
  n.attrs["strides"] = std::vector<int64_t>{2, 2};
  expect_floats(run(n, {x})[0], {1, 1, 1, 1}, {11});
  n.attrs["ceil_mode"] = int64_t{1};
  expect_floats(run(n, {x})[0], {1, 1, 2, 2}, {11, 12, 15, 16});
}

TEST(RefMaxPool, PaddingNeverWinsAndIndicesAreFlat) {
  // All-negative input: the zero padding must not be taken as the maximum.
  // 2 channels of 2x2, kernel 2, pads 1 (out 3x3); indices count across channels.
  Tensor x = Tensor::from_vector<float>({1, 2, 2, 2}, {-1, -2, -3, -4, -5, -6, -7, -8});
  ir::Node n = make_node("MaxPool", 1, 2);
  n.attrs["kernel_shape"] = std::vector<int64_t>{2, 2};
  n.attrs["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  auto y = run(n, {x});
  expect_floats(y[0], {1, 2, 3, 3},
                {-1, -1, -2, -1, -1, -2, -3, -3, -4, -5, -5, -6, -5, -5, -6, -7, -7, -8});
  expect_values<int64_t>(y[1], {1, 2, 3, 3},
                         {0, 0, 1, 0, 0, 1, 2, 2, 3, 4, 4, 5, 4, 4, 5, 6, 6, 7});
}

TEST(RefAveragePool, CountIncludePadChangesTheDivisor) {
  // 2x2 [[1,2],[3,4]], kernel 2, pads 1 -> 3x3 windows. Including the padding every window
  // divides by 4; excluding it, by the number of real elements.
  Tensor x = Tensor::from_vector<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  ir::Node n = make_node("AveragePool", 1);
  n.attrs["kernel_shape"] = std::vector<int64_t>{2, 2};
  n.attrs["pads"] = std::vector<int64_t>{1, 1, 1, 1};
  expect_floats(run(n, {x})[0], {1, 1, 3, 3}, {1, 1.5f, 2, 2, 2.5f, 3, 3, 3.5f, 4});
  n.attrs["count_include_pad"] = int64_t{1};
  expect_floats(run(n, {x})[0], {1, 1, 3, 3}, {0.25f, 0.75f, 0.5f, 1, 2.5f, 1.5f, 0.75f, 1.75f, 1});
}

TEST(RefGlobalAveragePool, AveragesEachPlane) {
  Tensor x = Tensor::from_vector<float>({1, 2, 2, 2}, {1, 2, 3, 4, 10, 20, 30, 40});
  expect_floats(run(make_node("GlobalAveragePool", 1), {x})[0], {1, 2, 1, 1}, {2.5f, 25});
}

TEST(RefConv, AbsurdWindowIsRefusedNotAllocated) {
  // A 1x1 input padded to 20001x20001 under a 10000x10000 kernel: the lookup table would need
  // 1e8 x 1e8 entries. The kernel must throw a qcv::Error naming the node, not exhaust memory.
  ir::Node n = make_node("MaxPool", 1);
  n.attrs["kernel_shape"] = std::vector<int64_t>{10000, 10000};
  n.attrs["pads"] = std::vector<int64_t>{10000, 10000, 10000, 10000};
  try {
    run(n, {Tensor(ir::DType::Float32, {1, 1, 1, 1})});
    FAIL() << "expected qcv::Error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("too large"), std::string::npos) << e.what();
  }
}

TEST(RefConvTranspose, ScattersTheKernelByHand) {
  // 1-D x = [1, 2], kernel [1, 1, 1], stride 2: input 0 covers outputs 0-2 with 1, input 1
  // covers outputs 2-4 with 2 -> [1, 1, 3, 2, 2]. pads [1, 1] cut one each side -> [1, 3, 2];
  // output_padding [1] adds a sixth (zero) output -> [1, 1, 3, 2, 2, 0].
  Tensor x = Tensor::from_vector<float>({1, 1, 2}, {1, 2});
  Tensor w = Tensor::from_vector<float>({1, 1, 3}, {1, 1, 1});
  ir::Node n = make_node("ConvTranspose", 2);
  n.attrs["strides"] = std::vector<int64_t>{2};
  expect_floats(run(n, {x, w})[0], {1, 1, 5}, {1, 1, 3, 2, 2});
  n.attrs["pads"] = std::vector<int64_t>{1, 1};
  expect_floats(run(n, {x, w})[0], {1, 1, 3}, {1, 3, 2});
  n.attrs.erase("pads");
  n.attrs["output_padding"] = std::vector<int64_t>{1};
  expect_floats(run(n, {x, w})[0], {1, 1, 6}, {1, 1, 3, 2, 2, 0});
}

TEST(RefConvTranspose, GroupsUseTheirOwnFilters) {
  // Two groups of one channel: x = [1] and [10], kernels [1, 2] and [3, 4], bias [0.5, -1].
  Tensor x = Tensor::from_vector<float>({1, 2, 1}, {1, 10});
  Tensor w = Tensor::from_vector<float>({2, 1, 2}, {1, 2, 3, 4});
  Tensor b = Tensor::from_vector<float>({2}, {0.5f, -1});
  ir::Node n = make_node("ConvTranspose", 3);
  n.attrs["group"] = int64_t{2};
  expect_floats(run(n, {x, w, b})[0], {1, 2, 2}, {1.5f, 2.5f, 29, 39});
}

TEST(RefLpPool, NormsOfEachWindow) {
  // Windows of 2 over [3, 4, 0]: p=2 -> [5, 4]; p=1 -> [7, 4]. GlobalLpPool p=2 of [3, 4] -> 5.
  Tensor x = Tensor::from_vector<float>({1, 1, 3}, {3, 4, 0});
  ir::Node n = make_node("LpPool", 1);
  n.attrs["kernel_shape"] = std::vector<int64_t>{2};
  expect_floats(run(n, {x})[0], {1, 1, 2}, {5, 4});
  n.attrs["p"] = int64_t{1};
  expect_floats(run(n, {x})[0], {1, 1, 2}, {7, 4});
  Tensor x2 = Tensor::from_vector<float>({1, 1, 2}, {3, -4});
  expect_floats(run(make_node("GlobalLpPool", 1), {x2})[0], {1, 1, 1}, {5});
}

TEST(RefMaxPool, ColumnMajorIndices) {
  // [[1, 5, 2], [3, 0, 6]], kernel 2x2: maxima 5 at (0, 1) and 6 at (1, 2). Row-major indices
  // 1 and 5; column-major (storage_order=1, h + w * H) 2 and 5.
  Tensor x = Tensor::from_vector<float>({1, 1, 2, 3}, {1, 5, 2, 3, 0, 6});
  ir::Node n = make_node("MaxPool", 1, 2);
  n.attrs["kernel_shape"] = std::vector<int64_t>{2, 2};
  expect_values<int64_t>(run(n, {x})[1], {1, 1, 1, 2}, {1, 5});
  n.attrs["storage_order"] = int64_t{1};
  auto y = run(n, {x});
  expect_floats(y[0], {1, 1, 1, 2}, {5, 6});
  expect_values<int64_t>(y[1], {1, 1, 1, 2}, {2, 5});
}

TEST(RefMaxPool, Int8KeepsItsType) {
  Tensor x = Tensor::from_vector<int8_t>({1, 1, 4}, {-7, -3, -9, -128});
  ir::Node n = make_node("MaxPool", 1);
  n.attrs["kernel_shape"] = std::vector<int64_t>{2};
  n.attrs["pads"] = std::vector<int64_t>{0, 1};
  expect_values<int8_t>(run(n, {x})[0], {1, 1, 4}, {-3, -3, -9, -128});
}

TEST(RefMaxUnpool, PutsValuesBackAtTheirIndices) {
  Tensor x = Tensor::from_vector<float>({1, 1, 1, 1}, {5});
  Tensor idx = Tensor::from_vector<int64_t>({1, 1, 1, 1}, {3});
  ir::Node n = make_node("MaxUnpool", 2);
  n.attrs["kernel_shape"] = std::vector<int64_t>{2, 2};
  n.attrs["strides"] = std::vector<int64_t>{2, 2};
  expect_floats(run(n, {x, idx})[0], {1, 1, 2, 2}, {0, 0, 0, 5});
  idx.data<int64_t>()[0] = 4;  // outside the 2x2 the pooling saw: an error, not a write
  EXPECT_THROW(run(n, {x, idx}), Error);
}

TEST(RefResize, LinearAsymmetricClampsAtTheEdge) {
  // [[1, 2], [3, 4]] x2, asymmetric: source = o / 2 -> 0, 0.5, 1, 1.5 (clamped to 1):
  // each row [a, (a+b)/2, b, b], and the same down the columns.
  Tensor x = Tensor::from_vector<float>({1, 1, 2, 2}, {1, 2, 3, 4});
  Tensor scales = Tensor::from_vector<float>({4}, {1, 1, 2, 2});
  ir::Node n = make_node("Resize", 3);
  n.inputs[1] = "";
  n.attrs["mode"] = std::string("linear");
  n.attrs["coordinate_transformation_mode"] = std::string("asymmetric");
  expect_floats(run(n, {x, Tensor(), scales})[0], {1, 1, 4, 4},
                {1, 1.5f, 2, 2, 2, 2.5f, 3, 3, 3, 3.5f, 4, 4, 3, 3.5f, 4, 4});
}

TEST(RefResize, UnscaledDimsAreCopiedUnderTfHalfPixelCeil) {
  // tf_half_pixel_for_nn maps x to x + 0.5 at scale 1; with ceil rounding that would read the
  // next channel. Channels stay; W x2: sources 0.25, 0.75, 1.25, 1.75 -> ceil 1, 1, 2->1, 2->1.
  Tensor x = Tensor::from_vector<float>({1, 2, 1, 2}, {1, 2, 3, 4});
  Tensor scales = Tensor::from_vector<float>({4}, {1, 1, 1, 2});
  ir::Node n = make_node("Resize", 3);
  n.inputs[1] = "";
  n.attrs["coordinate_transformation_mode"] = std::string("tf_half_pixel_for_nn");
  n.attrs["nearest_mode"] = std::string("ceil");
  expect_floats(run(n, {x, Tensor(), scales})[0], {1, 2, 1, 4}, {2, 2, 2, 2, 4, 4, 4, 4});
}

TEST(RefAveragePool, Float64AndOneDimensional) {
  // [1, 2, 3, 4] in double, windows of 2 -> [1.5, 2.5, 3.5]; the global average is 2.5.
  Tensor x = Tensor::from_vector<double>({1, 1, 4}, {1, 2, 3, 4});
  ir::Node n = make_node("AveragePool", 1);
  n.attrs["kernel_shape"] = std::vector<int64_t>{2};
  expect_values<double>(run(n, {x})[0], {1, 1, 3}, {1.5, 2.5, 3.5});
  expect_values<double>(run(make_node("GlobalAveragePool", 1), {x})[0], {1, 1, 1}, {2.5});
  expect_values<double>(run(make_node("GlobalMaxPool", 1), {x})[0], {1, 1, 1}, {4});
}

TEST(RefDepthToSpace, BothChannelOrders) {
  // 4 channels of one pixel [0, 1, 2, 3], block 2: DCR and CRD both give [[0, 1], [2, 3]] for
  // one output channel; with 8 channels DCR interleaves the two output channels, CRD does not.
  Tensor x(ir::DType::Float32, {1, 8, 1, 1});
  for (int i = 0; i < 8; ++i) x.data<float>()[i] = static_cast<float>(i);
  ir::Node n = make_node("DepthToSpace", 1);
  n.attrs["blocksize"] = int64_t{2};
  expect_floats(run(n, {x})[0], {1, 2, 2, 2}, {0, 2, 4, 6, 1, 3, 5, 7});
  n.attrs["mode"] = std::string("CRD");
  expect_floats(run(n, {x})[0], {1, 2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7});
  ir::Node s = make_node("SpaceToDepth", 1);
  s.attrs["blocksize"] = int64_t{2};
  Tensor img = Tensor::from_vector<float>({1, 1, 2, 2}, {0, 1, 2, 3});
  expect_floats(run(s, {img})[0], {1, 4, 1, 1}, {0, 1, 2, 3});
}

}  // namespace
}  // namespace qcv::ref::test
