// Older forms of the elementwise math ops, rewritten at import into their opset-17 meaning:
// binary ops before opset 7 broadcast only with `broadcast`=1 (B aligned at `axis`, not
// numpy's trailing alignment), PRelu before 7 takes a per-channel slope of shape [C], and ops
// before opset 6 carry a `consumed_inputs` memory hint.
#include <set>
#include <string>

#include "ir/graph.h"

namespace qcv::onnx::detail {
namespace {

const std::set<std::string>& legacy_broadcast_ops() {
  static const std::set<std::string> ops = {"Add", "Sub", "Mul",   "Div",  "Pow",    "And",
                                            "Or",  "Xor", "Equal", "Less", "Greater"};
  return ops;
}

// Ops of this family whose old versions carry consumed_inputs.
const std::set<std::string>& math_ops() {
  // clang-format off
  static const std::set<std::string> ops = {
      "Abs", "Add", "Ceil", "Clip", "Div", "Elu", "Exp", "Floor", "HardSigmoid", "LeakyRelu",
      "Log", "Max", "Mean", "Min", "Mul", "Neg", "PRelu", "Reciprocal", "Relu", "Selu",
      "Sigmoid", "Sqrt", "Sub", "Sum", "Tanh", "Pow", "Softplus", "Softsign", "ThresholdedRelu"};
  // clang-format on
  return ops;
}

std::string node_ref(const ir::Node& n) { return fmt::format("node '{}' ({})", n.name, n.op); }

// Appends `trailing` ones to the shape of input 1 of node i: a new initializer when it is one,
// else a Reshape inserted before the node (then returns true: the node is now at i + 1).
bool append_ones_to_b(ir::Graph& g, size_t i, int64_t rank_b, int64_t trailing) {
  ir::Node& n = g.nodes[i];
  if (const ir::Tensor* init = g.initializer(n.inputs[1])) {
    ir::Shape s = init->shape();
    s.insert(s.end(), static_cast<size_t>(trailing), 1);
    n.inputs[1] = g.add_initializer(n.name + "_b_aligned", init->reshaped(s));
    return false;
  }
  // B computed at run time: Reshape it to [its dims (0 = copy), 1, ..., 1].
  std::vector<int64_t> target(static_cast<size_t>(rank_b), 0);
  target.insert(target.end(), static_cast<size_t>(trailing), 1);
  std::string shape = g.add_initializer(
      n.name + "_b_shape",
      ir::Tensor::from_vector<int64_t>({static_cast<int64_t>(target.size())}, target));
  std::string aligned = g.unique_name(n.name + "_b_aligned");
  std::string b_name = n.inputs[1];
  n.inputs[1] = aligned;
  ir::Node reshape{g.unique_name(n.name + "_align_b"), "Reshape", {b_name, shape}, {aligned}, {}};
  g.nodes.insert(g.nodes.begin() + static_cast<std::ptrdiff_t>(i), std::move(reshape));
  return true;
}

}  // namespace

// Returns true when it inserted a node before index i (the node itself is then at i + 1).
bool upgrade_math_node(ir::Graph& g, size_t i, int64_t opset) {
  ir::Node& n = g.nodes[i];
  if (math_ops().count(n.op)) n.attrs.erase("consumed_inputs");  // an old memory hint
  if (n.op == "PRelu" && opset < 7 && n.inputs.size() == 2) {
    // PRelu-6 and older: a slope of X's channel count is per channel (axis 1), which numpy
    // broadcasting would align with X's last axis instead.
    auto x = g.value_type(n.inputs[0]);
    auto slope = g.value_type(n.inputs[1]);
    if (x && x->has_shape && x->shape.size() >= 3 && slope && slope->has_shape &&
        slope->shape.size() == 1 && slope->shape[0] > 1 && slope->shape[0] == x->shape[1])
      return append_ones_to_b(g, i, 1, static_cast<int64_t>(x->shape.size()) - 2);
    return false;
  }
  if (!legacy_broadcast_ops().count(n.op) || opset >= 7) return false;
  const bool broadcast = n.attr_int("broadcast", 0) != 0;
  const bool has_axis = n.has_attr("axis");
  const int64_t axis = n.attr_int("axis", 0);
  n.attrs.erase("broadcast");
  n.attrs.erase("axis");
  // Without broadcast the shapes are equal; without an axis B is a suffix of A: both are what
  // numpy broadcasting does.
  if (!broadcast || !has_axis || n.inputs.size() != 2) return false;
  auto a = g.value_type(n.inputs[0]);
  auto b = g.value_type(n.inputs[1]);
  if (!a || !a->has_shape || !b || !b->has_shape)
    fail(
        "{}: the legacy broadcast attribute with axis={} needs the ranks of both inputs, which "
        "are unknown at import",
        node_ref(n), axis);
  const auto rank_a = static_cast<int64_t>(a->shape.size());
  const auto rank_b = static_cast<int64_t>(b->shape.size());
  const int64_t start = axis < 0 ? axis + rank_a : axis;
  if (start < 0 || start + rank_b > rank_a)
    fail("{}: legacy broadcast axis {} does not fit B of rank {} into A of rank {}", node_ref(n),
         axis, rank_b, rank_a);
  const int64_t trailing = rank_a - start - rank_b;  // ones to append to B's shape
  if (trailing == 0) return false;
  return append_ones_to_b(g, i, rank_b, trailing);
}

}  // namespace qcv::onnx::detail
