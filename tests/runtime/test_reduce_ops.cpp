// The reduce family's oneDNN paths against the reference kernels, on odd shapes: each plan must
// use the primitive (not a reference step) and agree with ref::run_graph.
#include "runtime_test_util.h"

using namespace qcv;
using namespace qcv::testing;
using Ints = std::vector<int64_t>;

namespace {
constexpr double kTol = 1e-4;

// Runs the one-node graph, checks the node ran as a oneDNN step and returns the relative error.
double check_primitive(const ir::Graph& g, const std::vector<ir::Shape>& shapes,
                       const std::string& op) {
  runtime::Session s(g);
  double err = compare_with_ref(g, s, shapes);
  std::string plan = s.describe_plan();
  EXPECT_NE(plan.find("(" + op + ": "), std::string::npos) << plan;
  EXPECT_EQ(plan.find("reference"), std::string::npos) << plan;
  return err;
}
}  // namespace

TEST(RuntimeReduceOps, ReductionsOverOddAxesWithAndWithoutKeepdims) {
  const std::vector<std::string> ops = {"ReduceMean", "ReduceMax", "ReduceMin", "ReduceSum",
                                        "ReduceProd", "ReduceL1",  "ReduceL2",  "ReduceSumSquare"};
  const std::vector<Ints> axes_cases = {{1}, {0, 2}, {-1}, {}};
  for (const std::string& op : ops) {
    for (const Ints& axes : axes_cases) {
      for (int64_t keep = 0; keep < 2; ++keep) {
        GraphMaker m;
        auto x = m.input("x", {3, 5, 7});
        std::map<std::string, ir::Attribute> attrs = {{"keepdims", keep}};
        std::vector<std::string> ins = {x};
        if (op == "ReduceSum")  // axes input (opset 13)
          ins.push_back(m.constant(
              ir::Tensor::from_vector<int64_t>({static_cast<int64_t>(axes.size())}, axes)));
        else if (!axes.empty())
          attrs["axes"] = axes;
        m.output(m.node(op, ins, attrs));
        std::string what =
            op + " axes " + std::to_string(axes.size()) + " keepdims " + std::to_string(keep);
        EXPECT_LT(check_primitive(m.g, {{3, 5, 7}}, op), op == "ReduceProd" ? 1e-3 : kTol) << what;
      }
    }
  }
}

TEST(RuntimeReduceOps, ReduceSumWithRuntimeAxesRunsTheReference) {
  GraphMaker m;
  auto x = m.input("x", {3, 5});
  m.g.inputs.push_back(ir::make_value("axes", ir::DType::Int64, {1}));
  m.output(m.node("ReduceSum", {x, "axes"}));
  runtime::Session s(m.g);
  auto out = s.run(
      {{"x", random_tensor({3, 5}, 3)}, {"axes", ir::Tensor::from_vector<int64_t>({1}, {0})}});
  ASSERT_EQ(out.size(), 1u);
  EXPECT_EQ(out[0].shape(), (ir::Shape{1, 5}));
}

TEST(RuntimeReduceOps, LrnOddSizeAcrossChannels) {
  for (int64_t size : {1, 3, 5}) {
    GraphMaker m;
    auto x = m.input("x", {2, 19, 7, 9});
    m.output(
        m.node("LRN", {x}, {{"size", size}, {"alpha", 0.02f}, {"beta", 0.6f}, {"bias", 1.5f}}));
    EXPECT_LT(check_primitive(m.g, {{2, 19, 7, 9}}, "LRN"), kTol) << size;
  }
  // An even size centres differently in oneDNN: the reference kernel runs it.
  GraphMaker m;
  auto x = m.input("x", {2, 6, 5, 5});
  m.output(m.node("LRN", {x}, {{"size", int64_t{4}}}));
  runtime::Session s(m.g);
  EXPECT_LT(compare_with_ref(m.g, s, {{2, 6, 5, 5}}), kTol);
  EXPECT_NE(s.describe_plan().find("LRN: reference"), std::string::npos) << s.describe_plan();
}

TEST(RuntimeReduceOps, LayerNormalizationOverTrailingDims) {
  for (int64_t axis : {-1, 1, 2}) {
    GraphMaker m;
    auto x = m.input("x", {3, 5, 7});
    const ir::Shape in = {3, 5, 7};
    const ir::Shape normalized(in.begin() + (axis < 0 ? 2 : axis), in.end());
    auto scale = m.constant(normalized, 0.5f, 1.5f), bias = m.constant(normalized);
    m.output(m.node("LayerNormalization", {x, scale, bias}, {{"axis", axis}, {"epsilon", 1e-3f}}));
    EXPECT_LT(check_primitive(m.g, {{3, 5, 7}}, "LayerNormalization"), kTol) << axis;
  }
  GraphMaker m;  // without B
  auto x = m.input("x", {4, 11});
  m.output(m.node("LayerNormalization", {x, m.constant({11})}));
  EXPECT_LT(check_primitive(m.g, {{4, 11}}, "LayerNormalization"), kTol);
}

TEST(RuntimeReduceOps, LogSoftmaxEachAxis) {
  for (int64_t axis : {0, 1, -1}) {
    GraphMaker m;
    auto x = m.input("x", {3, 17, 5});
    m.output(m.node("LogSoftmax", {x}, {{"axis", axis}}));
    EXPECT_LT(check_primitive(m.g, {{3, 17, 5}}, "LogSoftmax"), kTol) << axis;
  }
}

TEST(RuntimeReduceOps, GlobalMaxPoolAfterConv) {
  GraphMaker m;
  auto y = m.conv(m.input("x", {3, 5, 13, 9}), 5, 19, 3);
  m.output(m.node("GlobalMaxPool", {y}));
  runtime::Session s(m.g);
  EXPECT_LT(compare_with_ref(m.g, s, {{3, 5, 13, 9}}), kTol);
  EXPECT_NE(s.describe_plan().find("(GlobalMaxPool: "), std::string::npos) << s.describe_plan();
  GraphMaker m1;  // 1-D spatial
  m1.output(m1.node("GlobalMaxPool", {m1.input("x", {2, 3, 11})}));
  EXPECT_LT(check_primitive(m1.g, {{2, 3, 11}}, "GlobalMaxPool"), kTol);
}

TEST(RuntimeReduceOps, AfterConvInBlockedLayout) {
  // A conv's output may be in a blocked layout: LRN reads it as is, the others via a reorder.
  for (std::string op : {"LRN", "ReduceMean", "LayerNormalization", "LogSoftmax"}) {
    GraphMaker m;
    auto y = m.conv(m.input("x", {2, 5, 9, 7}), 5, 21, 3, {{"pads", Ints{1, 1, 1, 1}}});
    if (op == "LRN") y = m.node(op, {y}, {{"size", int64_t{3}}});
    if (op == "ReduceMean") y = m.node(op, {y}, {{"axes", Ints{1}}});
    if (op == "LayerNormalization") y = m.node(op, {y, m.constant({9, 7})}, {{"axis", int64_t{2}}});
    if (op == "LogSoftmax") y = m.node(op, {y}, {{"axis", int64_t{1}}});
    m.output(y);
    EXPECT_LT(check_primitive(m.g, {{2, 5, 9, 7}}, op), kTol) << op;
  }
}
