// eliminate_dead_code: drops nodes whose outputs nobody reads, then initializers nobody reads.
#include <unordered_set>

#include "passes/graph_edit.h"
#include "passes/passes.h"

namespace qcv::passes {

bool eliminate_dead_code(ir::Graph& g) {
  bool changed = false;
  // Removing a node can make its producers dead: sweep until nothing more goes.
  for (bool removed = true; removed;) {
    std::unordered_set<std::string> read;
    for (const ir::Node& n : g.nodes) read.insert(n.inputs.begin(), n.inputs.end());
    for (const ir::Value& v : g.outputs) read.insert(v.name);
    std::vector<bool> dead(g.nodes.size(), false);
    removed = false;
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      bool any_read = false;
      for (const std::string& o : g.nodes[i].outputs) any_read |= !o.empty() && read.count(o) > 0;
      dead[i] = !any_read;
      removed |= dead[i];
    }
    if (removed) erase_nodes(g, dead);
    changed |= removed;
  }
  size_t initializers_before = g.initializers.size();
  g.prune_unused();
  return changed || g.initializers.size() != initializers_before;
}

}  // namespace qcv::passes
