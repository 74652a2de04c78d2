// Exported files must satisfy ONNX's own checker (full_check: shapes too) and run in ONNX Runtime.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "onnx/onnx.h"
#include "ort_peer.h"

namespace ir = qcv::ir;
namespace qonnx = qcv::onnx;
using qcv::test::TempDir;

namespace {

bool python_onnx_available() {
  static const bool ok = std::system("/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1") == 0;
  return ok;
}

int run_checker(const std::string& path, bool quiet = false) {
  std::string cmd =
      "/usr/bin/python3 -c \"import onnx,sys; "
      "onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)\" '" +
      path + "'" + (quiet ? " 2>/dev/null" : "");
  return std::system(cmd.c_str());
}

// MobileNetV3-style block: Conv -> HardSwish -> Conv(depthwise) -> HardSigmoid gate (Mul) ->
// Add residual, then MaxPool, AveragePool, Concat, Reshape, MatMul, Softmax.
ir::Graph v3_block() {
  using qcv::test::make_node;
  using qcv::test::random_floats;
  ir::Graph g;
  g.name = "v3_block";
  g.inputs = {ir::make_value("x", ir::DType::Float32, {-1, 4, 8, 8})};
  g.outputs = {ir::make_value("prob")};
  g.initializers["w1"] = random_floats({4, 4, 1, 1}, 1);
  g.initializers["w2"] = random_floats({4, 1, 3, 3}, 2);
  g.initializers["shape"] = ir::Tensor::from_vector<int64_t>({2}, {-1, 128});
  g.initializers["fc"] = random_floats({128, 5}, 3);
  g.initializers["lo"] = ir::Tensor::scalar(0.0f);
  g.initializers["hi"] = ir::Tensor::scalar(6.0f);
  g.nodes = {
      make_node("c1", "Conv", {"x", "w1"}, {"a"}),
      make_node("hs", "HardSwish", {"a"}, {"b"}),
      make_node("dw", "Conv", {"b", "w2"}, {"c"},
                {{"group", int64_t{4}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}}),
      make_node("gate", "HardSigmoid", {"c"}, {"d"}, {{"alpha", 1.0f / 6}, {"beta", 0.5f}}),
      make_node("mul", "Mul", {"c", "d"}, {"e"}),
      make_node("add", "Add", {"e", "x"}, {"f"}),
      make_node("clip", "Clip", {"f", "lo", "hi"}, {"f6"}),
      make_node(
          "maxpool", "MaxPool", {"f6"}, {"m"},
          {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}}),
      make_node(
          "avgpool", "AveragePool", {"f6"}, {"v"},
          {{"kernel_shape", std::vector<int64_t>{2, 2}}, {"strides", std::vector<int64_t>{2, 2}}}),
      make_node("concat", "Concat", {"m", "v"}, {"cat"}, {{"axis", int64_t{1}}}),
      make_node("reshape", "Reshape", {"cat", "shape"}, {"flat"}),
      make_node("matmul", "MatMul", {"flat", "fc"}, {"logits"}),
      make_node("softmax", "Softmax", {"logits"}, {"prob"}, {{"axis", int64_t{-1}}}),
  };
  return g;
}

void check_and_run(const ir::Graph& g, const ir::Shape& input_shape, size_t expected_outputs) {
  TempDir dir;
  std::string path = dir.file(g.name + ".onnx");
  qonnx::save(g, path);
  if (!python_onnx_available()) GTEST_SKIP() << "/usr/bin/python3 cannot import onnx";
  EXPECT_EQ(run_checker(path), 0) << path;
  if (!qcv::test::ort_available()) return;
  std::vector<float> y = qcv::test::run_ort(path, qcv::test::random_floats(input_shape, 21), dir);
  ASSERT_EQ(y.size(), expected_outputs);
  for (float v : y) EXPECT_TRUE(std::isfinite(v));
}

}  // namespace

TEST(Checker, SmallQdqClassifierPassesFullCheckAndRunsInOrt) {
  check_and_run(qcv::test::small_classifier(), {2, 3, 8, 8}, 2 * 10);
}

TEST(Checker, MobileNetV3StyleBlockPassesFullCheckAndRunsInOrt) {
  ir::Graph g = v3_block();
  check_and_run(g, {3, 4, 8, 8}, 3 * 5);
  // HardSwish is an opset-14 op: the export must say so for the checker to accept it.
  ir::Graph back = qonnx::load_from_bytes(qonnx::save_to_bytes(g));
  EXPECT_EQ(back.opset, 14);
}

TEST(Checker, RejectsAModelWeCorruptOnPurpose) {
  // Guards the checker test itself: a broken file must make the command fail.
  if (!python_onnx_available()) GTEST_SKIP() << "/usr/bin/python3 cannot import onnx";
  TempDir dir;
  std::string path = dir.file("broken.onnx");
  qcv::test::write_file(path, "garbage");
  EXPECT_NE(run_checker(path, true), 0);
}
