// Reference kernels of the tensor family on cases ONNX's node tests do not cover, against values
// worked by hand from the ONNX definitions (and numpy's documented behaviour where ONNX defers
// to it: reflect padding past the edge, float->int truncation).
#include <climits>

#include "ref_test_util.h"

using namespace qcv;
using namespace qcv::ref::test;

namespace {
ir::Tensor i64(std::vector<int64_t> v) {
  return ir::Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v);
}
ir::Tensor f32(ir::Shape s, std::vector<float> v) {
  return ir::Tensor::from_vector<float>(std::move(s), v);
}
}  // namespace

TEST(RefTensorOps, PadReflectPastTheEdgeRepeats) {
  ir::Node n = make_node("Pad", 2);
  n.attrs["mode"] = std::string("reflect");
  auto y = run(n, {f32({3}, {1, 2, 3}), i64({4, 4})});
  expect_floats(y[0], {11}, {1, 2, 3, 2, 1, 2, 3, 2, 1, 2, 3});  // np.pad(.., 4, 'reflect')
}

TEST(RefTensorOps, PadEdgeWithNegativePadsCrops) {
  ir::Node n = make_node("Pad", 2);
  n.attrs["mode"] = std::string("edge");
  auto y = run(n, {f32({2, 3}, {1, 2, 3, 4, 5, 6}), i64({1, -1, 0, 1})});
  expect_floats(y[0], {3, 3}, {2, 3, 3, 2, 3, 3, 5, 6, 6});
}

TEST(RefTensorOps, PadConstantValueConvertsToInputType) {
  ir::Node n = make_node("Pad", 3);
  auto y = run(
      n, {ir::Tensor::from_vector<int32_t>({2}, {5, 6}), i64({1, 2}), ir::Tensor::scalar(-3.0f)});
  expect_values<int32_t>(y[0], {5}, {-3, 5, 6, -3, -3});
}

TEST(RefTensorOps, CastTruncatesTowardZeroAndSaturates) {
  ir::Node n = make_node("Cast", 1);
  n.attrs["to"] = int64_t{6};  // int32
  auto y = run(n, {f32({5}, {-2.7f, 3.9f, -0.5f, 1e10f, -1e10f})});
  expect_values<int32_t>(y[0], {5}, {-2, 3, 0, INT32_MAX, INT32_MIN});
  n.attrs["to"] = int64_t{2};  // uint8 from float64
  y = run(n, {ir::Tensor::from_vector<double>({2}, {255.9, 3.2})});
  expect_values<uint8_t>(y[0], {2}, {255, 3});
  n.attrs["to"] = int64_t{9};  // bool from int64
  y = run(n, {i64({0, -4, 7})});
  expect_values<bool>(y[0], {3}, {false, true, true});
  n.attrs["to"] = int64_t{11};  // float64 from uint64
  y = run(n, {ir::Tensor::from_vector<uint64_t>({1}, {uint64_t{1} << 60})});
  expect_values<double>(y[0], {1}, {static_cast<double>(uint64_t{1} << 60)});
}

TEST(RefTensorOps, SliceFullReverseWithExtremeBounds) {
  ir::Node n = make_node("Slice", 5);
  auto y = run(n, {f32({2, 3}, {1, 2, 3, 4, 5, 6}), i64({LLONG_MAX, -1}),
                   i64({LLONG_MIN, LLONG_MIN}), i64({1, 0}), i64({-1, -1})});
  expect_floats(y[0], {2, 3}, {6, 5, 4, 3, 2, 1});  // rows and columns reversed
}

TEST(RefTensorOps, SplitUnevenAndExpandTile) {
  ir::Node s = make_node("Split", 2, 2);
  s.attrs["axis"] = int64_t{1};
  auto parts = run(s, {f32({2, 3}, {1, 2, 3, 4, 5, 6}), i64({2, 1})});
  expect_floats(parts[0], {2, 2}, {1, 2, 4, 5});
  expect_floats(parts[1], {2, 1}, {3, 6});
  auto e = run(make_node("Expand", 2), {f32({3}, {1, 2, 3}), i64({2, 1})});
  expect_floats(e[0], {2, 3}, {1, 2, 3, 1, 2, 3});
  auto t = run(make_node("Tile", 2), {f32({1, 2}, {1, 2}), i64({2, 0})});
  expect_floats(t[0], {2, 0}, {});
  t = run(make_node("Tile", 2), {f32({1, 2}, {1, 2}), i64({2, 2})});
  expect_floats(t[0], {2, 4}, {1, 2, 1, 2, 1, 2, 1, 2});
}

TEST(RefTensorOps, GatherScatterNdAndElements) {
  ir::Node g = make_node("GatherND", 2);
  g.attrs["batch_dims"] = int64_t{1};
  // data [2, 2, 2], one index per batch: batch 0 takes row 1 = [2, 3], batch 1 row -2 = [4, 5].
  auto y = run(g, {f32({2, 2, 2}, {0, 1, 2, 3, 4, 5, 6, 7}), i64({1, -2}).reshaped({2, 1})});
  expect_floats(y[0], {2, 2}, {2, 3, 4, 5});
  ir::Node s = make_node("ScatterND", 3);
  s.attrs["reduction"] = std::string("mul");
  y = run(s, {f32({4}, {1, 2, 3, 4}), i64({1, 1, -1}).reshaped({3, 1}), f32({3}, {5, 2, 10})});
  expect_floats(y[0], {4}, {1, 20, 3, 40});
  ir::Node se = make_node("ScatterElements", 3);
  se.attrs["axis"] = int64_t{1};
  se.attrs["reduction"] = std::string("add");
  y = run(se, {f32({2, 3}, {0, 0, 0, 1, 1, 1}), i64({-1, -1, 0, 2}).reshaped({2, 2}),
               f32({2, 2}, {1, 2, 3, 4})});
  expect_floats(y[0], {2, 3}, {0, 0, 3, 4, 1, 5});
  ir::Node ge = make_node("GatherElements", 2);
  EXPECT_THROW(run(ge, {f32({2}, {1, 2}), i64({2})}), Error);  // out of range
}

