// Session behaviour: input checks, dynamic batch, repeated creation, memory planning.
#include "runtime_test_util.h"

using namespace qcv;
using namespace qcv::testing;
using Ints = std::vector<int64_t>;

namespace {

ir::Graph small_net(int64_t batch) {
  GraphMaker m;
  auto x = m.input("image", {batch, 3, 13, 9});
  auto h = m.node("Relu", {m.conv(x, 3, 16, 3, {{"pads", Ints{1, 1, 1, 1}}})});
  h = m.node("Relu", {m.node("Add", {m.conv(h, 16, 16, 3, {{"pads", Ints{1, 1, 1, 1}}}), h})});
  auto f = m.node("Flatten", {m.node("GlobalAveragePool", {h})});
  m.output(m.node("Gemm", {f, m.constant({5, 16}), m.constant({5})}, {{"transB", int64_t{1}}}));
  return m.g;
}

template <typename F>
std::string error_of(F&& f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(RuntimeSession, DynamicBatchOneSession) {
  ir::Graph g = small_net(-1);
  runtime::Session s(g, {2, true});
  for (int64_t batch : {1, 64, 3, 1})
    EXPECT_LT(compare_with_ref(g, s, {{batch, 3, 13, 9}}, static_cast<uint32_t>(batch)), 1e-4)
        << "batch " << batch;
  ASSERT_EQ(s.outputs().size(), 1u);
  EXPECT_EQ(s.inputs()[0].name, "image");
}

TEST(RuntimeSession, InputErrorsNameTheInput) {
  runtime::Session s(small_net(-1));
  ir::Tensor good = random_tensor({2, 3, 13, 9}, 1);
  EXPECT_NE(error_of([&] { s.run({}); }).find("'image' is missing"), std::string::npos);
  EXPECT_NE(error_of([&] {
              s.run({{"image", good}, {"extra", good}});
            }).find("unknown input 'extra'"),
            std::string::npos);
  ir::Tensor ints(ir::DType::Int64, {2, 3, 13, 9});
  EXPECT_NE(error_of([&] {
              s.run({{"image", ints}});
            }).find("'image' must be float32"),
            std::string::npos);
  std::string rank = error_of([&] { s.run({{"image", random_tensor({3, 13, 9}, 1)}}); });
  EXPECT_NE(rank.find("'image' must have shape"), std::string::npos) << rank;
  std::string dims = error_of([&] { s.run({{"image", random_tensor({2, 3, 13, 8}, 1)}}); });
  EXPECT_NE(dims.find("'image'"), std::string::npos) << dims;
  // The session still works after the errors.
  EXPECT_EQ(s.run({{"image", good}})[0].shape(), (ir::Shape{2, 5}));
}

TEST(RuntimeSession, InvalidGraphFailsAtCreationNamingTheNode) {
  GraphMaker m;
  auto x = m.input("x", {1, 3, 8, 8});
  m.output(m.conv(x, 4, 8, 3));  // weights expect 4 input channels, the input has 3
  std::string e = error_of([&] { runtime::Session s(m.g); });
  EXPECT_NE(e.find("Conv_0"), std::string::npos) << e;
}

TEST(RuntimeSession, CreatedAndRunInALoop) {
  ir::Graph g = small_net(-1);
  ir::Tensor x = random_tensor({2, 3, 13, 9}, 3);
  std::vector<ir::Tensor> want = ref::run_graph(g, {{"image", x}});
  for (int i = 0; i < 20; ++i) {
    runtime::Session s(g, {1 + i % 2, i % 3 != 0});
    std::vector<ir::Tensor> got = s.run({{"image", x}});
    ASSERT_EQ(got.size(), 1u);
    EXPECT_LT(relative_error(got[0], want[0]), 1e-4) << "iteration " << i;
  }
}

TEST(RuntimeSession, OutputsDoNotAliasInputsOrEachOther) {
  GraphMaker m;
  auto x = m.input("x", {2, 3});
  m.output(x);
  m.output(m.node("Flatten", {x}));
  m.g.outputs[0] = ir::make_value(x);
  runtime::Session s(m.g);
  ir::Tensor in = random_tensor({2, 3}, 4);
  auto out = s.run({{"x", in}});
  ASSERT_EQ(out.size(), 2u);
  out[0].data<float>()[0] = 42.f;
  EXPECT_NE(in.data<float>()[0], 42.f);
  EXPECT_NE(out[1].data<float>()[0], 42.f);
}

TEST(RuntimeSession, BuffersAreReusedAcrossAChain) {
  // Ten 3x3 convs on [1, 32, 28, 28] (100 KB each): a good plan keeps about two alive at a time.
  GraphMaker m;
  auto h = m.input("x", {1, 32, 28, 28});
  for (int i = 0; i < 10; ++i)
    h = m.node("Relu", {m.conv(h, 32, 32, 3, {{"pads", Ints{1, 1, 1, 1}}})});
  m.output(h);
  runtime::Session s(m.g, {2, true});
  EXPECT_LT(compare_with_ref(m.g, s, {{1, 32, 28, 28}}), 1e-4);
  size_t one = 32 * 28 * 28 * sizeof(float);
  EXPECT_LE(s.peak_activation_bytes(), 3 * one + (1 << 20)) << s.describe_plan();
}

TEST(RuntimeSession, KeepsOneCopyOfWeights) {
  // Once reordered for its primitive, a weight read only by that primitive is not kept twice;
  // a new batch size restores it from the reordered copy and computes the same numbers.
  GraphMaker m;
  auto x = m.input("x", {-1, 64, 14, 14});
  auto h = m.node("Relu", {m.conv(x, 64, 128, 3, {{"pads", Ints{1, 1, 1, 1}}})});
  h = m.node("Relu", {m.conv(h, 128, 128, 1)});
  auto f = m.node("Flatten", {m.node("GlobalAveragePool", {h})});
  m.output(
      m.node("Gemm", {f, m.constant({100, 128}), m.constant({100})}, {{"transB", int64_t{1}}}));
  size_t ir_bytes = 0;
  for (const auto& [name, t] : m.g.initializers) ir_bytes += t.nbytes();
  runtime::Session s(m.g, {2, true});
  // Two copies would be at least 2x; oneDNN's blocked layouts pad a little.
  EXPECT_LT(s.weight_bytes(), ir_bytes * 3 / 2);
  for (int64_t batch : {1, 5, 1})
    EXPECT_LT(compare_with_ref(m.g, s, {{batch, 64, 14, 14}}, static_cast<uint32_t>(batch)), 1e-4)
        << "batch " << batch;
}
