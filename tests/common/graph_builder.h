// Helpers to build small graphs by hand, shared by the layers' tests.
#pragma once
#include <map>
#include <random>
#include <string>
#include <vector>

#include "ir/ir.h"

namespace qcv::test {

inline ir::Node make_node(std::string name, std::string op, std::vector<std::string> inputs,
                          std::vector<std::string> outputs,
                          std::map<std::string, ir::Attribute> attrs = {}) {
  ir::Node n;
  n.name = std::move(name);
  n.op = std::move(op);
  n.inputs = std::move(inputs);
  n.outputs = std::move(outputs);
  n.attrs = std::move(attrs);
  return n;
}

inline ir::Tensor random_tensor(ir::Shape shape, std::mt19937& rng, float lo = -1.0f,
                                float hi = 1.0f) {
  std::uniform_real_distribution<float> dist(lo, hi);
  ir::Tensor t(ir::DType::Float32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

inline int count_ops(const ir::Graph& g, const std::string& op) {
  int count = 0;
  for (const ir::Node& n : g.nodes) count += n.op == op;
  return count;
}

}  // namespace qcv::test
