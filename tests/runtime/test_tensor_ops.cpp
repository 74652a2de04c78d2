// Transpose and Slice as oneDNN reorders (compile_tensor.cpp) against the reference kernels and
// hand-computed values, on odd shapes, every 4-D permutation, float32/uint8/int8; and the forms
// that must fall back to the reference kernel (negative steps, int64 data).
#include <algorithm>
#include <climits>
#include <numeric>

#include "runtime_test_util.h"

using namespace qcv;
using namespace qcv::testing;
using Ints = std::vector<int64_t>;

namespace {

ir::Tensor counting(ir::DType t, const ir::Shape& shape) {
  ir::Tensor x(t, shape);
  // Distinct values where the type allows (uint8/int8 wrap, which is still a fixed pattern).
  for (int64_t i = 0; i < x.numel(); ++i)
    x.set_int64(i, (i * 37 + 11) % 251 - (t == ir::DType::Int8 ? 125 : 0));
  return x;
}

// Runs the one-input graph through a Session and the reference kernels; returns the plan text.
std::string run_both(const ir::Graph& g, const ir::Tensor& x, bool expect_equal = true) {
  runtime::Session s(g);
  std::map<std::string, ir::Tensor> feeds{{g.inputs[0].name, x}};
  std::vector<ir::Tensor> want = ref::run_graph(g, feeds);
  std::vector<ir::Tensor> got = s.run(feeds);
  EXPECT_EQ(got.size(), want.size());
  for (size_t k = 0; k < got.size() && k < want.size(); ++k) {
    EXPECT_EQ(got[k].dtype(), want[k].dtype());
    EXPECT_EQ(got[k].shape(), want[k].shape());
    if (got[k].shape() != want[k].shape() || !expect_equal) continue;
    for (int64_t i = 0; i < got[k].numel(); ++i)
      if (got[k].as_double(i) != want[k].as_double(i)) {
        ADD_FAILURE() << "element " << i << ": " << got[k].as_double(i)
                      << " != " << want[k].as_double(i);
        break;
      }
  }
  return s.describe_plan();
}

ir::Graph one_node(ir::DType t, const ir::Shape& shape, const std::string& op,
                   std::map<std::string, ir::Attribute> attrs,
                   std::vector<ir::Tensor> consts = {}) {
  GraphMaker m;
  m.g.inputs.push_back(ir::make_value("x", t, shape));
  std::vector<std::string> ins{"x"};
  for (const ir::Tensor& c : consts) ins.push_back(c.empty() ? "" : m.constant(c));
  m.output(m.node(op, ins, std::move(attrs)));
  return m.g;
}

// A Transpose of a plain value is a strided view (compile_layout.cpp: no step); otherwise a
// reorder step. Either way, not the reference kernel.
bool not_reference(const std::string& plan) {
  return plan.find("Transpose: reference") == std::string::npos;
}

ir::Tensor ints(const Ints& v) {
  return ir::Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v);
}

}  // namespace

TEST(RuntimeTensorOps, TransposeHandComputed) {
  ir::Graph g = one_node(ir::DType::Float32, {2, 3}, "Transpose", {});
  runtime::Session s(g);
  auto y = s.run({{"x", ir::Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6})}});
  ASSERT_EQ(y.size(), 1u);
  EXPECT_EQ(y[0].shape(), (ir::Shape{3, 2}));
  EXPECT_EQ(y[0].to_float_vector(), (std::vector<float>{1, 4, 2, 5, 3, 6}));
  EXPECT_TRUE(not_reference(s.describe_plan())) << s.describe_plan();
}

TEST(RuntimeTensorOps, TransposeEvery4DPermutationOddShape) {
  Ints perm{0, 1, 2, 3};
  const ir::Shape shape{3, 5, 7, 2};
  do {
    ir::Graph g = one_node(ir::DType::Float32, shape, "Transpose", {{"perm", perm}});
    std::string plan = run_both(g, random_tensor(shape, 3));
    EXPECT_TRUE(not_reference(plan)) << plan;
  } while (std::next_permutation(perm.begin(), perm.end()));
}

TEST(RuntimeTensorOps, TransposeRanks1To6) {
  const std::vector<std::pair<ir::Shape, Ints>> cases = {
      {{7}, {0}},
      {{13, 9}, {1, 0}},
      {{3, 1, 5}, {2, 0, 1}},
      {{2, 3, 1, 5, 3}, {4, 2, 0, 3, 1}},
      {{2, 3, 1, 5, 3, 2}, {5, 3, 1, 0, 4, 2}},
  };
  for (const auto& [shape, perm] : cases) {
    ir::Graph g = one_node(ir::DType::Float32, shape, "Transpose", {{"perm", perm}});
    run_both(g, random_tensor(shape, 5));
  }
  // Default perm (reversed dims).
  run_both(one_node(ir::DType::Float32, {3, 5, 7}, "Transpose", {}), random_tensor({3, 5, 7}, 9));
}

