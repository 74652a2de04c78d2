// Winograd for FP32 3x3 convolutions (runtime/dnnl_util.h, winograd_pays): a ResNet basic block
// (3x3 conv + Relu, 3x3 conv + residual Add + Relu) runs on oneDNN's Winograd kernels where the
// rule says so, with outputs matching the reference kernels; elsewhere, or with QCV_WINOGRAD=0,
// on the direct ones. Skipped where oneDNN has no Winograd kernel (CPUs before AVX-512).
#include <gtest/gtest.h>

#include <cstdlib>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>

#include "runtime_test_util.h"

namespace qcv::testing {
namespace {

ir::Graph basic_block(int64_t channels, int64_t size) {
  GraphMaker m;
  const std::string x = m.input("x", {-1, channels, size, size});
  const std::map<std::string, ir::Attribute> same{{"pads", std::vector<int64_t>{1, 1, 1, 1}}};
  const std::string a = m.node("Relu", {m.conv(x, channels, channels, 3, same)});
  const std::string b = m.node("Add", {m.conv(a, channels, channels, 3, same), x});
  m.output(m.node("Relu", {b}));
  return m.g;
}

struct BlockRun {
  double error;      // against the reference kernels
  int winograd = 0;  // plan steps on a Winograd kernel
};

BlockRun run(int64_t channels, int64_t size, int64_t batch) {
  const ir::Graph g = basic_block(channels, size);
  runtime::Session s(g, {1});
  BlockRun r{compare_with_ref(g, s, {{batch, channels, size, size}})};
  const std::string plan = s.describe_plan();
  for (size_t at = plan.find("wino"); at != std::string::npos; at = plan.find("wino", at + 1))
    ++r.winograd;
  return r;
}

bool has_winograd_kernels() {  // the ISA values are feature bits (AVX2+VNNI is a larger number)
  const auto isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());
  const auto avx512 = static_cast<unsigned>(dnnl::cpu_isa::avx512_core);
  return (isa & avx512) == avx512;
}

TEST(Winograd, ResNetBlockAt28x28UsesItAndMatchesTheReference) {
  if (!has_winograd_kernels()) GTEST_SKIP() << "no AVX-512: oneDNN has no Winograd kernel here";
  const BlockRun r = run(64, 28, 1);  // 784 output positions
  EXPECT_EQ(r.winograd, 2);
  EXPECT_LT(r.error, 1e-5);  // the direct sum's error is about 1e-6 here too
}

TEST(Winograd, FewPositionsStayDirectUnlessTheBatchAddsThem) {
  if (!has_winograd_kernels()) GTEST_SKIP() << "no AVX-512: oneDNN has no Winograd kernel here";
  const BlockRun single = run(64, 14, 1);  // 196 positions: the weight transform would not pay
  EXPECT_EQ(single.winograd, 0);
  EXPECT_LT(single.error, 1e-5);
  const BlockRun batch = run(64, 14, 4);  // 784
  EXPECT_EQ(batch.winograd, 2);
  EXPECT_LT(batch.error, 1e-5);
}

// Each input shape compiles its own plan from the graph; weights a plan's primitives hold are
// dropped from it and rebuilt from their copy, which Winograd's format cannot give back (a second
// shape crashed in a reorder before the runtime kept those).
TEST(Winograd, ASecondShapeCompilesAfterAWinogradPlan) {
  if (!has_winograd_kernels()) GTEST_SKIP() << "no AVX-512: oneDNN has no Winograd kernel here";
  const ir::Graph g = basic_block(64, 28);
  runtime::Session s(g, {1});
  for (int64_t batch : {1, 2, 1}) EXPECT_LT(compare_with_ref(g, s, {{batch, 64, 28, 28}}), 1e-5);
  EXPECT_NE(s.describe_plan().find("wino"), std::string::npos);
}

TEST(Winograd, NarrowLayersAndTheSwitchStayDirect) {
  EXPECT_EQ(run(32, 56, 1).winograd, 0);  // < 64 channels
  ASSERT_EQ(setenv("QCV_WINOGRAD", "0", 1), 0);
  const BlockRun off = run(64, 28, 1);
  unsetenv("QCV_WINOGRAD");
  EXPECT_EQ(off.winograd, 0);
  EXPECT_LT(off.error, 1e-5);
}

}  // namespace
}  // namespace qcv::testing
