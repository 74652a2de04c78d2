// The window family through Session against the reference kernels (the oracle), on odd shapes:
// ConvTranspose's deconvolution path, Resize's resampling path for each coordinate mapping it
// takes, and the pooling attributes the oneDNN pooling must either honour or refuse.
#include <functional>

#include "runtime_test_util.h"

using namespace qcv;
using namespace qcv::testing;
using Ints = std::vector<int64_t>;
using Attrs = std::map<std::string, ir::Attribute>;

namespace {
constexpr double kTol = 1e-4;

struct Result {
  double error;
  std::string plan;
};

Result run_both(const ir::Graph& g, const std::vector<ir::Shape>& shapes) {
  runtime::Session s(g);
  double err = compare_with_ref(g, s, shapes);
  return {err, s.describe_plan()};
}

// One node on input x (float32 of `shape`) with extra inputs; the graph's only output.
ir::Graph one_node(
    const std::string& op, const ir::Shape& shape,
    const std::function<std::vector<std::string>(GraphMaker&, const std::string&)>& inputs,
    Attrs attrs) {
  GraphMaker m;
  std::string x = m.input("x", shape);
  m.output(m.node(op, inputs(m, x), std::move(attrs)));
  return m.g;
}

ir::Graph conv_transpose(const ir::Shape& x, Ints wshape, Attrs attrs, bool bias) {
  return one_node(
      "ConvTranspose", x,
      [&](GraphMaker& m, const std::string& in) {
        std::vector<std::string> ins = {in, m.constant(wshape, -0.5f, 0.5f)};
        if (bias) ins.push_back(m.constant({wshape[1] * x[1] / wshape[0]}, -0.1f, 0.1f));
        return ins;
      },
      std::move(attrs));
}

ir::Graph resize(const ir::Shape& x, const ir::Tensor& scales_or_sizes, Attrs attrs) {
  const bool sizes = scales_or_sizes.dtype() == ir::DType::Int64;
  return one_node(
      "Resize", x,
      [&](GraphMaker& m, const std::string& in) {
        std::string c = m.constant(scales_or_sizes);
        return sizes ? std::vector<std::string>{in, "", "", c}
                     : std::vector<std::string>{in, "", c};
      },
      std::move(attrs));
}

ir::Graph pool(const std::string& op, const ir::Shape& x, Attrs attrs) {
  return one_node(
      op, x, [](GraphMaker&, const std::string& in) { return std::vector<std::string>{in}; },
      std::move(attrs));
}

bool uses_onednn(const std::string& plan, const std::string& op) {
  return plan.find("(" + op + ": ") != std::string::npos &&
         plan.find("(" + op + ": reference)") == std::string::npos;
}

}  // namespace

TEST(RuntimeWindowOps, ConvTransposeDeconvolution) {
  struct Case {
    const char* what;
    ir::Shape x;
    Ints w;
    Attrs attrs;
    bool bias;
  };
  const std::vector<Case> cases = {
      {"plain", {3, 5, 7, 9}, {5, 6, 3, 3}, {}, true},
      {"stride 2, pads, output_padding",
       {2, 5, 7, 9},
       {5, 7, 3, 3},
       {{"strides", Ints{2, 2}}, {"pads", Ints{1, 0, 1, 2}}, {"output_padding", Ints{1, 0}}},
       true},
      {"groups and dilations",
       {2, 6, 7, 5},
       {6, 2, 3, 2},
       {{"group", int64_t{3}}, {"dilations", Ints{2, 3}}, {"strides", Ints{1, 2}}},
       false},
      {"output_shape",
       {1, 4, 5, 6},
       {4, 3, 3, 3},
       {{"strides", Ints{3, 2}}, {"output_shape", Ints{14, 12}}},
       true},
      {"SAME_UPPER",
       {2, 3, 7, 9},
       {3, 4, 4, 3},
       {{"strides", Ints{2, 2}}, {"auto_pad", std::string("SAME_UPPER")}},
       true},
      {"SAME_LOWER",
       {2, 3, 7, 9},
       {3, 4, 4, 3},
       {{"strides", Ints{2, 2}}, {"auto_pad", std::string("SAME_LOWER")}},
       false},
  };
  for (const Case& c : cases) {
    Result r = run_both(conv_transpose(c.x, c.w, c.attrs, c.bias), {c.x});
    EXPECT_LT(r.error, kTol) << c.what;
    EXPECT_TRUE(uses_onednn(r.plan, "ConvTranspose")) << c.what << "\n" << r.plan;
  }
}

