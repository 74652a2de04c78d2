// MACs and parameter counts of any graph.
//
// MACs: multiply-adds of Conv (output elements x input channels per group x kernel area), Gemm
// (M x K x N) and MatMul at batch 1; element-wise ops, BN, pooling and biases are not counted, as
// in the published MobileNet/ResNet tables.
//
// Params: the convention of PyTorch's and Keras' "trainable parameters": conv/linear weights and
// biases and BN gamma/beta. BN running mean/variance are statistics, not parameters; scalar
// operands (Clip bounds, Dropout ratio, constants of element-wise ops), quantization scales and
// zero points, and integer shape tensors are not counted either. Quantized weights (int8/uint8/
// int32 initializers read by DequantizeLinear) count as the float weights they replace, so an FP32
// graph and its QDQ version have the same count.
// This is torchvision's convention: its documented counts are reproduced exactly (ResNet-18..152,
// MobileNet V2, V3 Large/Small). The TF tables use others, each reproduced to the printed digit
// in tests/models/test_published_costs.cpp: the V2 table counts no BN parameters at all (ours is
// 1% above it), the V1 table counts the checkpoint's 3 variables per BN channel (beta, moving
// mean, moving variance; ours is 0.2% below it), the EdgeTPU rows count no BN (ours: 2-3% above),
// and keras.applications' totals add the BN moving mean and variance (ours is 0.2% below). One
// convention for every graph keeps all rows within 3% (EdgeTPU 0.75: within the table's
// truncation, 3.1% above the printed figure).
#include <set>

#include "models/models.h"

namespace qcv::models {

namespace {

// Whether input `index` of `n` is a parameter slot (as opposed to a statistic or a constant).
bool is_parameter_slot(const ir::Node& n, size_t index, const ir::Tensor& t) {
  if (n.op == "BatchNormalization") return index == 1 || index == 2;
  if (n.op == "Clip" || n.op == "Dropout" || n.op == "Reshape" || n.op == "Squeeze" ||
      n.op == "Unsqueeze" || n.op == "Gather")
    return index == 0;
  if (n.op == "QuantizeLinear") return false;  // scale, zero point
  if (n.op == "DequantizeLinear") return index == 0 && t.dtype() != ir::DType::Float32;
  if (n.op == "Add" || n.op == "Sub" || n.op == "Mul" || n.op == "Div") return t.numel() > 1;
  return t.dtype() == ir::DType::Float32;
}

int64_t known_numel(const ir::Graph& g, const std::string& value, const ir::Node& n) {
  auto v = g.value_type(value);
  if (!v || !v->has_shape)
    fail("count_cost: node '{}' ({}): shape of '{}' unknown", n.name, n.op, value);
  for (int64_t d : v->shape)
    if (d < 0)
      fail("count_cost: node '{}' ({}): '{}' has unknown dimensions {}", n.name, n.op, value,
           ir::shape_str(v->shape));
  return ir::shape_numel(v->shape);
}

ir::Shape known_shape(const ir::Graph& g, const std::string& value, const ir::Node& n) {
  known_numel(g, value, n);
  return g.value_type(value)->shape;
}

int64_t node_macs(const ir::Graph& g, const ir::Node& n) {
  if (n.op == "Conv") {
    ir::Shape w = known_shape(g, n.input(1), n);
    int64_t per_output = 1;
    for (size_t i = 1; i < w.size(); ++i) per_output *= w[i];  // C/group x kernel area
    return known_numel(g, n.outputs[0], n) * per_output;
  }
  if (n.op == "Gemm") {
    ir::Shape a = known_shape(g, n.input(0), n);
    int64_t k = n.attr_int("transA", 0) ? a[0] : a[1];
    return known_numel(g, n.outputs[0], n) * k;
  }
  if (n.op == "MatMul") {
    ir::Shape a = known_shape(g, n.input(0), n);
    return known_numel(g, n.outputs[0], n) * a.back();
  }
  return 0;
}

}  // namespace

Cost count_cost(const ir::Graph& graph) {
  ir::Graph g = graph;  // tensors are shared, not copied
  for (ir::Value& in : g.inputs) {
    if (!in.has_shape) fail("count_cost: graph input '{}' has no shape", in.name);
    if (!in.shape.empty() && in.shape[0] < 0) in.shape[0] = 1;  // MACs at batch 1
    for (int64_t d : in.shape)
      if (d < 0)
        fail("count_cost: graph input '{}' has unknown dimensions {} (set the input size)", in.name,
             ir::shape_str(in.shape));
  }
  for (ir::Value& out : g.outputs) out.dim_names.clear();
  ir::infer_shapes(g);

  Cost cost;
  for (const ir::Node& n : g.nodes) cost.macs += node_macs(g, n);

  std::set<std::string> counted;
  for (const ir::Node& n : g.nodes) {
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const ir::Tensor* t = g.initializer(n.inputs[i]);
      if (!t || counted.count(n.inputs[i]) || !is_parameter_slot(n, i, *t)) continue;
      counted.insert(n.inputs[i]);
      cost.params += t->numel();
    }
  }
  return cost;
}

}  // namespace qcv::models
