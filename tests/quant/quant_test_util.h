// Small hand-built graphs for the quantization tests.
#pragma once
#include <map>
#include <random>
#include <string>
#include <vector>

#include "common/graph_builder.h"
#include "ir/ir.h"

namespace qcv::test {

inline ir::Node node(std::string name, std::string op, std::vector<std::string> inputs,
                     std::vector<std::string> outputs,
                     std::map<std::string, ir::Attribute> attrs = {}) {
  return make_node(std::move(name), std::move(op), std::move(inputs), std::move(outputs),
                   std::move(attrs));
}

// x[N,4,8,8] -> c1 Conv3x3 -> r1 Relu -> c2 Conv3x3 -> add(c2, x) -> r2 Relu
//   -> gap GlobalAveragePool -> flat Flatten -> fc Gemm(transB) -> y[N,3]
// Tensor names: x t1 a1 t2 s a2 p f y; weights W1 B1 W2 B2 Wfc Bfc.
inline ir::Graph residual_block(uint32_t seed = 1, int64_t batch = -1) {
  std::mt19937 rng(seed);
  ir::Graph g;
  g.name = "residual_block";
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {batch, 4, 8, 8}));
  g.outputs.push_back(ir::make_value("y"));
  const std::map<std::string, ir::Attribute> conv = {{"kernel_shape", std::vector<int64_t>{3, 3}},
                                                     {"pads", std::vector<int64_t>{1, 1, 1, 1}}};
  g.initializers["W1"] = random_tensor({4, 4, 3, 3}, rng, -0.5f, 0.5f);
  g.initializers["B1"] = random_tensor({4}, rng, -0.2f, 0.2f);
  g.initializers["W2"] = random_tensor({4, 4, 3, 3}, rng, -0.5f, 0.5f);
  g.initializers["B2"] = random_tensor({4}, rng, -0.2f, 0.2f);
  g.initializers["Wfc"] = random_tensor({3, 4}, rng);
  g.initializers["Bfc"] = random_tensor({3}, rng, -0.1f, 0.1f);
  g.nodes.push_back(node("c1", "Conv", {"x", "W1", "B1"}, {"t1"}, conv));
  g.nodes.push_back(node("r1", "Relu", {"t1"}, {"a1"}));
  g.nodes.push_back(node("c2", "Conv", {"a1", "W2", "B2"}, {"t2"}, conv));
  g.nodes.push_back(node("add", "Add", {"t2", "x"}, {"s"}));
  g.nodes.push_back(node("r2", "Relu", {"s"}, {"a2"}));
  g.nodes.push_back(node("gap", "GlobalAveragePool", {"a2"}, {"p"}));
  g.nodes.push_back(node("flat", "Flatten", {"p"}, {"f"}));
  g.nodes.push_back(node("fc", "Gemm", {"f", "Wfc", "Bfc"}, {"y"}, {{"transB", int64_t(1)}}));
  ir::validate(g);
  ir::infer_shapes(g);
  return g;
}

inline std::vector<std::map<std::string, ir::Tensor>> random_batches(int count, int64_t batch,
                                                                     uint32_t seed = 7) {
  // Normal inputs: bell-shaped like real activations (histogram calibrators assume a tail).
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.0f, 1.0f);
  std::vector<std::map<std::string, ir::Tensor>> out;
  for (int i = 0; i < count; ++i) {
    ir::Tensor x(ir::DType::Float32, {batch, 4, 8, 8});
    for (int64_t k = 0; k < x.numel(); ++k) x.data<float>()[k] = normal(rng);
    out.push_back({{"x", x}});
  }
  return out;
}

}  // namespace qcv::test