TEST(RuntimeWindowOps, ConvTransposeFallbacks) {
  // A negative right pad (output_shape one short of the full size), 1-D and 3-D: the reference.
  Result r =
      run_both(conv_transpose({1, 2, 4, 4}, {2, 3, 3, 3}, {{"output_shape", Ints{7, 5}}}, true),
               {{1, 2, 4, 4}});
  EXPECT_LT(r.error, kTol);
  r = run_both(conv_transpose({2, 3, 11}, {3, 2, 4}, {{"strides", Ints{3}}}, true), {{2, 3, 11}});
  EXPECT_LT(r.error, kTol);
  r = run_both(
      conv_transpose({1, 2, 3, 4, 5}, {2, 2, 2, 3, 2}, {{"pads", Ints{1, 0, 1, 0, 1, 0}}}, true),
      {{1, 2, 3, 4, 5}});
  EXPECT_LT(r.error, kTol);
}

TEST(RuntimeWindowOps, ResizeResamplingWhereTheMappingsAgree) {
  using T = ir::Tensor;
  struct Case {
    const char* what;
    ir::Shape x;
    T arg;
    Attrs attrs;
  };
  const std::vector<Case> cases = {
      {"linear half_pixel x2",
       {2, 3, 7, 5},
       T::from_vector<float>({4}, {1, 1, 2, 2}),
       {{"mode", std::string("linear")}}},
      {"linear half_pixel odd sizes",
       {2, 3, 7, 5},
       T::from_vector<int64_t>({4}, {2, 3, 11, 3}),
       {{"mode", std::string("linear")}}},
      {"linear pytorch_half_pixel",
       {1, 4, 9, 13},
       T::from_vector<int64_t>({4}, {1, 4, 5, 20}),
       {{"mode", std::string("linear")},
        {"coordinate_transformation_mode", std::string("pytorch_half_pixel")}}},
      {"linear 3-D",
       {1, 2, 3, 5, 4},
       T::from_vector<int64_t>({5}, {1, 2, 6, 7, 2}),
       {{"mode", std::string("linear")}}},
      {"nearest round_prefer_ceil downsample",
       {2, 3, 13, 9},
       T::from_vector<int64_t>({4}, {2, 3, 6, 4}),
       {{"nearest_mode", std::string("round_prefer_ceil")}}},
      {"nearest default x3", {2, 3, 7, 5}, T::from_vector<float>({4}, {1, 1, 3, 2}), {}},
      {"nearest asymmetric floor x2 (Upsample)",
       {2, 3, 7, 5},
       T::from_vector<float>({4}, {1, 1, 2, 2}),
       {{"coordinate_transformation_mode", std::string("asymmetric")},
        {"nearest_mode", std::string("floor")}}},
      {"nearest 1-D", {2, 3, 7}, T::from_vector<int64_t>({3}, {2, 3, 21}), {}},
  };
  for (const Case& c : cases) {
    Result r = run_both(resize(c.x, c.arg, c.attrs), {c.x});
    EXPECT_LT(r.error, kTol) << c.what;
    EXPECT_TRUE(uses_onednn(r.plan, "Resize")) << c.what << "\n" << r.plan;
  }
}

TEST(RuntimeWindowOps, ResizeFallsBackWhereTheMappingsDiffer) {
  using T = ir::Tensor;
  struct Case {
    const char* what;
    ir::Shape x;
    T arg;
    Attrs attrs;
  };
  const std::vector<Case> cases = {
      // Halving puts half_pixel coordinates on ties: round_prefer_floor differs from oneDNN.
      {"nearest default halving", {1, 2, 8, 6}, T::from_vector<int64_t>({4}, {1, 2, 4, 3}), {}},
      {"nearest asymmetric round",
       {1, 2, 5, 4},
       T::from_vector<float>({4}, {1, 1, 2, 2}),
       {{"coordinate_transformation_mode", std::string("asymmetric")}}},
      {"scale not O / I",
       {1, 2, 5, 5},
       T::from_vector<float>({4}, {1, 1, 1.7f, 1.7f}),
       {{"mode", std::string("linear")}}},
      {"align_corners",
       {1, 2, 5, 4},
       T::from_vector<int64_t>({4}, {1, 2, 9, 7}),
       {{"mode", std::string("linear")},
        {"coordinate_transformation_mode", std::string("align_corners")}}},
      {"pytorch_half_pixel to one row",
       {1, 2, 5, 4},
       T::from_vector<int64_t>({4}, {1, 2, 1, 7}),
       {{"mode", std::string("linear")},
        {"coordinate_transformation_mode", std::string("pytorch_half_pixel")}}},
      {"cubic",
       {1, 2, 5, 4},
       T::from_vector<float>({4}, {1, 1, 2, 2}),
       {{"mode", std::string("cubic")}}},
      {"channels resized", {1, 2, 5, 4}, T::from_vector<int64_t>({4}, {1, 4, 5, 4}), {}},
  };
  for (const Case& c : cases) {
    Result r = run_both(resize(c.x, c.arg, c.attrs), {c.x});
    EXPECT_LT(r.error, kTol) << c.what;
    EXPECT_FALSE(uses_onednn(r.plan, "Resize")) << c.what << "\n" << r.plan;
  }
}

