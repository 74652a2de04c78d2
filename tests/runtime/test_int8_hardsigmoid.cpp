// HardSigmoid between QDQ pairs runs fused (linear + clip post-ops on an int8 binary). With a
// non-zero input zero point the zero-point offset and HardSigmoid's own linear op are merged into
// one: oneDNN 2.6 applies a second linear post-op with the first one's parameters. Found on a
// torch.ao MobileNetV3 export (alpha 1/6, uint8 scale 1/256 outputs), whose SE gates all came out 0.
#include <gtest/gtest.h>

#include "runtime_test_util.h"

using namespace qcv;

namespace {

// x -> Q(0.002, 128) -> DQ -> HardSigmoid(alpha 1/6) -> Q(1/256, out_zp) -> DQ -> y
ir::Graph hard_sigmoid_qdq(uint8_t out_zp) {
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {1, 8, 1, 1})};
  g.outputs = {ir::make_value("y")};
  g.initializers["s_in"] = ir::Tensor::scalar(0.002f);
  g.initializers["z_in"] = ir::Tensor::scalar(uint8_t{128});
  g.initializers["s_out"] = ir::Tensor::scalar(1.0f / 256);
  g.initializers["z_out"] = ir::Tensor::scalar(out_zp);
  auto node = [](std::string name, std::string op, std::vector<std::string> in, std::string out) {
    ir::Node n;
    n.name = std::move(name);
    n.op = std::move(op);
    n.inputs = std::move(in);
    n.outputs = {std::move(out)};
    return n;
  };
  g.nodes = {node("q_in", "QuantizeLinear", {"x", "s_in", "z_in"}, "xq"),
             node("dq_in", "DequantizeLinear", {"xq", "s_in", "z_in"}, "xd"),
             node("hs", "HardSigmoid", {"xd"}, "h"),
             node("q_out", "QuantizeLinear", {"h", "s_out", "z_out"}, "hq"),
             node("dq_out", "DequantizeLinear", {"hq", "s_out", "z_out"}, "y")};
  g.nodes[2].attrs["alpha"] = 1.0f / 6;
  ir::infer_shapes(g);
  return g;
}

}  // namespace

TEST(Int8HardSigmoid, NonZeroInputZeroPointMatchesHandComputedValues) {
  const ir::Tensor x = ir::Tensor::from_vector<float>(
      {1, 8, 1, 1}, {-0.2f, -0.1f, -0.05f, 0.f, 0.01f, 0.05f, 0.1f, 0.2f});
  for (uint8_t zp : {uint8_t{0}, uint8_t{3}}) {
    ir::Graph g = hard_sigmoid_qdq(zp);
    runtime::Session s(g, {});
    // Now a lookup table computed by the reference kernels (compile_qlut.cpp); the int8 binary
    // path (build_qactivation) keeps the one-linear-op rule for layouts the table cannot read.
    EXPECT_NE(s.describe_plan().find("QLookup HardSigmoid+QuantizeLinear"), std::string::npos)
        << s.describe_plan();
    const std::vector<float> got = s.run({{"x", x}})[0].to_float_vector();
    // By hand: q = round(x / 0.002) + 128, v = (q - 128) * 0.002, h = clip(v / 6 + 0.5, 0, 1),
    // y = (clamp(round(h * 256) + zp, 0, 255) - zp) / 256. E.g. x = -0.2: h = 0.46667, 119/256.
    const float want[8] = {119, 124, 126, 128, 128, 130, 132, 137};
    for (int i = 0; i < 8; ++i) EXPECT_FLOAT_EQ(got[i], want[i] / 256) << "element " << i;
    EXPECT_EQ(got, ref::run_graph(g, {{"x", x}})[0].to_float_vector());
  }
}
