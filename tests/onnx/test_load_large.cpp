// Initializers large enough that load() keeps protobuf's raw_data instead of copying it: they
// must come back byte for byte, writable, and independent of a second load of the same file.
#include <gtest/gtest.h>

#include <cstring>

#include "onnx/onnx.h"
#include "sample_graphs.h"

namespace ir = qcv::ir;
namespace qonnx = qcv::onnx;
using qcv::test::make_node;
using qcv::test::random_floats;
using qcv::test::TempDir;

namespace {

// x[1,2048] + a (float, 8 KiB) -> * DequantizeLinear(q (int8, 2048 bytes: copied), s, z)
// + DequantizeLinear(big (int8, 16 KiB), s, z) reshaped.
ir::Graph large_initializers() {
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {1, 2048})};
  g.outputs = {ir::make_value("y")};
  g.initializers["a"] = random_floats({1, 2048}, 7);
  ir::Tensor q(ir::DType::Int8, {2048}), big(ir::DType::Int8, {8, 2048});
  for (int64_t i = 0; i < q.numel(); ++i) q.data<int8_t>()[i] = static_cast<int8_t>(i * 37);
  for (int64_t i = 0; i < big.numel(); ++i) big.data<int8_t>()[i] = static_cast<int8_t>(i * 11 + 3);
  g.initializers["q"] = q;
  g.initializers["big"] = big;
  g.initializers["s"] = ir::Tensor::scalar(0.02f);
  g.initializers["z"] = ir::Tensor::scalar<int8_t>(1);
  g.nodes = {make_node("add", "Add", {"x", "a"}, {"xa"}),
             make_node("dq", "DequantizeLinear", {"q", "s", "z"}, {"qd"}),
             make_node("mul", "Mul", {"xa", "qd"}, {"m"}),
             make_node("dq_big", "DequantizeLinear", {"big", "s", "z"}, {"bd"}),
             make_node("sum", "ReduceSum", {"bd"}, {"bs"},
                       {{"axes", std::vector<int64_t>{0}}, {"keepdims", int64_t{0}}}),
             make_node("out", "Add", {"m", "bs"}, {"y"})};
  return g;
}

void expect_same_bytes(const ir::Tensor& a, const ir::Tensor& b, const std::string& what) {
  ASSERT_EQ(a.dtype(), b.dtype()) << what;
  ASSERT_EQ(a.shape(), b.shape()) << what;
  EXPECT_EQ(std::memcmp(a.raw(), b.raw(), a.nbytes()), 0) << what;
}

TEST(LoadLarge, InitializersComeBackByteForByte) {
  const ir::Graph g = large_initializers();
  TempDir dir;
  const std::string path = dir.file("large.onnx");
  qonnx::save(g, path);
  const ir::Graph back = qonnx::load(path);
  for (const char* name : {"a", "q", "big", "s", "z"}) {
    ASSERT_TRUE(back.initializer(name)) << name;
    expect_same_bytes(*g.initializer(name), *back.initializer(name), name);
  }
  // The same file read through load_from_bytes (no file mapping) gives the same graph.
  EXPECT_EQ(qonnx::save_to_bytes(back),
            qonnx::save_to_bytes(qonnx::load_from_bytes(qcv::test::read_file(path), path)));
}

TEST(LoadLarge, LoadedWeightsAreWritableAndNotShared) {
  const ir::Graph g = large_initializers();
  TempDir dir;
  const std::string path = dir.file("large.onnx");
  qonnx::save(g, path);
  ir::Graph first = qonnx::load(path);
  ir::Tensor& a = first.initializers.at("a");
  for (int64_t i = 0; i < a.numel(); ++i) a.data<float>()[i] = 5.f;
  const ir::Graph second = qonnx::load(path);
  expect_same_bytes(*g.initializer("a"), *second.initializer("a"), "a");
  EXPECT_EQ(first.initializer("a")->data<float>()[2047], 5.f);
}

}  // namespace
