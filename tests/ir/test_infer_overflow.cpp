// Issue 15 (found by fuzz_onnx): shape arithmetic on sizes and attributes from a file overflowed
// int64 (undefined behaviour; a wrapped size). Each case is now an error naming the node.
#include <gtest/gtest.h>

#include "ir/ir.h"

using namespace qcv;
using namespace qcv::ir;

namespace {

Node node(const std::string& name, const std::string& op, std::vector<std::string> in,
          std::vector<std::string> out, std::map<std::string, Attribute> attrs = {}) {
  Node n;
  n.name = name;
  n.op = op;
  n.inputs = std::move(in);
  n.outputs = std::move(out);
  for (auto& [k, v] : attrs) n.attrs[k] = v;
  return n;
}

// The message of the qcv::Error infer_shapes throws ("" if none).
std::string infer_error(Graph g) {
  try {
    infer_shapes(g);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace

// The fuzzer's input: a Reshape target whose known dims multiply past int64.
TEST(InferOverflow, ReshapeTargetProduct) {
  Graph g;
  g.inputs = {make_value("x", DType::Float32, {2, 3})};
  g.outputs = {make_value("y")};
  g.initializers["target"] = Tensor::from_vector<int64_t>(
      {3}, {4683743612465315841, 922407012476715010, -1});
  g.nodes = {node("reshape", "Reshape", {"x", "target"}, {"y"})};
  std::string e = infer_error(g);
  EXPECT_TRUE(has(e, "reshape") && has(e, "overflows")) << e;
}

TEST(InferOverflow, PoolPadsAndConvGroup) {
  Graph g;
  g.inputs = {make_value("x", DType::Float32, {1, 2, 8, 8})};
  g.outputs = {make_value("y")};
  const int64_t huge = int64_t{1} << 62;
  g.nodes = {node("pool", "MaxPool", {"x"}, {"y"},
                  {{"kernel_shape", std::vector<int64_t>{2, 2}},
                   {"pads", std::vector<int64_t>{huge, huge, huge, huge}}})};
  std::string e = infer_error(g);
  EXPECT_TRUE(has(e, "pool") && has(e, "overflows")) << e;

  g.nodes = {node("conv", "Conv", {"x", "w"}, {"y"}, {{"group", huge}})};
  g.initializers["w"] = Tensor(DType::Float32, {1, 4, 1, 1});
  e = infer_error(g);
  EXPECT_TRUE(has(e, "conv") && has(e, "overflows")) << e;
}

TEST(InferOverflow, PadAndTile) {
  Graph g;
  g.inputs = {make_value("x", DType::Float32, {2, 3})};
  g.outputs = {make_value("y")};
  const int64_t big = std::numeric_limits<int64_t>::max() - 1;
  g.initializers["pads"] = Tensor::from_vector<int64_t>({4}, {big, 0, big, 0});
  g.nodes = {node("pad", "Pad", {"x", "pads"}, {"y"})};
  std::string e = infer_error(g);
  EXPECT_TRUE(has(e, "pad") && has(e, "overflows")) << e;

  g.initializers["reps"] = Tensor::from_vector<int64_t>({2}, {int64_t{1} << 62, 1});
  g.nodes = {node("tile", "Tile", {"x", "reps"}, {"y"})};
  e = infer_error(g);
  // Refused either by Tile's own bound on repeats or by the checked product.
  EXPECT_TRUE(has(e, "tile") && (has(e, "overflows") || has(e, "too large"))) << e;
}
