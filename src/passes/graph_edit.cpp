#include "passes/graph_edit.h"

#include <algorithm>

namespace qcv::passes {

int count_reads(const ir::Graph& g, const std::string& value) {
  int reads = 0;
  for (const ir::Node& n : g.nodes)
    reads += static_cast<int>(std::count(n.inputs.begin(), n.inputs.end(), value));
  for (const ir::Value& out : g.outputs) reads += out.name == value;
  return reads;
}

void replace_reads(ir::Graph& g, const std::string& from, const std::string& to) {
  for (ir::Node& n : g.nodes)
    for (std::string& in : n.inputs)
      if (in == from) in = to;
}

void erase_nodes(ir::Graph& g, const std::vector<bool>& remove) {
  std::vector<ir::Node> kept;
  kept.reserve(g.nodes.size());
  for (size_t i = 0; i < g.nodes.size(); ++i)
    if (!remove[i]) kept.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(kept);
}

bool bypass_node(ir::Graph& g, size_t index, std::string source) {
  const std::string output = g.nodes[index].outputs.at(0);
  if (!g.is_graph_output(output)) {
    replace_reads(g, output, source);
    g.value_info.erase(output);
  } else {
    // The output name must survive: the producer of `source` takes it over.
    int producer = g.producer(source);
    if (producer < 0 || g.is_graph_output(source)) return false;
    for (std::string& o : g.nodes[producer].outputs)
      if (o == source) o = output;
    replace_reads(g, source, output);
    auto info = g.value_info.find(source);
    if (info != g.value_info.end()) {
      ir::Value v = info->second;
      v.name = output;
      g.value_info.erase(info);
      g.value_info[output] = v;
    }
  }
  std::vector<bool> remove(g.nodes.size(), false);
  remove[index] = true;
  erase_nodes(g, remove);
  return true;
}

}  // namespace qcv::passes
