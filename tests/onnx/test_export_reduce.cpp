// The reduce family's IR forms export as valid ONNX: ReduceMean's axes attribute and ReduceSum's
// axes input at opset 13, LayerNormalization raising the opset to 17. ONNX's checker (full_check,
// with shape inference) is the independent judge; the file also loads back unchanged.
#include <gtest/gtest.h>

#include <cstdlib>

#include "onnx/onnx.h"
#include "ort_peer.h"

namespace ir = qcv::ir;
using qcv::test::make_node;
using qcv::test::random_floats;
using qcv::test::TempDir;

namespace {

bool onnx_checker_passes(const std::string& path) {
  std::string cmd =
      "/usr/bin/python3 -c \"import onnx,sys; "
      "onnx.checker.check_model(onnx.load(sys.argv[1]), full_check=True)\" '" +
      path + "'";
  return std::system(cmd.c_str()) == 0;
}

TEST(ExportReduce, ReductionsTopKSoftmaxFamilyLayerNormPassTheChecker) {
  if (std::system("/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "python3 onnx not available";
  ir::Graph g;
  g.name = "reduce_family";
  g.inputs = {ir::make_value("x", ir::DType::Float32, {2, 3, 4})};
  g.outputs = {ir::make_value("sum"),  ir::make_value("top"), ir::make_value("idx"),
               ir::make_value("norm"), ir::make_value("arg"), ir::make_value("ein")};
  g.initializers["axes"] = ir::Tensor::from_vector<int64_t>({1}, {2});
  g.initializers["k"] = ir::Tensor::from_vector<int64_t>({1}, {2});
  g.initializers["scale"] = random_floats({4}, 1);
  g.nodes = {
      make_node("mean", "ReduceMean", {"x"}, {"m"}, {{"axes", std::vector<int64_t>{1}}}),
      make_node("sum", "ReduceSum", {"m", "axes"}, {"sum"}, {{"keepdims", int64_t{0}}}),
      make_node("topk", "TopK", {"x", "k"}, {"top", "idx"}),
      make_node("lsm", "LogSoftmax", {"x"}, {"l"}, {{"axis", int64_t{1}}}),
      make_node("ln", "LayerNormalization", {"l", "scale"}, {"norm"}, {{"axis", int64_t{-1}}}),
      make_node("arg", "ArgMax", {"x"}, {"arg"}, {{"axis", int64_t{2}}}),
      make_node("ein", "Einsum", {"x", "x"}, {"ein"}, {{"equation", std::string("bij,bkj->bik")}}),
  };
  ir::infer_shapes(g);
  TempDir dir;
  const std::string path = dir.file("reduce.onnx");
  qcv::onnx::save(g, path);
  EXPECT_TRUE(onnx_checker_passes(path));
  ir::Graph back = qcv::onnx::load(path);
  EXPECT_EQ(back.opset, 17);
  ASSERT_EQ(back.nodes.size(), g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i) EXPECT_EQ(back.nodes[i].op, g.nodes[i].op);
  EXPECT_EQ(back.outputs[0].shape, (ir::Shape{2, 1}));
  EXPECT_EQ(back.outputs[5].shape, (ir::Shape{2, 3, 3}));
}

}  // namespace
