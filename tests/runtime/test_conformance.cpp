// ONNX's node conformance tests (Debian's libonnx-testdata) through Session: every model is
// compiled and run; the expected outputs come with the test data. One GoogleTest case per test
// directory; what may be skipped is decided in tests/common/onnx_node_tests.h.
#include <gtest/gtest.h>

#include "common/onnx_node_tests.h"
#include "runtime/session.h"

using namespace qcv;
namespace nt = qcv::test::node_tests;

namespace {

nt::Outcome run_in_session(const std::string& name) {
  return nt::run_case(name, [](const ir::Graph& g, const std::map<std::string, ir::Tensor>& feeds) {
    runtime::Session session(g, {2, true});
    return session.run(feeds);
  });
}

class RuntimeOnnxNodeTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RuntimeOnnxNodeTest, MatchesExpectedOutputs) {
  nt::Outcome o = run_in_session(GetParam());
  if (o.verdict == nt::Verdict::Skip) GTEST_SKIP() << o.reason;
  EXPECT_EQ(o.verdict, nt::Verdict::Pass) << o.reason;
}

INSTANTIATE_TEST_SUITE_P(RuntimeOnnxNode, RuntimeOnnxNodeTest,
                         ::testing::ValuesIn(nt::list_cases()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return nt::case_test_name(info.param);
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RuntimeOnnxNodeTest);

}  // namespace
