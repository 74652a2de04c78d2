// fold_constants: Constant nodes become initializers; nodes whose inputs are all constant are
// evaluated once with the reference kernels; Shape of a value whose shape is known becomes a
// constant; Reshape targets computed from a dynamic batch become constants (dynamic_reshape.h).
// QuantizeLinear/DequantizeLinear are never folded: in a QDQ graph the weight's Q/DQ pair is the
// quantization the runtime and the trainer must see.
#include <algorithm>

#include "passes/dynamic_reshape.h"
#include "passes/graph_edit.h"
#include "passes/passes.h"
#include "ref/ref.h"

namespace qcv::passes {
namespace {

// The value of a Constant node, from whichever of ONNX's value attributes it carries.
std::optional<ir::Tensor> constant_value(const ir::Node& n) {
  if (n.has_attr("value")) return n.attr_tensor("value");
  if (n.has_attr("value_float")) return ir::Tensor::scalar(n.attr_float("value_float", 0.0f));
  if (n.has_attr("value_int")) return ir::Tensor::scalar(n.attr_int("value_int"));
  if (n.has_attr("value_floats")) {
    auto v = n.attr_floats("value_floats", {});
    return ir::Tensor::from_vector<float>({static_cast<int64_t>(v.size())}, v);
  }
  if (n.has_attr("value_ints")) {
    auto v = n.attr_ints("value_ints");
    return ir::Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v);
  }
  return std::nullopt;
}

bool never_folded(const std::string& op) {
  return op == "QuantizeLinear" || op == "DequantizeLinear";
}

// A folded value lives in the model file: a small file must not turn into a huge allocation
// (ConstantOfShape of [1e9], Expand, Tile). Larger results stay computed at run time.
constexpr double kMaxFoldedBytes = 64.0 * 1024 * 1024;

// Whether shape inference, given the constant inputs, says some output exceeds kMaxFoldedBytes
// (or cannot tell its size).
bool output_too_large(const ir::Node& n, const std::vector<const ir::Tensor*>& inputs) {
  ir::InferContext ctx{n, {}, {}, {}};
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (!inputs[i]) {
      ctx.inputs.push_back(std::nullopt);
      ctx.constants.push_back(nullptr);
      continue;
    }
    ctx.inputs.push_back(ir::make_value(n.inputs[i], inputs[i]->dtype(), inputs[i]->shape()));
    ctx.constants.push_back(inputs[i]);
  }
  ctx.outputs.resize(n.outputs.size());
  try {
    ir::find_op(n.op)->infer(ctx);
  } catch (const Error&) {
    return false;  // the kernel reports the problem (and folding then leaves the node alone)
  }
  for (const ir::Value& v : ctx.outputs) {
    if (!v.has_shape) return true;
    double bytes = static_cast<double>(ir::dtype_size(v.dtype));
    for (int64_t d : v.shape) bytes *= d < 0 ? 1e30 : static_cast<double>(d);
    if (bytes > kMaxFoldedBytes) return true;
  }
  return false;
}

// Evaluates node n if all its inputs are initializers; returns its outputs, or nullopt.
std::optional<std::vector<ir::Tensor>> evaluate_constant_node(const ir::Graph& g,
                                                              const ir::Node& n) {
  if (n.op == "Constant") {
    auto value = constant_value(n);
    if (!value) return std::nullopt;
    return std::vector<ir::Tensor>{*value};
  }
  if (never_folded(n.op) || !ir::find_op(n.op)) return std::nullopt;
  std::vector<const ir::Tensor*> inputs;
  bool any_input = false;
  for (const std::string& in : n.inputs) {
    if (in.empty()) {
      inputs.push_back(nullptr);
      continue;
    }
    const ir::Tensor* t = g.initializer(in);
    if (!t) return std::nullopt;
    inputs.push_back(t);
    any_input = true;
  }
  if (!any_input || output_too_large(n, inputs)) return std::nullopt;
  try {
    std::vector<ir::Tensor> outputs = ref::run_node(n, inputs);
    for (size_t i = 0; i < n.outputs.size(); ++i)
      if (!n.outputs[i].empty() && (i >= outputs.size() || outputs[i].empty())) return std::nullopt;
    return outputs;
  } catch (const Error&) {
    // A node the reference kernels reject stays in the graph: the runtime reports it in context.
    return std::nullopt;
  }
}

// One sweep in node order: folds every node whose inputs are constant by then.
bool fold_constant_nodes(ir::Graph& g) {
  std::vector<bool> folded(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& n = g.nodes[i];
    auto outputs = evaluate_constant_node(g, n);
    if (!outputs) continue;
    for (size_t k = 0; k < n.outputs.size(); ++k) {
      if (n.outputs[k].empty()) continue;
      g.initializers[n.outputs[k]] = (*outputs)[k];
      g.value_info.erase(n.outputs[k]);
    }
    folded[i] = true;
  }
  bool changed = std::find(folded.begin(), folded.end(), true) != folded.end();
  if (changed) erase_nodes(g, folded);
  return changed;
}

// Shape(x) (with its start/end) where that part of x's shape is known after inference.
bool fold_known_shapes(ir::Graph& g, const ir::Graph& typed) {
  std::vector<bool> folded(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& n = g.nodes[i];
    if (n.op != "Shape") continue;
    auto x = typed.value_type(n.input(0));
    if (!x || !x->has_shape) continue;
    int64_t rank = static_cast<int64_t>(x->shape.size());
    int64_t start = n.attr_int("start", 0), end = n.attr_int("end", rank);
    if (start < 0) start += rank;
    if (end < 0) end += rank;
    start = std::clamp<int64_t>(start, 0, rank);
    end = std::clamp<int64_t>(end, start, rank);
    std::vector<int64_t> dims(x->shape.begin() + start, x->shape.begin() + end);
    if (std::any_of(dims.begin(), dims.end(), [](int64_t d) { return d < 0; })) continue;
    g.initializers[n.outputs[0]] =
        ir::Tensor::from_vector<int64_t>({static_cast<int64_t>(dims.size())}, dims);
    folded[i] = true;
  }
  bool changed = std::find(folded.begin(), folded.end(), true) != folded.end();
  if (changed) erase_nodes(g, folded);
  return changed;
}

}  // namespace

bool fold_constants(ir::Graph& g) {
  bool changed = false;
  // Each step can expose work for the others (a folded Shape makes its Gather constant, a constant
  // Reshape target makes a shape known): repeat until a round changes nothing.
  for (bool round_changed = true; round_changed;) {
    round_changed = fold_constant_nodes(g);
    // Inference runs on a copy (tensors are shared, not copied) so that an unmatched graph stays
    // untouched, value_info included.
    ir::Graph typed = g;
    ir::infer_shapes(typed);
    if (fold_known_shapes(g, typed))
      round_changed = true;
    else
      round_changed |= simplify_dynamic_reshapes(g, typed);
    changed |= round_changed;
  }
  return changed;
}

}  // namespace qcv::passes
