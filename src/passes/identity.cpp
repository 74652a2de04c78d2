// remove_identity: Identity and inference-mode Dropout pass their input through unchanged.
#include "passes/graph_edit.h"
#include "passes/passes.h"

namespace qcv::passes {
namespace {

// Dropout is a no-op at inference unless its training_mode input may be true, and it can only go
// when nobody reads its mask.
bool is_inference_dropout(const ir::Graph& g, const ir::Node& n) {
  if (n.outputs.size() > 1 && is_read(g, n.outputs[1])) return false;
  const std::string& training_mode = n.input(2);
  if (training_mode.empty()) return true;
  const ir::Tensor* t = g.initializer(training_mode);
  return t && t->numel() == 1 && t->as_int64(0) == 0;
}

}  // namespace

bool remove_identity(ir::Graph& g) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size();) {
    const ir::Node& n = g.nodes[i];
    bool passthrough = n.op == "Identity" || (n.op == "Dropout" && is_inference_dropout(g, n));
    if (passthrough && !n.input(0).empty() && bypass_node(g, i, n.inputs[0])) {
      changed = true;  // node i is gone: the next node now sits at index i
      continue;
    }
    ++i;
  }
  return changed;
}

}  // namespace qcv::passes
