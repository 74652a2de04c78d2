// Rewrites of ONNX op forms older than opset 13 into the IR's opset-13 semantics (private).
#pragma once
#include "ir/graph.h"

namespace qcv::onnx::detail {

// Per-node rewrites that need no shapes: Clip min/max attributes, Squeeze/Unsqueeze axes
// attributes, BatchNormalization's spatial/is_test/consumed_inputs. Also rejects attribute values
// that change semantics and that qcv does not implement. `opset` is the model's default opset.
void upgrade_node_forms(ir::Graph& g, int64_t opset);

// Ops outside the IR's table that upgrade_node_forms rewrites into table ops (Upsample).
bool rewritten_at_import(const std::string& op);

// Softmax, LogSoftmax and Hardmax before opset 13 coerce their input to 2-D at `axis` (default
// 1). Needs input ranks, so it runs after a first shape inference. Returns true if it changed the
// graph.
bool upgrade_softmax(ir::Graph& g, int64_t opset);

}  // namespace qcv::onnx::detail
