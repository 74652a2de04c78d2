// INT8 convolutions and Gemms at the ends of the int8 ranges, checked against sums computed by
// hand. oneDNN's int8 kernels for CPUs without VNNI add pairs of u8 x s8 products in saturating
// 16-bit lanes (255 x 127 x 2 > 32767); the runtime must not give those wrong sums. CTest runs
// this file a second time with DNNL_MAX_CPU_ISA=AVX2 (tests/runtime/CMakeLists.txt), i.e. as on
// a CPU without VNNI.
#include <gtest/gtest.h>

#include "int8_test_util.h"
#include "runtime/dnnl_util.h"

namespace qcv::testing {
namespace {

constexpr int64_t kChannels = 64;

// x (float, all `value`) -> Q/DQ (scale 1, zero point 0, `dtype`) -> Conv 1x1 or Gemm with int8
// weights all 127 (scale 1) -> float output: every output is kChannels x value x 127 exactly.
ir::Graph full_range(ir::DType dtype, bool conv) {
  GraphMaker m;
  const std::string x = conv ? m.input("x", {1, kChannels, 2, 2}) : m.input("x", {1, kChannels});
  const std::string xq = qdq(m, x, 1.f, 0, dtype);
  const ir::Shape wshape =
      conv ? ir::Shape{4, kChannels, 1, 1} : ir::Shape{4, kChannels};  // Gemm: transB
  ir::Tensor w(ir::DType::Int8, wshape);
  for (int64_t i = 0; i < w.numel(); ++i) w.data<int8_t>()[i] = 127;
  const std::string wq = m.node(
      "DequantizeLinear", {m.constant(w), m.constant(ir::Tensor::scalar<float>(1.f)),
                           m.constant(ir::Tensor::scalar<int8_t>(0))});
  m.output(conv ? m.node("Conv", {xq, wq}) : m.node("Gemm", {xq, wq}, {{"transB", int64_t{1}}}));
  return m.g;
}

void expect_exact(ir::DType dtype, bool conv, float value) {
  ir::Graph g = full_range(dtype, conv);
  const ir::Shape shape = g.inputs[0].shape;
  runtime::Session s(g, runtime::SessionOptions(1));
  ir::Tensor x(ir::DType::Float32, shape);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = value;
  const ir::Tensor y = s.run({{"x", x}})[0];
  const float want = kChannels * value * 127;  // exact in float: < 2^24
  for (int64_t i = 0; i < y.numel(); ++i)
    ASSERT_EQ(y.data<float>()[i], want) << "element " << i << "\n" << s.describe_plan();
  // Where the int8 kernels would saturate, the Session says how it runs these layers instead.
  if (!runtime::int8_sums_exact())
    EXPECT_NE(s.plan_warning().find("no VNNI"), std::string::npos) << s.plan_warning();
}

TEST(Int8FullRange, ConvUint8SourceAt255) { expect_exact(ir::DType::UInt8, true, 255); }
TEST(Int8FullRange, ConvInt8SourceAt127) { expect_exact(ir::DType::Int8, true, 127); }
TEST(Int8FullRange, ConvInt8SourceAtMinus128) { expect_exact(ir::DType::Int8, true, -128); }
TEST(Int8FullRange, GemmUint8SourceAt255) { expect_exact(ir::DType::UInt8, false, 255); }
TEST(Int8FullRange, GemmInt8SourceAt127) { expect_exact(ir::DType::Int8, false, 127); }

}  // namespace
}  // namespace qcv::testing