TEST(RuntimeTensorOps, TransposeUint8AndInt8) {
  for (ir::DType t : {ir::DType::UInt8, ir::DType::Int8}) {
    const ir::Shape shape{3, 7, 5, 2};
    ir::Graph g = one_node(t, shape, "Transpose", {{"perm", Ints{2, 0, 3, 1}}});
    std::string plan = run_both(g, counting(t, shape));
    EXPECT_TRUE(not_reference(plan)) << plan;
  }
}

TEST(RuntimeTensorOps, TransposeOfConvOutput) {
  // The conv's output may be in a non-plain layout (nhwc, blocked): one reorder writes the
  // transposed buffer, or none where that layout already is the transposed one.
  for (const Ints& perm : {Ints{0, 2, 3, 1}, Ints{0, 1, 3, 2}, Ints{3, 1, 0, 2}}) {
    GraphMaker m;
    auto c = m.conv(m.input("x", {3, 5, 7, 9}), 5, 19, 3, {{"pads", Ints{1, 1, 1, 1}}});
    m.output(m.node("Transpose", {c}, {{"perm", perm}}));
    runtime::Session s(m.g);
    EXPECT_LT(compare_with_ref(m.g, s, {{3, 5, 7, 9}}), 1e-5);
    EXPECT_TRUE(not_reference(s.describe_plan())) << s.describe_plan();
  }
}

TEST(RuntimeTensorOps, TransposeInt64FallsBackToReference) {
  const ir::Shape shape{3, 4, 5};
  ir::Graph g = one_node(ir::DType::Int64, shape, "Transpose", {{"perm", Ints{1, 2, 0}}});
  std::string plan = run_both(g, counting(ir::DType::Int64, shape));
  EXPECT_NE(plan.find("Transpose: reference"), std::string::npos) << plan;
}

TEST(RuntimeTensorOps, SliceHandComputed) {
  // x = 0..29 as [5, 6]; rows 1,3 (step 2), columns 4..1 would be negative: use 1..5 step 2.
  ir::Graph g = one_node(ir::DType::Float32, {5, 6}, "Slice", {},
                         {ints({1, 1}), ints({4, 6}), ints({0, 1}), ints({2, 2})});
  ir::Tensor x(ir::DType::Float32, {5, 6});
  for (int64_t i = 0; i < 30; ++i) x.set_double(i, static_cast<double>(i));
  runtime::Session s(g);
  auto y = s.run({{"x", x}});
  EXPECT_EQ(y[0].shape(), (ir::Shape{2, 3}));
  EXPECT_EQ(y[0].to_float_vector(), (std::vector<float>{7, 9, 11, 19, 21, 23}));
  EXPECT_NE(s.describe_plan().find("Slice: reorder"), std::string::npos) << s.describe_plan();
}

TEST(RuntimeTensorOps, SliceOddShapesClampedBounds) {
  const ir::Shape shape{7, 9, 5, 3};
  // Negative starts, ends past the end and INT64_MAX, steps 1..4, axes in any order.
  const std::vector<std::vector<ir::Tensor>> cases = {
      {ints({1, -8, 0}), ints({6, LLONG_MAX, 5}), ints({0, 1, 2}), ints({2, 3, 1})},
      {ints({-100, 2}), ints({100, 3}), ints({-1, 1}), ir::Tensor()},
      {ints({0}), ints({-1}), ints({2}), ints({4})},
      {ints({2, 1, 0, 1}), ints({5, 8, 4, 3}), ir::Tensor(), ir::Tensor()},
  };
  for (const auto& consts : cases) {
    for (ir::DType t : {ir::DType::Float32, ir::DType::UInt8}) {
      ir::Graph g = one_node(t, shape, "Slice", {}, consts);
      std::string plan =
          run_both(g, t == ir::DType::Float32 ? random_tensor(shape, 4) : counting(t, shape));
      EXPECT_NE(plan.find("Slice: reorder"), std::string::npos) << plan;
    }
  }
}

TEST(RuntimeTensorOps, SliceNegativeStepFallsBackToReference) {
  const ir::Shape shape{6, 5};
  ir::Graph g = one_node(ir::DType::Float32, shape, "Slice", {},
                         {ints({-1, 4}), ints({LLONG_MIN, 0}), ints({0, 1}), ints({-2, -1})});
  std::string plan = run_both(g, random_tensor(shape, 8));
  EXPECT_NE(plan.find("Slice: reference"), std::string::npos) << plan;
}
