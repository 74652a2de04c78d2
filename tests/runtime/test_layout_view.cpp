// Transpose as a strided view: no step runs for it, consumers read through its strides (or
// reorder once), and the numbers equal the reference kernels'.
#include <gtest/gtest.h>

#include "runtime_test_util.h"

using namespace qcv;
using qcv::testing::compare_with_ref;
using qcv::testing::GraphMaker;

namespace {

int count(const std::string& text, const std::string& what) {
  int n = 0;
  for (size_t p = text.find(what); p != std::string::npos; p = text.find(what, p + 1)) ++n;
  return n;
}

}  // namespace

TEST(TransposeView, NhwcInputFeedsTheConvWithoutATransposeStep) {
  // tf2onnx's stem: x[N,H,W,3] -> Transpose(0,3,1,2) -> Conv 3x3 -> Relu
  GraphMaker m;
  std::string x = m.input("x", {2, 17, 19, 3});
  std::string t = m.node("Transpose", {x}, {{"perm", std::vector<int64_t>{0, 3, 1, 2}}});
  std::string c = m.conv(t, 3, 16, 3, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
  m.output(m.node("Relu", {c}));
  ir::infer_shapes(m.g);
  runtime::Session s(m.g, {});
  const std::string plan = s.describe_plan();
  EXPECT_EQ(count(plan, "(Transpose"), 0) << plan;  // no step runs the Transpose node
  EXPECT_LT(compare_with_ref(m.g, s, {{2, 17, 19, 3}}), 1e-5);
}

TEST(TransposeView, ViewsFeedReferenceStepsViewsAndGraphOutputs) {
  // Transposes of an input, of a conv result, one read by a reshape, one a graph output.
  GraphMaker m;
  std::string x = m.input("x", {1, 4, 5, 6});
  std::string a = m.node("Transpose", {x}, {{"perm", std::vector<int64_t>{0, 2, 3, 1}}});
  m.output(a);
  std::string c = m.conv(x, 4, 8, 1);
  std::string b = m.node("Transpose", {c}, {{"perm", std::vector<int64_t>{0, 3, 2, 1}}});
  std::string shape = m.constant(ir::Tensor::from_vector<int64_t>({2}, {1, -1}));
  m.output(m.node("Reshape", {b, shape}));
  m.output(m.node("Erf", {b}));  // a reference step reading the view
  ir::infer_shapes(m.g);
  EXPECT_LT(compare_with_ref(m.g, {{1, 4, 5, 6}}), 1e-5);
}
