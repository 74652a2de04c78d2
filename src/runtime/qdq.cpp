#include "runtime/qdq.h"

#include <cmath>

#include "ref/ref.h"

namespace qcv::runtime {

static bool is_int8(ir::DType t) { return t == ir::DType::Int8 || t == ir::DType::UInt8; }

std::optional<QParams> qdq_params(const ir::Graph& g, const ir::Node& n) {
  const bool is_q = n.op == "QuantizeLinear";
  const ir::Tensor* scale = g.initializer(n.input(1));
  const ir::Tensor* zp = n.input(2).empty() ? nullptr : g.initializer(n.input(2));
  auto x = g.value_type(n.input(0));
  QParams p;
  // The quantized type: a Q's zero point (uint8 when absent), a DQ's input.
  if (is_q) {
    auto zt = n.input(2).empty() ? std::nullopt : g.value_type(n.input(2));
    p.dtype = zt ? zt->dtype : ir::DType::UInt8;
  } else if (x) {
    p.dtype = x->dtype;
  }
  if (!n.input(2).empty()) {
    auto zt = g.value_type(n.input(2));
    if (zt && x && !is_q && zt->dtype != x->dtype)
      fail("node '{}' ({}): zero point '{}' is {} but the input '{}' is {}", n.name, n.op,
           n.input(2), ir::dtype_name(zt->dtype), n.input(0), ir::dtype_name(x->dtype));
    if (zt && !is_int8(zt->dtype) && zt->dtype != ir::DType::Int32)
      fail("node '{}' ({}): zero point '{}' has unsupported type {}", n.name, n.op, n.input(2),
           ir::dtype_name(zt->dtype));
  }
  if (!scale) return std::nullopt;
  if (scale->dtype() != ir::DType::Float32)
    fail("node '{}' ({}): scale '{}' must be float32, got {}", n.name, n.op, n.input(1),
         ir::dtype_name(scale->dtype()));
  if (scale->numel() == 0) fail("node '{}' ({}): scale '{}' is empty", n.name, n.op, n.input(1));
  p.scale = scale->to_float_vector();
  for (size_t i = 0; i < p.scale.size(); ++i)
    if (!(p.scale[i] > 0.f) || !std::isfinite(p.scale[i]))
      fail("node '{}' ({}): scale '{}'[{}] is {}: scales must be finite and > 0", n.name, n.op,
           n.input(1), i, p.scale[i]);
  if (!n.input(2).empty() && !zp) return std::nullopt;
  if (zp) {
    if (zp->numel() != scale->numel())
      fail("node '{}' ({}): zero point '{}' has {} values, scale '{}' has {}", n.name, n.op,
           n.input(2), zp->numel(), n.input(1), scale->numel());
    for (int64_t i = 0; i < zp->numel(); ++i)
      p.zero_point.push_back(static_cast<int32_t>(zp->as_int64(i)));
  } else {
    p.zero_point.assign(p.scale.size(), 0);
  }
  if (p.per_tensor()) return p;
  if (scale->rank() != 1)
    fail("node '{}' ({}): per-axis scale '{}' must be 1-D, got shape {}", n.name, n.op, n.input(1),
         ir::shape_str(scale->shape()));
  if (!x || !x->has_shape) return std::nullopt;
  const int64_t rank = static_cast<int64_t>(x->shape.size());
  int64_t axis = n.attr_int("axis", 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank)
    fail("node '{}' ({}): axis {} out of range for input shape {}", n.name, n.op,
         n.attr_int("axis", 1), ir::shape_str(x->shape));
  if (x->shape[axis] >= 0 && x->shape[axis] != scale->numel())
    fail("node '{}' ({}): per-axis scale '{}' has {} values but axis {} of input '{}' {} has {}",
         n.name, n.op, n.input(1), scale->numel(), axis, n.input(0), ir::shape_str(x->shape),
         x->shape[axis]);
  p.axis = axis;
  return p;
}

void validate_qdq_nodes(const ir::Graph& g) {
  for (const ir::Node& n : g.nodes)
    if (n.op == "QuantizeLinear" || n.op == "DequantizeLinear") qdq_params(g, n);
}

bool fold_weight_quantization(ir::Graph& g) {
  bool changed = false;
  std::vector<ir::Node> kept;
  for (ir::Node& n : g.nodes) {
    bool constant = n.op == "QuantizeLinear" && !g.is_graph_output(n.outputs[0]);
    for (const std::string& in : n.inputs)
      constant = constant && (in.empty() || g.is_initializer(in));
    if (!constant) {
      kept.push_back(std::move(n));
      continue;
    }
    std::vector<const ir::Tensor*> inputs;
    for (const std::string& in : n.inputs)
      inputs.push_back(in.empty() ? nullptr : g.initializer(in));
    g.initializers[n.outputs[0]] = ref::run_node(n, inputs).at(0);
    g.value_info.erase(n.outputs[0]);
    changed = true;
  }
  g.nodes = std::move(kept);
  if (changed) g.prune_unused();
  return changed;
}

std::optional<QuantWeight> quantized_weight(const ir::Graph& g, int p, int64_t axis) {
  if (p < 0 || g.nodes[p].op != "DequantizeLinear") return std::nullopt;
  const ir::Node& dq = g.nodes[p];
  const ir::Tensor* q = g.initializer(dq.input(0));
  if (!q || q->dtype() != ir::DType::Int8) return std::nullopt;
  auto params = qdq_params(g, dq);
  if (!params || (!params->per_tensor() && params->axis != axis)) return std::nullopt;
  for (int32_t z : params->zero_point)
    if (z != 0) return std::nullopt;  // oneDNN's int8 weights are symmetric
  return QuantWeight{q, *params};
}

std::optional<QParams> dequantized_activation(const ir::Graph& g, int p) {
  if (p < 0 || g.nodes[p].op != "DequantizeLinear") return std::nullopt;
  const ir::Node& dq = g.nodes[p];
  if (g.is_initializer(dq.input(0))) return std::nullopt;
  auto params = qdq_params(g, dq);
  if (!params || !params->per_tensor() || !is_int8(params->dtype)) return std::nullopt;
  return params;
}

std::optional<QParams> quantize_node_params(const ir::Graph& g, const ir::Node& n) {
  if (n.op != "QuantizeLinear") return std::nullopt;
  auto params = qdq_params(g, n);
  if (!params || !params->per_tensor() || !is_int8(params->dtype)) return std::nullopt;
  return params;
}

}  // namespace qcv::runtime
