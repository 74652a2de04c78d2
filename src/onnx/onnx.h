// ONNX <-> IR. Import accepts opsets 7-17 (older op forms rewritten to the IR's opset-13
// semantics; Constant nodes become initializers; graph.opset keeps the file's opset) and runs
// ir::infer_shapes. Export writes opset 13 (14 when the graph uses HardSwish, an opset-14 op).
// Every failure is one qcv::Error naming the file, node, op and attribute.
#pragma once
#include <string>

#include "ir/ir.h"

namespace qcv::onnx {

ir::Graph load(const std::string& path);
ir::Graph load_from_bytes(const std::string& bytes, const std::string& origin = "<memory>");
// Writes atomically (temporary file + rename).
void save(const ir::Graph& g, const std::string& path);
std::string save_to_bytes(const ir::Graph& g);

// A serialized TensorProto (.pb, as in ONNX's test data).
ir::Tensor load_tensor(const std::string& path);
void save_tensor(const ir::Tensor& t, const std::string& path, const std::string& name = "");

}  // namespace qcv::onnx