TEST(RuntimeWindowOps, PoolingAttributes) {
  struct Case {
    const char* what;
    std::string op;
    ir::Shape x;
    Attrs attrs;
    bool onednn;  // expected to run as a oneDNN pooling
  };
  const std::vector<Case> cases = {
      {"average ceil_mode",
       "AveragePool",
       {2, 3, 8, 7},
       {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t{1}}},
       true},
      {"average ceil_mode with count_include_pad",
       "AveragePool",
       {2, 3, 8, 7},
       {{"kernel_shape", Ints{3, 3}},
        {"strides", Ints{2, 2}},
        {"pads", Ints{1, 0, 1, 0}},
        {"ceil_mode", int64_t{1}},
        {"count_include_pad", int64_t{1}}},
       false},
      {"average count_include_pad without a ceil window",
       "AveragePool",
       {2, 3, 9, 7},
       {{"kernel_shape", Ints{3, 3}},
        {"strides", Ints{2, 2}},
        {"pads", Ints{1, 1, 1, 1}},
        {"ceil_mode", int64_t{1}},
        {"count_include_pad", int64_t{1}}},
       true},
      {"average SAME_LOWER count_include_pad",
       "AveragePool",
       {2, 3, 8, 7},
       {{"kernel_shape", Ints{3, 2}},
        {"strides", Ints{2, 3}},
        {"auto_pad", std::string("SAME_LOWER")},
        {"count_include_pad", int64_t{1}}},
       true},
      {"average dilations",
       "AveragePool",
       {2, 3, 9, 8},
       {{"kernel_shape", Ints{2, 2}}, {"dilations", Ints{2, 3}}, {"pads", Ints{1, 1, 0, 1}}},
       false},
      {"max dilations and ceil_mode",
       "MaxPool",
       {2, 3, 9, 8},
       {{"kernel_shape", Ints{2, 3}},
        {"dilations", Ints{2, 2}},
        {"strides", Ints{2, 2}},
        {"ceil_mode", int64_t{1}}},
       true},
      {"max 1-D", "MaxPool", {2, 3, 11}, {{"kernel_shape", Ints{3}}, {"strides", Ints{2}}}, true},
      {"average 3-D",
       "AveragePool",
       {1, 2, 5, 6, 7},
       {{"kernel_shape", Ints{2, 3, 2}}, {"pads", Ints{1, 1, 0, 0, 1, 1}}},
       true},
      {"LpPool",
       "LpPool",
       {2, 3, 7, 6},
       {{"kernel_shape", Ints{3, 2}}, {"strides", Ints{2, 1}}},
       false},
      {"GlobalMaxPool", "GlobalMaxPool", {2, 3, 7, 6}, {}, true},
      {"GlobalMaxPool 3-D", "GlobalMaxPool", {2, 3, 4, 5, 3}, {}, true},
  };
  for (const Case& c : cases) {
    Result r = run_both(pool(c.op, c.x, c.attrs), {c.x});
    EXPECT_LT(r.error, kTol) << c.what;
    EXPECT_EQ(uses_onednn(r.plan, c.op), c.onednn) << c.what << "\n" << r.plan;
  }
}

TEST(RuntimeWindowOps, DecoderChainKeepsLayoutsConsistent) {
  // Conv -> Resize (nearest x2, Upsample's mapping) -> ConvTranspose -> Resize (linear) -> Conv:
  // each step may pick a blocked layout for the next one.
  GraphMaker m;
  auto y = m.conv(m.input("x", {2, 5, 7, 9}), 5, 17, 3, {{"pads", Ints{1, 1, 1, 1}}});
  y = m.node("Resize", {y, "", m.constant(ir::Tensor::from_vector<float>({4}, {1, 1, 2, 2}))},
             {{"coordinate_transformation_mode", std::string("asymmetric")},
              {"nearest_mode", std::string("floor")}});
  y = m.node("ConvTranspose", {y, m.constant({17, 6, 3, 3}, -0.3f, 0.3f)},
             {{"strides", Ints{2, 2}}, {"pads", Ints{1, 1, 1, 1}}, {"output_padding", Ints{1, 1}}});
  y = m.node("Resize",
             {y, "", "", m.constant(ir::Tensor::from_vector<int64_t>({4}, {2, 6, 45, 50}))},
             {{"mode", std::string("linear")}});
  y = m.conv(y, 6, 8, 3);
  m.output(y);
  Result r = run_both(m.g, {{2, 5, 7, 9}});
  EXPECT_LT(r.error, kTol);
  EXPECT_TRUE(uses_onednn(r.plan, "ConvTranspose")) << r.plan;
  EXPECT_TRUE(uses_onednn(r.plan, "Resize")) << r.plan;
}
