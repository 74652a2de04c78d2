// One Session shared by several threads calling run at once (a server's use): every concurrent
// result equals the result of the same input run by a single caller, for FP32 and INT8 (QDQ)
// models, including callers that make the Session compile a new batch size meanwhile.
#include <thread>

#include "int8_test_util.h"

using namespace qcv;
using namespace qcv::testing;
using Ints = std::vector<int64_t>;

namespace {

ir::Graph fp32_net() {
  GraphMaker m;
  auto x = m.input("image", {-1, 3, 12, 10});
  auto h = m.node("Relu", {m.conv(x, 3, 16, 3, {{"pads", Ints{1, 1, 1, 1}}})});
  h = m.node("Relu", {m.node("Add", {m.conv(h, 16, 16, 3, {{"pads", Ints{1, 1, 1, 1}}}), h})});
  auto f = m.node("Flatten", {m.node("GlobalAveragePool", {h})});
  m.output(m.node("Gemm", {f, m.constant({5, 16}), m.constant({5})}, {{"transB", int64_t{1}}}));
  return m.g;
}

// x -> QDQ -> Conv(int8 W) -> Relu -> QDQ -> Conv(int8 W) -> QDQ -> + (QDQ of the first) -> output
ir::Graph int8_net() {
  GraphMaker m;
  const ir::DType u8 = ir::DType::UInt8;
  auto x = m.input("image", {-1, 3, 12, 10});
  Range rx = range_params(-1.f, 1.f, u8), ra = range_params(0.f, 2.f, u8);
  auto xd = qdq(m, x, rx.scale, rx.zp, u8);
  auto c1 = m.node("Conv", {xd, int8_weight(m, random_tensor({8, 3, 3, 3}, 5, -0.3f, 0.3f), true),
                            m.constant({8}, -0.1f, 0.1f)},
                   {{"pads", Ints{1, 1, 1, 1}}});
  auto a = qdq(m, m.node("Relu", {c1}), ra.scale, ra.zp, u8);
  auto c2 = m.node("Conv", {a, int8_weight(m, random_tensor({8, 8, 3, 3}, 6, -0.2f, 0.2f), true),
                            m.constant({8}, -0.1f, 0.1f)},
                   {{"pads", Ints{1, 1, 1, 1}}});
  auto b = qdq(m, c2, ra.scale, ra.zp, u8);
  m.output(m.node("Add", {b, a}));
  return m.g;
}

// Each of `callers` threads runs `iterations` inputs (batch 1 or 2, by thread) and every output
// must equal, bit for bit, the single-caller output of the same input.
void check_concurrent(const ir::Graph& g, int callers, int iterations) {
  runtime::Session s(g, {1, true});  // 1 thread per call: the same kernels for every caller
  std::vector<ir::Tensor> inputs, expected;
  for (int k = 0; k < 8; ++k) {
    inputs.push_back(random_tensor({1 + k % 2, 3, 12, 10}, 100 + k));
    expected.push_back(s.run({{"image", inputs.back()}}).at(0));
  }
  runtime::Session shared(g, {1, true});  // fresh: batch 2 is compiled while others run
  std::vector<int> mismatches(callers, 0), runs(callers, 0);
  std::vector<std::string> errors(callers);
  std::vector<std::thread> threads;
  for (int t = 0; t < callers; ++t)
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < iterations; ++i) {
          const int k = (t + i * callers) % static_cast<int>(inputs.size());
          ir::Tensor y = shared.run({{"image", inputs[k]}}).at(0);
          ++runs[t];
          bool same = y.shape() == expected[k].shape();
          for (int64_t e = 0; same && e < y.numel(); ++e)
            same = y.data<float>()[e] == expected[k].data<float>()[e];
          if (!same) ++mismatches[t];
        }
      } catch (const std::exception& e) {
        errors[t] = e.what();
      }
    });
  for (std::thread& th : threads) th.join();
  for (int t = 0; t < callers; ++t) {
    EXPECT_EQ(errors[t], "") << "caller " << t;
    EXPECT_EQ(runs[t], iterations) << "caller " << t;
    EXPECT_EQ(mismatches[t], 0) << "caller " << t;
  }
}

}  // namespace

TEST(RuntimeConcurrentRun, FourCallersFp32MatchSingleCaller) { check_concurrent(fp32_net(), 4, 60); }

TEST(RuntimeConcurrentRun, FourCallersInt8MatchSingleCaller) {
  ir::Graph g = int8_net();
  // The model must really run int8 kernels, or the test would not cover them.
  runtime::Session probe(g, {1, true});
  const std::string plan = probe.describe_plan();
  const size_t first = plan.find("(QConv");
  ASSERT_NE(first, std::string::npos) << plan;
  EXPECT_NE(plan.find("(QConv", first + 1), std::string::npos) << plan;
  check_concurrent(g, 4, 60);
}

TEST(RuntimeConcurrentRun, SingleCallerOutputsAgreeWithReference) {
  // The single-caller outputs used above are themselves right (FP32 against the reference).
  ir::Graph g = fp32_net();
  runtime::Session s(g, {1, true});
  EXPECT_LT(compare_with_ref(g, s, {{2, 3, 12, 10}}, 4), 1e-4);
}
