// HardSwish written as x * HardSigmoid(x) (opset-13 exports of MobileNetV3) fuses into the Conv or
// Gemm that produces x as oneDNN's hardswish post-op; other HardSigmoid constants, or an x read
// by a third node, do not. Against the reference kernels on odd shapes.
#include "runtime_test_util.h"

using namespace qcv;
using namespace qcv::testing;

namespace {

std::string hard_swish(GraphMaker& m, const std::string& x, float alpha = 1.f / 6) {
  std::string h = m.node("HardSigmoid", {x}, {{"alpha", alpha}, {"beta", 0.5f}});
  return m.node("Mul", {x, h});
}

}  // namespace

TEST(HardSwishFusion, ConvAndGemmAbsorbXTimesHardSigmoidX) {
  GraphMaker m;
  std::string x = m.input("x", {2, 5, 9, 7});
  // Depthwise and pointwise convs (MobileNetV3's), then a Gemm, each followed by the pair.
  std::string y = hard_swish(m, m.conv(x, 5, 5, 3, {{"group", int64_t{5}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}}));
  y = hard_swish(m, m.conv(y, 5, 11, 1));
  y = m.node("Flatten", {m.node("GlobalAveragePool", {y})});
  y = hard_swish(m, m.node("Gemm", {y, m.constant({13, 11}), m.constant({13})}, {{"transB", int64_t{1}}}));
  m.output(y);
  ir::infer_shapes(m.g);
  runtime::Session s(m.g, {2, true});
  EXPECT_LT(compare_with_ref(m.g, s, {{2, 5, 9, 7}}), 1e-5) << s.describe_plan();
  const std::string plan = s.describe_plan();
  size_t fused = 0;
  for (size_t at = plan.find("+HardSigmoid+Mul:"); at != std::string::npos;
       at = plan.find("+HardSigmoid+Mul:", at + 1))
    ++fused;
  EXPECT_EQ(fused, 3u) << plan;
}

TEST(HardSwishFusion, OtherConstantsOrAThirdReaderStayUnfused) {
  GraphMaker m;
  std::string x = m.input("x", {1, 3, 6, 5});
  std::string a = hard_swish(m, m.conv(x, 3, 4, 1), 0.2f);  // Keras' HardSigmoid, not HardSwish
  std::string c = m.conv(x, 3, 4, 1);
  std::string b = m.node("Add", {hard_swish(m, c), c});  // c read three times
  m.output(m.node("Add", {a, b}));
  ir::infer_shapes(m.g);
  runtime::Session s(m.g, {1, true});
  EXPECT_LT(compare_with_ref(m.g, s, {{1, 3, 6, 5}}), 1e-5) << s.describe_plan();
  EXPECT_EQ(s.describe_plan().find("+HardSigmoid+Mul:"), std::string::npos) << s.describe_plan();
}
