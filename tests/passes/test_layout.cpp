// Layout passes: a zero Pad moves into the Conv/AveragePool pads after it, Transposes compose,
// and an NHWC input gets an NCHW interface. Each case checks the graph's structure and that the
// reference kernels compute the same numbers before and after (the Pad, Conv and Transpose
// kernels themselves are checked by ONNX's conformance data).
#include <gtest/gtest.h>

#include <random>

#include "graph_builder.h"
#include "passes/passes.h"
#include "ref/ref.h"

using namespace qcv;
using qcv::test::count_ops;
using qcv::test::i64;
using qcv::test::make_node;
using qcv::test::max_relative_error;
using qcv::test::random_tensor;

namespace {

// x[1,2,5,6] -> Pad(pads) -> Conv(3x3, pads [0,1,0,1]) (or `reader`) -> y
ir::Graph pad_then(const std::string& reader, std::vector<int64_t> pads, float value = 0.0f) {
  std::mt19937 rng(3);
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {1, 2, 5, 6})};
  g.outputs = {ir::make_value("y")};
  g.initializers["pads"] = i64(pads);
  g.initializers["value"] = ir::Tensor::scalar(value);
  g.nodes.push_back(make_node("pad", "Pad", {"x", "pads", "value"}, {"p"}));
  if (reader == "Conv") {
    g.initializers["w"] = random_tensor({3, 2, 3, 3}, rng);
    ir::Node conv = make_node("conv", "Conv", {"p", "w"}, {"y"});
    conv.attrs["pads"] = std::vector<int64_t>{0, 1, 0, 1};
    g.nodes.push_back(conv);
  } else {
    ir::Node pool = make_node("pool", reader, {"p"}, {"y"});
    pool.attrs["kernel_shape"] = std::vector<int64_t>{2, 2};
    pool.attrs["count_include_pad"] = int64_t{1};
    g.nodes.push_back(pool);
  }
  ir::infer_shapes(g);
  return g;
}

ir::Tensor run(const ir::Graph& g, const ir::Tensor& x) { return ref::run_graph(g, {{"x", x}})[0]; }

}  // namespace

TEST(FoldPad, ZeroSpatialPadMovesIntoConvPads) {
  ir::Graph g = pad_then("Conv", {0, 0, 1, 2, 0, 0, 3, 0});
  std::mt19937 rng(5);
  const ir::Tensor x = random_tensor({1, 2, 5, 6}, rng);
  const ir::Tensor before = run(g, x);
  passes::canonicalize(g);
  EXPECT_EQ(count_ops(g, "Pad"), 0);
  ASSERT_EQ(g.nodes.size(), 1u);
  // ONNX pads: [top, left, bottom, right]; Pad's: [n, c, h_begin, w_begin, n, c, h_end, w_end].
  EXPECT_EQ(g.nodes[0].attr_ints("pads"), (std::vector<int64_t>{1, 3, 3, 1}));
  EXPECT_LT(max_relative_error(run(g, x), before), 1e-6);
}

TEST(FoldPad, AveragePoolCountingPadsTakesIt) {
  ir::Graph g = pad_then("AveragePool", {0, 0, 1, 1, 0, 0, 1, 1});
  std::mt19937 rng(6);
  const ir::Tensor x = random_tensor({1, 2, 5, 6}, rng);
  const ir::Tensor before = run(g, x);
  passes::canonicalize(g);
  EXPECT_EQ(count_ops(g, "Pad"), 0);
  EXPECT_LT(max_relative_error(run(g, x), before), 1e-6);
}

TEST(FoldPad, LeavesPadsThatAreNotZeroSpatialOrFeedMaxPool) {
  for (auto [reader, pads, value] :
       {std::tuple<std::string, std::vector<int64_t>, float>{"Conv", {0, 0, 1, 1, 0, 0, 1, 1}, 1.0f},
        {"AveragePool", {0, 1, 1, 1, 0, 0, 1, 1}, 0.0f},  // pads a channel
        {"Conv", {0, 0, -1, 0, 0, 0, 0, 0}, 0.0f},  // crops
        {"MaxPool", {0, 0, 1, 1, 0, 0, 1, 1}, 0.0f}}) {
    ir::Graph g = pad_then(reader, pads, value);
    passes::canonicalize(g);
    EXPECT_EQ(count_ops(g, "Pad"), 1) << reader << " value " << value;
  }
}

TEST(CancelTransposes, InversePairVanishesAndOthersCompose) {
  std::mt19937 rng(7);
  const ir::Tensor x = random_tensor({2, 3, 4, 5}, rng);
  for (auto [second, remaining] : {std::pair<std::vector<int64_t>, int>{{0, 3, 1, 2}, 0},
                                   {{0, 2, 3, 1}, 1}}) {
    ir::Graph g;
    g.inputs = {ir::make_value("x", ir::DType::Float32, {2, 3, 4, 5})};
    g.outputs = {ir::make_value("y")};
    ir::Node t1 = make_node("t1", "Transpose", {"x"}, {"a"});
    t1.attrs["perm"] = std::vector<int64_t>{0, 2, 3, 1};
    ir::Node t2 = make_node("t2", "Transpose", {"a"}, {"b"});
    t2.attrs["perm"] = second;
    g.nodes = {t1, t2, make_node("relu", "Relu", {"b"}, {"y"})};
    ir::infer_shapes(g);
    const ir::Tensor before = run(g, x);
    passes::canonicalize(g);
    EXPECT_EQ(count_ops(g, "Transpose"), remaining);
    EXPECT_LT(max_relative_error(run(g, x), before), 1e-7);
  }
}

TEST(InputLayout, NhwcInputGetsAnNchwInterfaceAndBack) {
  // tf2onnx's pattern: x[1,6,7,3] (NHWC) -> Transpose(0,3,1,2) -> Relu -> y
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {1, 6, 7, 3})};
  g.outputs = {ir::make_value("y")};
  ir::Node t = make_node("to_nchw", "Transpose", {"x"}, {"a"});
  t.attrs["perm"] = std::vector<int64_t>{0, 3, 1, 2};
  g.nodes = {t, make_node("relu", "Relu", {"a"}, {"y"})};
  ir::infer_shapes(g);
  EXPECT_EQ(passes::detect_input_layout(g.inputs[0]), passes::InputLayout::NHWC);
  std::mt19937 rng(8);
  const ir::Tensor nhwc = random_tensor({1, 6, 7, 3}, rng);
  const ir::Tensor before = run(g, nhwc);

  passes::make_input_nchw(g, 0);
  EXPECT_EQ(g.inputs[0].name, "x");
  EXPECT_EQ(g.inputs[0].shape, (ir::Shape{1, 3, 6, 7}));
  EXPECT_EQ(count_ops(g, "Transpose"), 0);  // the model's own Transpose cancelled
  EXPECT_EQ(passes::detect_input_layout(g.inputs[0]), passes::InputLayout::NCHW);
  // The same image, laid out NCHW by hand.
  ir::Tensor nchw(ir::DType::Float32, {1, 3, 6, 7});
  for (int h = 0; h < 6; ++h)
    for (int w = 0; w < 7; ++w)
      for (int c = 0; c < 3; ++c)
        nchw.data<float>()[(c * 6 + h) * 7 + w] = nhwc.data<float>()[(h * 7 + w) * 3 + c];
  EXPECT_LT(max_relative_error(run(g, nchw), before), 1e-7);

  passes::make_input_nhwc(g, 0);
  EXPECT_EQ(g.inputs[0].shape, (ir::Shape{1, 6, 7, 3}));
  EXPECT_LT(max_relative_error(run(g, nhwc), before), 1e-7);
}
