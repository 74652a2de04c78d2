// fold_constants: Constant nodes become initializers; nodes whose inputs are all constant are
// evaluated once with the reference kernels; Shape of a value whose shape is known becomes a
// constant; Reshape targets computed from a dynamic batch become constants (dynamic_reshape.h).
// QuantizeLinear/DequantizeLinear are never folded: in a QDQ graph the weight's Q/DQ pair is the
// quantization the runtime and the trainer must see.
#include <algorithm>

#include "ir/limits.h"
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

// A folded value lives in memory beside the model: a small file must not turn into a huge
// allocation (ConstantOfShape of [1e9], Expand, Tile, a chain of them). Each folded value is at most
// kMaxFoldedBytes, and one fold_constants call adds at most what keeps the graph's constants under
// max(kMaxGraphConstBytes, their size before), plus small values (shape arithmetic) up to
// kSmallFoldBytes in all: so repeated calls cannot compound. Both ceilings shrink with a lower
// QCV_MAX_TENSOR_BYTES (to it and 4x it). Whatever is not folded stays a node, computed at run time.
constexpr uint64_t kMaxFoldedBytes = 64ull << 20;
constexpr uint64_t kMaxGraphConstBytes = 256ull << 20;
constexpr uint64_t kSmallValueBytes = 64ull << 10, kSmallFoldBytes = 1ull << 20;

struct FoldBudget {
  uint64_t left = 0;        // under the graph-wide ceiling
  uint64_t small_left = 0;  // for values of at most kSmallValueBytes beyond it
  uint64_t per_value = 0;

  explicit FoldBudget(const ir::Graph& g) {
    uint64_t before = 0;
    for (const auto& [name, t] : g.initializers) before += t.nbytes();
    const uint64_t ceiling = limits::max_tensor_bytes();
    per_value = std::min<uint64_t>(kMaxFoldedBytes, ceiling);
    const uint64_t graph_total =
        std::min<uint64_t>(kMaxGraphConstBytes, ceiling > (~0ull >> 2) ? ~0ull : ceiling * 4);
    left = before < graph_total ? graph_total - before : 0;
    small_left = kSmallFoldBytes;
  }
  // Takes `bytes` from the budget if it fits.
  bool take(uint64_t bytes) {
    if (bytes > per_value) return false;
    if (bytes <= left) return left -= bytes, true;
    if (bytes <= kSmallValueBytes && bytes <= small_left) return small_left -= bytes, true;
    return false;
  }
};

// Total bytes of n's outputs as shape inference predicts them from the constant inputs; nullopt
// when inference fails or cannot tell (then the node is not folded: the kernel is never run on
// sizes nobody checked).
std::optional<uint64_t> predicted_output_bytes(const ir::Node& n,
                                               const std::vector<const ir::Tensor*>& inputs) {
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
    return std::nullopt;  // the runtime reports the problem in context
  }
  uint64_t total = 0;
  for (const ir::Value& v : ctx.outputs) {
    if (!v.has_shape) return std::nullopt;
    uint64_t bytes = ir::dtype_size(v.dtype);
    for (int64_t d : v.shape)
      if (d < 0 || limits::mul_overflows(bytes, static_cast<uint64_t>(d), &bytes))
        return std::nullopt;
    if (limits::add_overflows(total, bytes, &total)) return std::nullopt;
  }
  return total;
}

// Evaluates node n if all its inputs are initializers and its outputs fit the budget; returns
// its outputs, or nullopt.
std::optional<std::vector<ir::Tensor>> evaluate_constant_node(const ir::Graph& g,
                                                              const ir::Node& n,
                                                              FoldBudget& budget) {
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
  if (!any_input) return std::nullopt;
  const std::optional<uint64_t> bytes = predicted_output_bytes(n, inputs);
  if (!bytes || !budget.take(*bytes)) return std::nullopt;
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
bool fold_constant_nodes(ir::Graph& g, FoldBudget& budget) {
  std::vector<bool> folded(g.nodes.size(), false);
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& n = g.nodes[i];
    auto outputs = evaluate_constant_node(g, n, budget);
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
  FoldBudget budget(g);
  // Each step can expose work for the others (a folded Shape makes its Gather constant, a constant
  // Reshape target makes a shape known): repeat until a round changes nothing.
  for (bool round_changed = true; round_changed;) {
    round_changed = fold_constant_nodes(g, budget);
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
