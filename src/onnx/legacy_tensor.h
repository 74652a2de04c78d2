// Older forms of the data-movement ops rewritten into the IR's (opset 13+) forms (private).
#pragma once
#include "ir/graph.h"

namespace qcv::onnx::detail {

// Pad-1/2 attributes -> inputs, Slice-1 attributes -> inputs, Split-2..11's `split` attribute ->
// input, Scatter -> ScatterElements, Concat-1's default axis, Reshape-1's `shape` attribute,
// Cast-1..5's string `to`. Returns true if `n` is one of these ops (rewritten or already current).
bool upgrade_tensor_node(ir::Graph& g, ir::Node& n, int64_t opset);

}  // namespace qcv::onnx::detail
