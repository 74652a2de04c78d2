// Reference kernels: plain, obviously-correct implementations of every op in the IR's op table,
// with ONNX semantics. They are the test oracle for the fast runtime, the runtime's fallback for
// ops oneDNN lacks, and the evaluator behind constant folding.
#pragma once
#include <map>
#include <string>
#include <vector>

#include "ir/ir.h"

namespace qcv::ref {

// Runs one node. inputs[i] is nullptr for an omitted optional input. Returns one tensor per node
// output (an unused optional output may be returned empty). Throws qcv::Error naming the node.
std::vector<ir::Tensor> run_node(const ir::Node& node,
                                 const std::vector<const ir::Tensor*>& inputs);

// True when a reference kernel exists for the op (every op in ir::all_ops() has one).
bool has_kernel(const std::string& op);

// Runs a whole graph with reference kernels. `feeds` maps graph input names to tensors; returns
// the graph outputs in order. Throws qcv::Error on a missing input or a shape/dtype mismatch.
// Outputs own their buffers (never aliasing feeds or initializers).
std::vector<ir::Tensor> run_graph(const ir::Graph& graph,
                                  const std::map<std::string, ir::Tensor>& feeds);

// ONNX QuantizeLinear arithmetic, the one definition shared by calibration, fake quantization and
// the kernels: round half to even, then saturate to [qmin, qmax].
int32_t quantize_value(float x, float scale, int32_t zero_point, int32_t qmin, int32_t qmax);

}  // namespace qcv::ref
