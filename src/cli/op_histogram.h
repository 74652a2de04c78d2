// Op counts of a graph, shared by `info` and `optimize`.
#pragma once
#include <map>
#include <string>

#include "ir/graph.h"

namespace qcv::cli {

inline std::map<std::string, int> op_histogram(const ir::Graph& g) {
  std::map<std::string, int> h;
  for (const ir::Node& n : g.nodes) ++h[n.op];
  return h;
}

inline std::string format_histogram(const std::map<std::string, int>& h) {
  std::string s;
  for (const auto& [op, n] : h) s += (s.empty() ? "" : ", ") + op + " " + std::to_string(n);
  return s;
}

}  // namespace qcv::cli
