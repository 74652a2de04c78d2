// Checks of the quantization parameters of a QDQ graph, beyond what shape inference checks:
// a zero or negative scale, a wrong zero-point type or a per-axis size mismatch would otherwise
// give wrong numbers silently.
#include <cmath>

#include "quant/quant.h"

namespace qcv::quant {

namespace {

void check_node(const ir::Graph& g, const ir::Node& n) {
  const bool quantize = n.op == "QuantizeLinear";
  auto where = [&] { return fmt::format("{} '{}'", n.op, n.name); };
  if (n.inputs.size() < 2 || n.inputs[1].empty()) fail("{}: missing scale input", where());
  const std::string& scale_name = n.inputs[1];
  const std::string zp_name = n.input(2);
  auto x_type = g.value_type(n.inputs[0]);
  auto scale_type = g.value_type(scale_name);
  if (scale_type && scale_type->dtype != ir::DType::Float32)
    fail("{}: scale '{}' is {}, expected float32", where(), scale_name,
         ir::dtype_name(scale_type->dtype));

  // Zero point type: Q: uint8/int8 (its output type); DQ: the input's type.
  if (!zp_name.empty()) {
    auto zp_type = g.value_type(zp_name);
    if (zp_type) {
      if (quantize && zp_type->dtype != ir::DType::UInt8 && zp_type->dtype != ir::DType::Int8)
        fail("{}: zero point '{}' is {}, expected uint8 or int8", where(), zp_name,
             ir::dtype_name(zp_type->dtype));
      if (!quantize && x_type && x_type->dtype != ir::DType::Undefined &&
          zp_type->dtype != x_type->dtype)
        fail("{}: zero point '{}' is {} but input '{}' is {}", where(), zp_name,
             ir::dtype_name(zp_type->dtype), n.inputs[0], ir::dtype_name(x_type->dtype));
    }
  }

  const ir::Tensor* scale = g.initializer(scale_name);
  if (!scale) return;  // computed at run time: the kernels check it
  if (scale->rank() > 1)
    fail("{}: scale '{}' has rank {}, expected 0 or 1", where(), scale_name, scale->rank());
  if (scale->numel() == 0) fail("{}: scale '{}' is empty", where(), scale_name);
  for (int64_t i = 0; i < scale->numel(); ++i) {
    const double s = scale->as_double(i);
    if (!std::isfinite(s) || s <= 0)
      fail("{}: scale '{}' has value {:g} at index {}; scales must be finite and positive", where(),
           scale_name, s, i);
  }
  if (const ir::Tensor* zp = zp_name.empty() ? nullptr : g.initializer(zp_name)) {
    if (zp->numel() != scale->numel() || zp->rank() != scale->rank())
      fail("{}: zero point '{}' has shape {} but scale '{}' has shape {}", where(), zp_name,
           ir::shape_str(zp->shape()), scale_name, ir::shape_str(scale->shape()));
    if (zp->dtype() == ir::DType::Int32)
      for (int64_t i = 0; i < zp->numel(); ++i)
        if (zp->as_int64(i) != 0)
          fail("{}: int32 zero point '{}' is {} at index {}, must be 0", where(), zp_name,
               zp->as_int64(i), i);
  }
  if (scale->rank() == 1 && scale->numel() > 1) {
    if (!x_type || !x_type->has_shape) return;
    const int64_t rank = static_cast<int64_t>(x_type->shape.size());
    const int64_t attr = n.attr_int("axis", 1);
    const int64_t axis = attr < 0 ? attr + rank : attr;
    if (axis < 0 || axis >= rank)
      fail("{}: axis {} out of range for input '{}' of rank {}", where(), attr, n.inputs[0], rank);
    const int64_t dim = x_type->shape[axis];
    if (dim >= 0 && dim != scale->numel())
      fail("{}: per-axis scale '{}' has {} values but axis {} of '{}' {} has {}", where(),
           scale_name, scale->numel(), axis, n.inputs[0], ir::shape_str(x_type->shape), dim);
  }
}

}  // namespace

void validate_qdq(const ir::Graph& graph) {
  for (const auto& n : graph.nodes)
    if (n.op == "QuantizeLinear" || n.op == "DequantizeLinear") check_node(graph, n);
}

}  // namespace qcv::quant
