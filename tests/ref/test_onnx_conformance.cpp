// ONNX's own node tests (Debian's libonnx-testdata) through the importer and the reference
// kernels (run_graph): one GoogleTest case per test directory, and a summary with the counts.
// What may be skipped is decided in tests/common/onnx_node_tests.h.
#include <gtest/gtest.h>

#include "common/onnx_node_tests.h"
#include "ref/ref.h"

namespace qcv::ref::test {
namespace {

namespace nt = qcv::test::node_tests;

const nt::Outcome& outcome(const std::string& name) {
  static std::map<std::string, nt::Outcome> cache;
  auto it = cache.find(name);
  if (it == cache.end())
    it = cache
             .emplace(name, nt::run_case(name,
                                         [](const ir::Graph& g,
                                            const std::map<std::string, ir::Tensor>& feeds) {
                                           return run_graph(g, feeds);
                                         }))
             .first;
  return it->second;
}

class RefOnnxNodeTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RefOnnxNodeTest, MatchesExpectedOutputs) {
  const nt::Outcome& o = outcome(GetParam());
  if (o.verdict == nt::Verdict::Skip) GTEST_SKIP() << o.reason;
  EXPECT_EQ(o.verdict, nt::Verdict::Pass) << o.reason;
}

INSTANTIATE_TEST_SUITE_P(RefOnnxNode, RefOnnxNodeTest, ::testing::ValuesIn(nt::list_cases()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return nt::case_test_name(info.param);
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RefOnnxNodeTest);

TEST(RefOnnxConformance, Summary) {
  std::vector<std::string> cases = nt::list_cases();
  if (cases.empty()) GTEST_SKIP() << "libonnx-testdata is not installed at " << nt::kNodeTests;
  int passed = 0, failed = 0, skipped = 0;
  for (const std::string& name : cases) {
    const nt::Outcome& o = outcome(name);
    passed += o.verdict == nt::Verdict::Pass;
    failed += o.verdict == nt::Verdict::Fail;
    skipped += o.verdict == nt::Verdict::Skip;
  }
  std::printf("ONNX node tests (reference kernels): %d passed, %d failed, %d skipped of %zu\n",
              passed, failed, skipped, cases.size());
  EXPECT_EQ(failed, 0);
}

}  // namespace
}  // namespace qcv::ref::test
