// The graph IR: ONNX-shaped (values referenced by name, nodes in topological order), with a typed
// subset of ONNX ops. Every model in qcv is a Graph; everything else is a function of one.
#pragma once
#include <cstdint>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <variant>
#include <unordered_map>
#include <unordered_set>
#include <vector>

#include "ir/tensor.h"

namespace qcv::ir {

// Type of a value flowing in the graph. A negative dimension is unknown (e.g. the symbolic batch);
// dim_names keeps its ONNX dim_param ("N", "batch_size") so that export can write it back.
struct Value {
  std::string name;
  DType dtype = DType::Undefined;
  Shape shape;
  std::vector<std::string> dim_names;  // empty, or one per dimension ("" where concrete)
  bool has_shape = false;              // false: rank unknown
};

// An untyped value (e.g. a graph output before inference) and a typed one with a known shape.
inline Value make_value(std::string name) {
  Value v;
  v.name = std::move(name);
  return v;
}
inline Value make_value(std::string name, DType dtype, Shape shape) {
  Value v;
  v.name = std::move(name);
  v.dtype = dtype;
  v.shape = std::move(shape);
  v.has_shape = true;
  return v;
}

using Attribute = std::variant<int64_t, float, std::string, std::vector<int64_t>,
                               std::vector<float>, Tensor>;

struct Node {
  std::string name;
  std::string op;                   // ONNX op_type, e.g. "Conv"
  std::vector<std::string> inputs;  // "" for an omitted optional input
  std::vector<std::string> outputs;
  std::map<std::string, Attribute> attrs;

  bool has_attr(const std::string& key) const { return attrs.count(key) > 0; }
  int64_t attr_int(const std::string& key, int64_t fallback) const;
  int64_t attr_int(const std::string& key) const;
  float attr_float(const std::string& key, float fallback) const;
  std::string attr_string(const std::string& key, const std::string& fallback) const;
  std::vector<int64_t> attr_ints(const std::string& key, std::vector<int64_t> fallback) const;
  std::vector<int64_t> attr_ints(const std::string& key) const;
  std::vector<float> attr_floats(const std::string& key, std::vector<float> fallback) const;
  const Tensor& attr_tensor(const std::string& key) const;
  // Input i, or "" when absent.
  const std::string& input(size_t i) const;
};

class Graph {
 public:
  std::string name = "qcv";
  int64_t opset = 13;
  std::vector<Value> inputs;   // graph inputs (never initializers)
  std::vector<Value> outputs;  // graph outputs
  std::vector<Node> nodes;     // topological order after sort()/validate()
  std::map<std::string, Tensor> initializers;
  std::map<std::string, Value> value_info;  // types of intermediate values (shape inference)
  std::map<std::string, std::string> metadata;  // ONNX metadata_props (labels, preprocessing...)

  // Lookups. A "value" is a graph input, an initializer or a node output.
  bool is_initializer(const std::string& name) const { return initializers.count(name) > 0; }
  const Tensor* initializer(const std::string& name) const;
  const Value* input_value(const std::string& name) const;
  bool is_graph_output(const std::string& name) const;
  // Type of any value (graph input/output, initializer or inferred); nullptr when unknown.
  std::optional<Value> value_type(const std::string& name) const;

  // Index of the node producing `value`, or -1 for graph inputs, initializers and unknown names.
  int producer(const std::string& value) const;
  // Indices of nodes that read `value`.
  std::vector<int> consumers(const std::string& value) const;
  int find_node(const std::string& node_name) const;  // -1 if absent

  // A name not yet used by any value or node: prefix, prefix_1, prefix_2, ... It reads the
  // whole graph: a pass that adds many names uses a NameGenerator instead.
  std::string unique_name(const std::string& prefix) const;
  // Adds an initializer under a fresh name derived from prefix; returns the name.
  std::string add_initializer(const std::string& prefix, Tensor t);

  // Orders nodes topologically (stable); throws naming a node on a cycle or a dangling input.
  void sort();
  // Removes initializers no node reads and value_info of values that no longer exist.
  void prune_unused();

  // While a Frozen scope is alive, producer() and consumers() answer from an index built once
  // (O(1) instead of a scan of every node), so that code reading a large graph stays linear.
  // The graph must not change during the scope; a copy of the graph is not frozen.
  class Frozen {
   public:
    explicit Frozen(const Graph& g);
    ~Frozen();
    Frozen(const Frozen&) = delete;
    Frozen& operator=(const Frozen&) = delete;

   private:
    const Graph& g_;
    bool owner_ = false;  // nested scopes share the outer one's index
  };

 private:
  struct Index;
  struct IndexSlot {  // copies of a Graph start without an index
    std::shared_ptr<const Index> index;
    IndexSlot() = default;
    IndexSlot(const IndexSlot&) {}
    IndexSlot& operator=(const IndexSlot&) {
      index.reset();
      return *this;
    }
  };
  mutable IndexSlot lookup_;
};

// Fresh names for a pass that adds many nodes, values or initializers: the graph's names are
// collected once (Graph::unique_name collects them per call: quadratic in a loop). Names are
// reserved when issued; names the pass adds to the graph by other means must be reserved too.
class NameGenerator {
 public:
  explicit NameGenerator(const Graph& g);
  // prefix, prefix_1, prefix_2, ...: the first not yet used; now used.
  std::string operator()(const std::string& prefix);
  void reserve(const std::string& name) { used_.insert(name); }

 private:
  std::unordered_set<std::string> used_;
  std::unordered_map<std::string, int> next_suffix_;
};

}  // namespace qcv::ir
