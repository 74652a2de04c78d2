// optimize(): the standard pass order, repeated until nothing changes.
#include "passes/passes.h"

namespace qcv::passes {

void optimize(ir::Graph& g) {
  // Why this order:
  // 1. remove_identity first, so that Conv -> Identity -> BN and similar become adjacent patterns.
  // 2. fold_constants next: BN parameters and Reshape targets written as Constant nodes or shape
  //    chains become initializers, which fold_batch_norm and the runtime need.
  // 3. fold_batch_norm, once its parameters are initializers.
  // 3b. the layout passes (zero Pad into Conv pads, Transpose pairs) after folding made pads and
  //     perms constant; before BN folding so that Pad -> Conv -> BN becomes Conv -> BN.
  // 4. eliminate_dead_code last: it sweeps what the others left behind (dynamic shape chains,
  //    the unfolded weights, BN parameters).
  // A round can expose work for an earlier pass (a folded BN may make a Reshape's input shape
  // known), hence the fixed point; each pass only shrinks the graph, so it terminates, and the
  // bound is a safety net.
  for (int round = 0; round < 32; ++round) {
    bool changed = remove_identity(g);
    changed |= fold_constants(g);
    changed |= fold_pad_into_window(g);
    changed |= cancel_transposes(g);
    changed |= fold_batch_norm(g);
    changed |= eliminate_dead_code(g);
    if (!changed) break;
  }
  ir::infer_shapes(g);
}

void canonicalize(ir::Graph& g) {
  // Folding first: pads, perms and Reshape targets computed by constant chains become
  // initializers that the layout passes can read.
  for (int round = 0; round < 32; ++round) {
    bool changed = fold_constants(g);
    changed |= fold_pad_into_window(g);
    changed |= cancel_transposes(g);
    changed |= eliminate_dead_code(g);
    if (!changed) break;
  }
  ir::infer_shapes(g);
}

}  // namespace qcv::passes
