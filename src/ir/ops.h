// The one list of ops qcv understands. The importer, validation, shape inference, the reference
// kernels and the runtime's dispatch all read this table: adding an op starts here.
#pragma once
#include <optional>
#include <string_view>
#include <vector>

#include "ir/graph.h"

namespace qcv::ir {

// What shape inference sees of one node: its input types and, where an input is an initializer,
// its value (Reshape's shape, Clip's bounds, Squeeze's axes...).
struct InferContext {
  const Node& node;
  std::vector<std::optional<Value>> inputs;  // nullopt for an omitted optional input
  std::vector<const Tensor*> constants;      // nullptr unless the input is an initializer
  std::vector<Value> outputs;                // to fill: dtype, shape, has_shape

  const Value& in(size_t i) const;  // throws naming the node if input i is absent or untyped
  bool has_input(size_t i) const { return i < inputs.size() && inputs[i].has_value(); }
  [[noreturn]] void error(const std::string& what) const;
};

struct OpSchema {
  const char* name;
  int min_inputs, max_inputs;
  int min_outputs, max_outputs;
  void (*infer)(InferContext&);
};

const std::vector<OpSchema>& all_ops();
const OpSchema* find_op(std::string_view op_type);  // nullptr if qcv does not support it

// Checks the graph: every op known, input/output counts, no dangling value, no cycle, unique
// value producers, graph outputs produced. Sorts the nodes. Throws qcv::Error naming the node.
void validate(Graph& g);
// Infers dtype and shape of every node output (fills value_info and the graph outputs' types).
// Also checks dtypes and ranks, throwing qcv::Error naming the node on a mismatch.
void infer_shapes(Graph& g);

}  // namespace qcv::ir