TEST(RefTensorOps, CumSumExclusiveReverseInt32) {
  ir::Node n = make_node("CumSum", 2);
  n.attrs["exclusive"] = int64_t{1};
  n.attrs["reverse"] = int64_t{1};
  auto y = run(n, {ir::Tensor::from_vector<int32_t>({2, 3}, {1, 2, 3, 4, 5, 6}),
                   ir::Tensor::scalar<int32_t>(-1)});
  expect_values<int32_t>(y[0], {2, 3}, {5, 3, 0, 11, 6, 0});
}

TEST(RefTensorOps, UniqueColumnsUint8) {
  // Columns (3,0), (1,2), (3,0), (1,5); sorted: (1,2), (1,5), (3,0).
  ir::Node n = make_node("Unique", 1, 4);
  n.attrs["axis"] = int64_t{1};
  auto y = run(n, {ir::Tensor::from_vector<uint8_t>({2, 4}, {3, 1, 3, 1, 0, 2, 0, 5})});
  expect_values<uint8_t>(y[0], {2, 3}, {1, 1, 3, 2, 5, 0});
  expect_values<int64_t>(y[1], {3}, {1, 3, 0});
  expect_values<int64_t>(y[2], {4}, {2, 0, 2, 1});
  expect_values<int64_t>(y[3], {3}, {1, 1, 2});
}

TEST(RefTensorOps, OneHotFloatDepthNegativeAndOutOfRangeIndices) {
  ir::Node n = make_node("OneHot", 3);
  auto y = run(n, {i64({0, -1, 5}), ir::Tensor::scalar(3.0f),
                   ir::Tensor::from_vector<int32_t>({2}, {0, 1})});
  expect_values<int32_t>(y[0], {3, 3}, {1, 0, 0, 0, 0, 1, 0, 0, 0});
}

TEST(RefTensorOps, RangeEyeLikeTriluReverseSequence) {
  auto r = run(make_node("Range", 3),
               {ir::Tensor::scalar(1.0f), ir::Tensor::scalar(-1.0f), ir::Tensor::scalar(-0.5f)});
  expect_floats(r[0], {4}, {1, 0.5f, 0, -0.5f});
  ir::Node eye = make_node("EyeLike", 1);
  eye.attrs["k"] = int64_t{-1};
  auto e = run(eye, {ir::Tensor(ir::DType::Int64, {3, 3})});
  expect_values<int64_t>(e[0], {3, 3}, {0, 0, 0, 1, 0, 0, 0, 1, 0});
  ir::Node tri = make_node("Trilu", 2);
  tri.attrs["upper"] = int64_t{0};
  auto t = run(tri, {f32({2, 2, 2}, {1, 2, 3, 4, 5, 6, 7, 8}), ir::Tensor::scalar<int64_t>(-1)});
  expect_floats(t[0], {2, 2, 2}, {0, 0, 3, 0, 0, 0, 7, 0});
  ir::Node rs = make_node("ReverseSequence", 2);
  rs.attrs["time_axis"] = int64_t{0};
  rs.attrs["batch_axis"] = int64_t{1};
  // x [time 3, batch 2, 1]; batch 0 reverses 3 steps, batch 1 reverses 2.
  auto s = run(rs, {f32({3, 2, 1}, {1, 10, 2, 20, 3, 30}), i64({3, 2})});
  expect_floats(s[0], {3, 2, 1}, {3, 20, 2, 10, 1, 30});
}

TEST(RefTensorOps, RangeInt64AtTheExtremes) {
  auto r = run(make_node("Range", 3),
               {ir::Tensor::scalar<int64_t>(LLONG_MIN), ir::Tensor::scalar<int64_t>(LLONG_MAX),
                ir::Tensor::scalar<int64_t>(LLONG_MAX)});
  expect_values<int64_t>(r[0], {3}, {LLONG_MIN, -1, LLONG_MAX - 1});
}

TEST(RefTensorOps, CastEveryPairOfDtypes) {
  // 0, 1, 7 and 100 are exact in every dtype: each pair must carry them over (bool: != 0 -> 1).
  const ir::DType all[] = {ir::DType::Float32, ir::DType::Float64, ir::DType::UInt8,
                           ir::DType::Int8,    ir::DType::UInt16,  ir::DType::Int16,
                           ir::DType::Int32,   ir::DType::UInt32,  ir::DType::Int64,
                           ir::DType::UInt64,  ir::DType::Bool};
  const std::vector<int64_t> values = {0, 1, 7, 100};
  for (ir::DType from : all) {
    ir::Tensor x(from, {4});
    for (size_t i = 0; i < values.size(); ++i) x.set_int64(static_cast<int64_t>(i), values[i]);
    for (ir::DType to : all) {
      ir::Node n = make_node("Cast", 1);
      n.attrs["to"] = static_cast<int64_t>(to);
      auto y = run(n, {x});
      ASSERT_EQ(y[0].dtype(), to);
      for (int64_t i = 0; i < 4; ++i) {
        int64_t want =
            from == ir::DType::Bool || to == ir::DType::Bool ? values[i] != 0 : values[i];
        EXPECT_EQ(y[0].as_int64(i), want)
            << ir::dtype_name(from) << " -> " << ir::dtype_name(to) << " element " << i;
      }
    }
  }
}
