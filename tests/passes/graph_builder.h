// Helpers to build small graphs by hand in the pass tests.
#pragma once
#include <algorithm>
#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "common/graph_builder.h"
#include "ir/ir.h"

namespace qcv::test {

inline ir::Tensor i64(std::vector<int64_t> values, bool scalar = false) {
  if (scalar) return ir::Tensor::scalar(values.at(0));
  int64_t size = static_cast<int64_t>(values.size());
  return ir::Tensor::from_vector<int64_t>({size}, values);
}

// Largest |a - b| relative to the largest |b| (outputs of the graph before a pass).
inline double max_relative_error(const ir::Tensor& a, const ir::Tensor& b) {
  if (a.shape() != b.shape()) return 1e30;
  double diff = 0, scale = 1e-12;
  for (int64_t i = 0; i < a.numel(); ++i) {
    diff = std::max(diff, std::abs(static_cast<double>(a.data<float>()[i]) - b.data<float>()[i]));
    scale = std::max(scale, std::abs(static_cast<double>(b.data<float>()[i])));
  }
  return diff / scale;
}

// The structure of a graph, to check that an unmatched pass left it as it was.
inline std::string describe(const ir::Graph& g) {
  std::string s;
  for (const ir::Node& n : g.nodes) {
    s += n.name + ":" + n.op + "(";
    for (const std::string& in : n.inputs) s += in + ",";
    s += ")->";
    for (const std::string& out : n.outputs) s += out + ",";
    s += ";";
  }
  for (const auto& [name, t] : g.initializers) s += " init " + name + ir::shape_str(t.shape());
  for (const ir::Value& v : g.outputs) s += " out " + v.name;
  return s;
}

}  // namespace qcv::test
