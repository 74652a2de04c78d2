// Reshape targets computed from a tensor's own dynamic shape (internal to qcv_passes).
#pragma once
#include "ir/ir.h"

namespace qcv::passes {

// Exporters write x.view(x.size(0), -1) as Shape(x) -> Gather(0) -> Unsqueeze -> Concat([-1]) ->
// Reshape(x, ...) (tf2onnx, paddle2onnx: Shape(x) -> Slice(0:1) [-> Cast] -> Concat). With a dynamic batch the chain cannot be evaluated, but it can be read
// symbolically: each element of the target is a constant or "dimension i of x". When every
// unknown element is dimension i of the Reshape's own input at position i, it is Reshape's
// "copy this dimension" 0, so the target becomes a constant ([0, -1] is then a Flatten(axis=1)).
// `typed` is a shape-inferred copy of g. Returns whether g changed.
bool simplify_dynamic_reshapes(ir::Graph& g, const ir::Graph& typed);

}  // namespace qcv::passes
