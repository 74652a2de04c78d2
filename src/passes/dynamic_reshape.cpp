#include "passes/dynamic_reshape.h"

#include <algorithm>
#include <map>
#include <optional>

namespace qcv::passes {
namespace {

// One element of a shape-valued int tensor: a constant, or dimension `axis` of value `source`.
struct DimExpr {
  int64_t value = 0;
  std::string source;  // empty: constant `value`
  int64_t axis = 0;
};
// A symbolic 0-D or 1-D int tensor.
struct SymbolicInts {
  bool scalar = false;
  std::vector<DimExpr> elems;
};
using SymbolicMap = std::map<std::string, SymbolicInts>;

bool is_int(ir::DType t) { return t == ir::DType::Int64 || t == ir::DType::Int32; }

std::optional<SymbolicInts> lookup(const ir::Graph& g, const SymbolicMap& known,
                                   const std::string& name) {
  if (const ir::Tensor* t = g.initializer(name)) {
    if (!is_int(t->dtype()) || t->rank() > 1) return std::nullopt;
    SymbolicInts s;
    s.scalar = t->rank() == 0;
    for (int64_t v : t->to_int64_vector()) s.elems.push_back({v, "", 0});
    return s;
  }
  auto it = known.find(name);
  if (it == known.end()) return std::nullopt;
  return it->second;
}

// Axes from the attribute (opset < 13) or a constant input; nullopt when not constant.
std::optional<std::vector<int64_t>> constant_axes(const ir::Graph& g, const ir::Node& n) {
  if (n.has_attr("axes")) return n.attr_ints("axes");
  if (n.input(1).empty()) return std::vector<int64_t>{};
  const ir::Tensor* t = g.initializer(n.input(1));
  if (!t) return std::nullopt;
  return t->to_int64_vector();
}

bool is_axis_zero_of_1d(int64_t axis) { return axis == 0 || axis == -1; }

// The symbolic value of node n's output, for the ops of shape arithmetic; nullopt otherwise.
std::optional<SymbolicInts> evaluate(const ir::Graph& g, const SymbolicMap& known,
                                     const ir::Node& n) {
  if (n.op == "Shape") {
    auto x = g.value_type(n.input(0));
    if (!x || !x->has_shape) return std::nullopt;
    int64_t rank = static_cast<int64_t>(x->shape.size());
    int64_t start = n.attr_int("start", 0), end = n.attr_int("end", rank);
    if (start < 0) start += rank;
    if (end < 0) end += rank;
    start = std::clamp<int64_t>(start, 0, rank);
    end = std::clamp<int64_t>(end, 0, rank);
    SymbolicInts s;
    for (int64_t i = start; i < end; ++i) {
      int64_t d = x->shape[i];
      s.elems.push_back(d >= 0 ? DimExpr{d, "", 0} : DimExpr{0, n.input(0), i});
    }
    return s;
  }
  if (n.op == "Identity" ||
      (n.op == "Cast" && is_int(ir::dtype_from_onnx(static_cast<int32_t>(n.attr_int("to", 0)))))) {
    return lookup(g, known, n.input(0));
  }
  if (n.op == "Gather") {
    auto data = lookup(g, known, n.input(0));
    const ir::Tensor* indices = g.initializer(n.input(1));
    if (!data || data->scalar || !indices || indices->rank() > 1 ||
        !is_axis_zero_of_1d(n.attr_int("axis", 0)))
      return std::nullopt;
    int64_t size = static_cast<int64_t>(data->elems.size());
    SymbolicInts s;
    s.scalar = indices->rank() == 0;
    for (int64_t i : indices->to_int64_vector()) {
      if (i < -size || i >= size) return std::nullopt;
      s.elems.push_back(data->elems[i < 0 ? i + size : i]);
    }
    return s;
  }
  if (n.op == "Unsqueeze" || n.op == "Squeeze") {
    auto data = lookup(g, known, n.input(0));
    auto axes = constant_axes(g, n);
    if (!data || !axes) return std::nullopt;
    bool unsqueeze = n.op == "Unsqueeze";
    // Only scalar <-> one-element vector.
    bool ok = unsqueeze
                  ? data->scalar && axes->size() == 1 && is_axis_zero_of_1d(axes->at(0))
                  : !data->scalar && data->elems.size() == 1 &&
                        (axes->empty() || (axes->size() == 1 && is_axis_zero_of_1d(axes->at(0))));
    if (!ok) return std::nullopt;
    data->scalar = !unsqueeze;
    return data;
  }
  if (n.op == "Slice") {  // tf2onnx and paddle2onnx take the batch as Slice(Shape(x), 0, 1)
    auto data = lookup(g, known, n.input(0));
    const ir::Tensor* starts = g.initializer(n.input(1));
    const ir::Tensor* ends = g.initializer(n.input(2));
    const ir::Tensor* axes = n.input(3).empty() ? nullptr : g.initializer(n.input(3));
    const ir::Tensor* steps = n.input(4).empty() ? nullptr : g.initializer(n.input(4));
    if (!data || data->scalar || !starts || !ends || starts->numel() != 1 || ends->numel() != 1 ||
        (!n.input(3).empty() && (!axes || !is_axis_zero_of_1d(axes->to_int64_vector().at(0)))) ||
        (!n.input(4).empty() && (!steps || steps->to_int64_vector().at(0) != 1)))
      return std::nullopt;
    int64_t size = static_cast<int64_t>(data->elems.size());
    auto clamp = [size](int64_t i) { return std::clamp<int64_t>(i < 0 ? i + size : i, 0, size); };
    int64_t begin = clamp(starts->to_int64_vector()[0]), end = clamp(ends->to_int64_vector()[0]);
    SymbolicInts s;
    for (int64_t i = begin; i < end; ++i) s.elems.push_back(data->elems[i]);
    return s;
  }
  if (n.op == "Concat") {
    if (!is_axis_zero_of_1d(n.attr_int("axis", 0))) return std::nullopt;
    SymbolicInts s;
    for (const std::string& in : n.inputs) {
      auto part = lookup(g, known, in);
      if (!part || part->scalar) return std::nullopt;
      s.elems.insert(s.elems.end(), part->elems.begin(), part->elems.end());
    }
    return s;
  }
  return std::nullopt;
}

// The constant Reshape target equivalent to `target` for data input `x`, if there is one.
std::optional<std::vector<int64_t>> constant_target(const ir::Node& reshape,
                                                    const SymbolicInts& target) {
  if (target.scalar || reshape.attr_int("allowzero", 0) != 0) return std::nullopt;
  std::vector<int64_t> out;
  bool symbolic = false;
  for (size_t i = 0; i < target.elems.size(); ++i) {
    const DimExpr& e = target.elems[i];
    if (e.source.empty()) {
      out.push_back(e.value);
    } else if (e.source == reshape.input(0) && e.axis == static_cast<int64_t>(i)) {
      out.push_back(0);  // "copy dimension i of the input"
      symbolic = true;
    } else {
      return std::nullopt;
    }
  }
  if (!symbolic) return std::nullopt;  // fully constant: plain constant folding's job
  return out;
}

// [0, -1], or [0, C] with C the product of the known trailing dims, is Flatten(axis=1).
bool is_flatten(const std::vector<int64_t>& target, const ir::Value& x) {
  if (target.size() != 2 || target[0] != 0 || !x.has_shape || x.shape.size() < 2) return false;
  if (target[1] == -1) return true;
  int64_t trailing = 1;
  for (size_t i = 1; i < x.shape.size(); ++i) {
    if (x.shape[i] < 0) return false;
    trailing *= x.shape[i];
  }
  return trailing == target[1];
}

}  // namespace

bool simplify_dynamic_reshapes(ir::Graph& g, const ir::Graph& typed) {
  SymbolicMap known;
  bool changed = false;
  for (const ir::Node& n : typed.nodes) {  // typed.nodes are in topological order
    if (n.op != "Reshape") {
      if (n.outputs.size() == 1)
        if (auto s = evaluate(typed, known, n)) known[n.outputs[0]] = *s;
      continue;
    }
    if (typed.is_initializer(n.input(1))) continue;
    auto symbolic = lookup(typed, known, n.input(1));
    if (!symbolic) continue;
    auto target = constant_target(n, *symbolic);
    int index = g.producer(n.outputs[0]);
    auto x = typed.value_type(n.input(0));
    if (!target || !x || index < 0 || g.nodes[index].input(1) != n.input(1)) continue;
    ir::Node& reshape = g.nodes[index];
    if (is_flatten(*target, *x)) {
      reshape.op = "Flatten";
      reshape.inputs.resize(1);
      reshape.attrs.clear();
      reshape.attrs["axis"] = int64_t{1};
    } else {
      reshape.inputs[1] = g.add_initializer(
          reshape.outputs[0] + "_shape",
          ir::Tensor::from_vector<int64_t>({static_cast<int64_t>(target->size())}, *target));
    }
    changed = true;
  }
  return changed;
}

}  // namespace qcv::passes
