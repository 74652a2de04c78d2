// Graph passes. Each has one signature: bool pass(Graph&) returns whether it changed the graph;
// when nothing matches it leaves the graph untouched. optimize() orders them (see pipeline.cpp).
#pragma once
#include "ir/ir.h"

namespace qcv::passes {

// Removes Identity nodes and inference-mode Dropout (rewiring consumers to their input).
bool remove_identity(ir::Graph& g);
// Folds Constant nodes into initializers and evaluates every node whose inputs are all constant
// (including the Shape->Gather->Unsqueeze->Concat->Reshape chains exporters emit once the input
// shape is known) with the reference kernels.
bool fold_constants(ir::Graph& g);
// Folds BatchNormalization into the preceding Conv or Gemm (when the conv output has no other
// reader), also when an activation follows the BN.
bool fold_batch_norm(ir::Graph& g);
// Removes nodes whose outputs nobody reads and initializers nobody uses.
bool eliminate_dead_code(ir::Graph& g);

// The standard pipeline, run to a fixed point; leaves shapes inferred.
void optimize(ir::Graph& g);

}  // namespace qcv::passes
