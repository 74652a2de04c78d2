// The smallest trainable graph for checkpoint and EMA tests.
#pragma once
#include "ir/ir.h"

namespace qcv::test {

// y = Conv(x, W) with a 1x1 kernel: one parameter tensor of two values.
inline ir::Graph one_conv_graph(float w0, float w1) {
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {1, 1, 1, 1})};
  g.outputs = {ir::make_value("y")};
  g.initializers["W"] = ir::Tensor::from_vector<float>({2, 1, 1, 1}, {w0, w1});
  ir::Node n;
  n.name = "conv";
  n.op = "Conv";
  n.inputs = {"x", "W"};
  n.outputs = {"y"};
  g.nodes = {n};
  return g;
}

}  // namespace qcv::test
