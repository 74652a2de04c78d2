// The plan dump (`qcv bench --plan`): each step names its kernel and operands, and a quantized
// model that runs any reference kernel gets a WARNING line naming those steps.
#include "int8_test_util.h"

using namespace qcv;
using namespace qcv::testing;
using Ints = std::vector<int64_t>;

namespace {
// x -> QDQ -> Conv(int8 W) -> QDQ -> [tail] : tail "ArgMax" has no int8 (nor oneDNN) path.
ir::Graph qdq_net(bool argmax, bool quantized = true) {
  GraphMaker m;
  const ir::DType u8 = ir::DType::UInt8;
  auto x = m.input("x", {1, 3, 8, 8});
  Range r = range_params(-1.f, 1.f, u8);
  auto xd = quantized ? qdq(m, x, r.scale, r.zp, u8) : x;
  ir::Tensor w = random_tensor({4, 3, 3, 3}, 5, -0.3f, 0.3f);
  auto y = m.node("Conv", {xd, quantized ? int8_weight(m, w, true) : m.constant(w)},
                  {{"pads", Ints{1, 1, 1, 1}}});
  if (quantized) y = qdq(m, y, r.scale, r.zp, u8);
  if (argmax) y = m.node("ArgMax", {y}, {{"axis", int64_t{1}}});
  m.output(y);
  return m.g;
}
}  // namespace

TEST(RuntimePlanDump, QuantizedModelWithReferenceStepWarnsNamingIt) {
  ir::Graph g = qdq_net(true);
  const std::string argmax = g.nodes.back().name;
  runtime::Session s(g, {1, true});
  const std::string warning = s.plan_warning();
  EXPECT_EQ(warning.rfind("WARNING:", 0), 0u) << warning;
  EXPECT_NE(warning.find(argmax + " (ArgMax: reference)"), std::string::npos) << warning;
  EXPECT_NE(warning.find("1 step(s)"), std::string::npos) << warning;
  const std::string plan = s.describe_plan();
  EXPECT_NE(plan.find(warning), std::string::npos) << plan;
  // The int8 conv names its oneDNN implementation and its uint8 operands.
  const size_t conv = plan.find("(QConv");
  ASSERT_NE(conv, std::string::npos) << plan;
  EXPECT_EQ(plan.substr(conv, plan.find('\n', conv) - conv).find("reference"), std::string::npos)
      << plan;
  EXPECT_NE(plan.find("uint8"), std::string::npos) << plan;
  EXPECT_NE(plan.find("-> " + g.outputs[0].name + " int64"), std::string::npos) << plan;
}

TEST(RuntimePlanDump, NoWarningWithoutReferenceStepsOrWithoutQuantization) {
  runtime::Session all_int8(qdq_net(false), {1, true});
  EXPECT_EQ(all_int8.plan_warning(), "") << all_int8.describe_plan();
  EXPECT_EQ(all_int8.describe_plan().find("reference"), std::string::npos)
      << all_int8.describe_plan();
  // A float model may use reference kernels without a warning: nothing was meant to be int8.
  runtime::Session fp32(qdq_net(true, false), {1, true});
  EXPECT_NE(fp32.describe_plan().find("ArgMax: reference"), std::string::npos)
      << fp32.describe_plan();
  EXPECT_EQ(fp32.plan_warning(), "");
}

TEST(RuntimePlanDump, EveryStepOnItsOwnNumberedLine) {
  runtime::Session s(qdq_net(true), {1, true});
  const std::string plan = s.describe_plan();
  size_t lines = 0, pos = 0;
  for (; (pos = plan.find('\n', pos)) != std::string::npos; ++pos) ++lines;
  ASSERT_GE(lines, 3u) << plan;  // steps and the warning
  EXPECT_EQ(plan.rfind("0: ", 0), 0u) << plan;
  EXPECT_NE(plan.find("\n1: "), std::string::npos) << plan;
}
