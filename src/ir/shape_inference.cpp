// Shape and dtype inference, one function per op family. Unknown dimensions are -1 and propagate.
#include "ir/shape_inference.h"

#include <algorithm>

#include "ir/infer_util.h"
#include "ir/ops.h"

namespace qcv::ir {

const Value& InferContext::in(size_t i) const {
  if (i >= inputs.size() || !inputs[i]) error(fmt::format("input {} is missing", i));
  return *inputs[i];
}

void InferContext::error(const std::string& what) const {
  fail("node '{}' ({}): {}", node.name, node.op, what);
}

namespace infer {

void same_as_input(InferContext& c) {
  c.outputs[0] = c.in(0);
  c.outputs[0].name.clear();
}

void float_unary(InferContext& c) {
  expect_float32(c, 0);
  same_as_input(c);
}

void dropout(InferContext& c) {
  if (!is_float(c.in(0).dtype)) c.error("input must be float32 or float64");
  same_as_input(c);
  if (c.outputs.size() > 1) {
    c.outputs[1] = c.outputs[0];
    c.outputs[1].dtype = DType::Bool;
  }
}

Shape broadcast_shapes(const InferContext& c, const Shape& a, const Shape& b) {
  size_t rank = std::max(a.size(), b.size());
  Shape out(rank);
  for (size_t i = 0; i < rank; ++i) {
    int64_t da = i < rank - a.size() ? 1 : a[i - (rank - a.size())];
    int64_t db = i < rank - b.size() ? 1 : b[i - (rank - b.size())];
    if (da == 1) out[i] = db;
    else if (db == 1) out[i] = da;
    else if (da < 0 || db < 0) out[i] = std::max(da, db);
    else if (da == db) out[i] = da;
    else c.error(fmt::format("cannot broadcast {} with {}", shape_str(a), shape_str(b)));
  }
  return out;
}

void elementwise_binary(InferContext& c) {
  const Value& a = c.in(0);
  const Value& b = c.in(1);
  if (a.dtype != b.dtype)
    c.error(fmt::format("inputs have different dtypes: {} and {}", dtype_name(a.dtype),
                        dtype_name(b.dtype)));
  if (!a.has_shape || !b.has_shape) {
    c.outputs[0] = rank_unknown(a.dtype);
    return;
  }
  c.outputs[0] = typed(a.dtype, broadcast_shapes(c, a.shape, b.shape));
}

void clip(InferContext& c) {
  expect_float32(c, 0);
  for (size_t i = 1; i < 3; ++i)
    if (c.has_input(i) && c.in(i).has_shape && shape_numel(c.in(i).shape) != 1)
      c.error(fmt::format("bound input {} must be a scalar", i));
  same_as_input(c);
}

// Spatial output size of a conv/pool window, ONNX formula incl. auto_pad and ceil_mode.
static void window_output(InferContext& c, const Shape& x, const std::vector<int64_t>& kernel,
                          Shape& out) {
  size_t spatial = x.size() - 2;
  if (kernel.size() != spatial)
    c.error(fmt::format("kernel has {} dims for input {}", kernel.size(), shape_str(x)));
  auto strides = c.node.attr_ints("strides", std::vector<int64_t>(spatial, 1));
  auto dilations = c.node.attr_ints("dilations", std::vector<int64_t>(spatial, 1));
  auto pads = c.node.attr_ints("pads", std::vector<int64_t>(2 * spatial, 0));
  std::string auto_pad = c.node.attr_string("auto_pad", "NOTSET");
  bool ceil_mode = c.node.attr_int("ceil_mode", 0) != 0;
  if (strides.size() != spatial || dilations.size() != spatial || pads.size() != 2 * spatial)
    c.error("strides/dilations/pads do not match the spatial rank");
  for (size_t i = 0; i < spatial; ++i) {
    if (strides[i] <= 0 || dilations[i] <= 0 || kernel[i] <= 0)
      c.error("kernel, strides and dilations must be positive");
    int64_t in = x[i + 2];
    if (in < 0) {
      out.push_back(-1);
      continue;
    }
    int64_t effective = dim_add(c.node, dim_mul(c.node, dilations[i], kernel[i] - 1), 1);
    int64_t o;
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      o = dim_add(c.node, in, strides[i] - 1) / strides[i];
    } else if (auto_pad == "VALID") {
      o = (in - effective) / strides[i] + 1;
    } else if (auto_pad == "NOTSET") {
      int64_t span = dim_sub(c.node, dim_add(c.node, dim_add(c.node, in, pads[i]), pads[i + spatial]), effective);
      o = (ceil_mode ? dim_add(c.node, span, strides[i] - 1) / strides[i] : span / strides[i]) + 1;
      // ONNX: with ceil_mode the last window must start inside the input or left padding.
      if (ceil_mode && dim_mul(c.node, o - 1, strides[i]) >= dim_add(c.node, in, pads[i])) --o;
    } else {
      c.error(fmt::format("unsupported auto_pad '{}'", auto_pad));
    }
    if (o <= 0) c.error(fmt::format("window does not fit input {}", shape_str(x)));
    out.push_back(o);
  }
}

void conv(InferContext& c) {
  expect_float32(c, 0);
  expect_float32(c, 1);
  expect_rank_at_least(c, 0, 3);
  const Value& x = c.in(0);
  const Value& w = c.in(1);
  if (!w.has_shape) c.error("weight shape unknown");
  if (x.has_shape && x.shape.size() != w.shape.size())
    c.error(fmt::format("input {} and weight {} ranks differ", shape_str(x.shape), shape_str(w.shape)));
  int64_t group = c.node.attr_int("group", 1);
  if (group <= 0) c.error("group must be positive");
  if (x.has_shape && x.shape[1] >= 0 && x.shape[1] != dim_mul(c.node, w.shape[1], group))
    c.error(fmt::format("input has {} channels, weight {} with group {} expects {}", x.shape[1],
                        shape_str(w.shape), group, w.shape[1] * group));
  if (w.shape[0] % group != 0) c.error("output channels not divisible by group");
  if (c.has_input(2)) {
    const Value& b = c.in(2);
    if (b.has_shape && (b.shape.size() != 1 || b.shape[0] != w.shape[0]))
      c.error(fmt::format("bias shape {} does not match {} output channels", shape_str(b.shape), w.shape[0]));
  }
  if (!x.has_shape) {
    c.outputs[0] = rank_unknown(DType::Float32);
    return;
  }
  std::vector<int64_t> kernel(w.shape.begin() + 2, w.shape.end());
  if (c.node.has_attr("kernel_shape") && c.node.attr_ints("kernel_shape") != kernel)
    c.error("kernel_shape attribute does not match the weight");
  Shape out{x.shape[0], w.shape[0]};
  window_output(c, x.shape, kernel, out);
  c.outputs[0] = typed(DType::Float32, out);
}

// MaxPool also takes (u)int8 (opset 12); the others float32/float64. Output dtype = input's.
static void expect_pool_dtype(const InferContext& c) {
  DType t = c.in(0).dtype;
  bool ok = is_float(t) || (c.node.op == "MaxPool" && (t == DType::UInt8 || t == DType::Int8));
  if (!ok) c.error(fmt::format("input 0 '{}' has unsupported dtype {}", c.node.input(0), dtype_name(t)));
}

void pool(InferContext& c) {
  expect_pool_dtype(c);
  expect_rank_at_least(c, 0, 3);
  const Value& x = c.in(0);
  if (!x.has_shape) {
    c.outputs[0] = rank_unknown(x.dtype);
    return;
  }
  Shape out{x.shape[0], x.shape[1]};
  window_output(c, x.shape, c.node.attr_ints("kernel_shape"), out);
  c.outputs[0] = typed(x.dtype, out);
  if (c.outputs.size() > 1) c.outputs[1] = typed(DType::Int64, out);
}

// GlobalAveragePool, GlobalMaxPool, GlobalLpPool: N x C x 1 x ... x 1.
void global_pool(InferContext& c) {
  expect_pool_dtype(c);
  expect_rank_at_least(c, 0, 3);
  const Value& x = c.in(0);
  if (!x.has_shape) {
    c.outputs[0] = rank_unknown(x.dtype);
    return;
  }
  Shape out = x.shape;
  std::fill(out.begin() + 2, out.end(), 1);
  c.outputs[0] = typed(x.dtype, out);
}

void batch_norm(InferContext& c) {
  expect_float32(c, 0);
  expect_rank_at_least(c, 0, 2);
  const Value& x = c.in(0);
  for (size_t i = 1; i < 5; ++i) {
    const Value& p = c.in(i);
    if (p.has_shape && x.has_shape && x.shape[1] >= 0 &&
        (p.shape.size() != 1 || p.shape[0] != x.shape[1]))
      c.error(fmt::format("parameter {} has shape {}, expected [{}]", i, shape_str(p.shape), x.shape[1]));
  }
  same_as_input(c);
  for (size_t i = 1; i < c.outputs.size(); ++i) c.outputs[i] = c.in(1);
}

void gemm(InferContext& c) {
  expect_float32(c, 0);
  expect_float32(c, 1);
  const Value& a = c.in(0);
  const Value& b = c.in(1);
  if ((a.has_shape && a.shape.size() != 2) || (b.has_shape && b.shape.size() != 2))
    c.error(fmt::format("inputs must be 2-D, got {} and {}", shape_str(a.shape), shape_str(b.shape)));
  if (!a.has_shape || !b.has_shape) {
    c.outputs[0] = rank_unknown(DType::Float32);
    return;
  }
  bool ta = c.node.attr_int("transA", 0), tb = c.node.attr_int("transB", 0);
  int64_t m = ta ? a.shape[1] : a.shape[0], ka = ta ? a.shape[0] : a.shape[1];
  int64_t kb = tb ? b.shape[1] : b.shape[0], n = tb ? b.shape[0] : b.shape[1];
  if (ka >= 0 && kb >= 0 && ka != kb)
    c.error(fmt::format("inner dimensions differ: {} and {}", shape_str(a.shape), shape_str(b.shape)));
  if (c.has_input(2) && c.in(2).has_shape) broadcast_shapes(c, c.in(2).shape, {m, n});
  c.outputs[0] = typed(DType::Float32, {m, n});
}

void matmul(InferContext& c) {
  const Value& a = c.in(0);
  const Value& b = c.in(1);
  if (a.dtype != b.dtype) c.error("inputs have different dtypes");
  if (!a.has_shape || !b.has_shape) {
    c.outputs[0] = rank_unknown(a.dtype);
    return;
  }
  Shape sa = a.shape, sb = b.shape;
  if (sa.empty() || sb.empty()) c.error("MatMul inputs must have rank >= 1");
  bool va = sa.size() == 1, vb = sb.size() == 1;
  if (va) sa.insert(sa.begin(), 1);
  if (vb) sb.push_back(1);
  int64_t k1 = sa.back(), k2 = sb[sb.size() - 2];
  if (k1 >= 0 && k2 >= 0 && k1 != k2)
    c.error(fmt::format("inner dimensions differ: {} and {}", shape_str(a.shape), shape_str(b.shape)));
  Shape batch = broadcast_shapes(c, Shape(sa.begin(), sa.end() - 2), Shape(sb.begin(), sb.end() - 2));
  if (!va) batch.push_back(sa[sa.size() - 2]);
  if (!vb) batch.push_back(sb.back());
  c.outputs[0] = typed(a.dtype, batch);
}

void flatten(InferContext& c) {
  const Value& x = c.in(0);
  if (!x.has_shape) {
    c.outputs[0] = typed(x.dtype, {-1, -1});
    return;
  }
  int64_t rank = static_cast<int64_t>(x.shape.size());
  int64_t axis = c.node.attr_int("axis", 1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis > rank) c.error(fmt::format("axis out of range for rank {}", rank));
  auto prod = [&c](auto b, auto e) {
    int64_t p = 1;
    for (auto it = b; it != e; ++it) {
      if (*it < 0) return int64_t{-1};
      p = dim_mul(c.node, p, *it);
    }
    return p;
  };
  c.outputs[0] = typed(x.dtype, {prod(x.shape.begin(), x.shape.begin() + axis),
                                 prod(x.shape.begin() + axis, x.shape.end())});
}

void reshape(InferContext& c) {
  const Value& x = c.in(0);
  const Tensor* target = c.constants.size() > 1 ? c.constants[1] : nullptr;
  if (!target) {
    const Value& s = c.in(1);
    if (s.has_shape && s.shape.size() == 1 && s.shape[0] >= 0)
      c.outputs[0] = typed(x.dtype, Shape(s.shape[0], -1));
    else
      c.outputs[0] = rank_unknown(x.dtype);
    return;
  }
  Shape want = target->to_int64_vector();
  bool allowzero = c.node.attr_int("allowzero", 0) != 0;
  int infer_at = -1;
  int64_t known = 1;
  bool input_known = x.has_shape && std::all_of(x.shape.begin(), x.shape.end(), [](int64_t d) { return d >= 0; });
  for (size_t i = 0; i < want.size(); ++i) {
    if (want[i] == 0 && !allowzero) {
      if (!x.has_shape || i >= x.shape.size()) c.error("shape copies a dimension the input lacks");
      want[i] = x.shape[i];
      if (want[i] < 0) continue;  // an unknown dimension copied from the input, not a -1 to infer
    }
    if (want[i] == -1) {
      if (infer_at >= 0) c.error("shape has more than one -1");
      infer_at = static_cast<int>(i);
    } else if (want[i] < -1) {
      c.error(fmt::format("invalid shape {}", shape_str(want)));
    } else if (want[i] >= 0) {
      known = dim_mul(c.node, known, want[i]);
    }
  }
  bool want_known = std::all_of(want.begin(), want.end(), [](int64_t d) { return d >= 0; });
  if (infer_at >= 0 && input_known && std::count(want.begin(), want.end(), -1) == 1) {
    int64_t total = shape_numel(x.shape);
    if (known == 0 || total % known != 0)
      c.error(fmt::format("cannot reshape {} to {}", shape_str(x.shape), shape_str(target->to_int64_vector())));
    want[infer_at] = total / known;
  } else if (want_known && input_known && shape_numel(want) != shape_numel(x.shape)) {
    c.error(fmt::format("cannot reshape {} to {}", shape_str(x.shape), shape_str(want)));
  }
  c.outputs[0] = typed(x.dtype, want);
}

void squeeze(InferContext& c) {
  const Value& x = c.in(0);
  auto axes = axes_of(c, 1);
  if (!x.has_shape || !axes) {
    c.outputs[0] = rank_unknown(x.dtype);
    return;
  }
  int64_t rank = static_cast<int64_t>(x.shape.size());
  std::vector<bool> drop(rank, false);
  if (axes->empty()) {
    for (int64_t i = 0; i < rank; ++i) {
      if (x.shape[i] < 0) {
        c.outputs[0] = rank_unknown(x.dtype);
        return;
      }
      drop[i] = x.shape[i] == 1;
    }
  }
  for (int64_t a : *axes) {
    int64_t i = normalize_axis(c, a, rank);
    if (x.shape[i] > 1) c.error(fmt::format("cannot squeeze axis {} of size {}", a, x.shape[i]));
    drop[i] = true;
  }
  Shape out;
  for (int64_t i = 0; i < rank; ++i)
    if (!drop[i]) out.push_back(x.shape[i]);
  c.outputs[0] = typed(x.dtype, out);
}

void unsqueeze(InferContext& c) {
  const Value& x = c.in(0);
  auto axes = axes_of(c, 1);
  if (!x.has_shape || !axes) {
    c.outputs[0] = rank_unknown(x.dtype);
    return;
  }
  int64_t rank = static_cast<int64_t>(x.shape.size() + axes->size());
  std::vector<bool> inserted(rank, false);
  for (int64_t a : *axes) {
    int64_t i = normalize_axis(c, a, rank);
    if (inserted[i]) c.error("repeated axis");
    inserted[i] = true;
  }
  Shape out;
  size_t j = 0;
  for (int64_t i = 0; i < rank; ++i) out.push_back(inserted[i] ? 1 : x.shape[j++]);
  c.outputs[0] = typed(x.dtype, out);
}

void shape_op(InferContext& c) {
  const Value& x = c.in(0);
  if (!x.has_shape) {
    c.outputs[0] = typed(DType::Int64, {-1});
    return;
  }
  int64_t rank = static_cast<int64_t>(x.shape.size());
  int64_t start = c.node.attr_int("start", 0), end = c.node.attr_int("end", rank);
  if (start < 0) start += rank;
  if (end < 0) end += rank;
  start = std::clamp<int64_t>(start, 0, rank);
  end = std::clamp<int64_t>(end, 0, rank);
  c.outputs[0] = typed(DType::Int64, {std::max<int64_t>(0, end - start)});
}

void gather(InferContext& c) {
  const Value& x = c.in(0);
  const Value& idx = c.in(1);
  if (idx.dtype != DType::Int64 && idx.dtype != DType::Int32) c.error("indices must be int32 or int64");
  if (!x.has_shape || !idx.has_shape) {
    c.outputs[0] = rank_unknown(x.dtype);
    return;
  }
  int64_t rank = static_cast<int64_t>(x.shape.size());
  if (rank == 0) c.error("cannot gather from a scalar");
  int64_t axis = normalize_axis(c, c.node.attr_int("axis", 0), rank);
  Shape out(x.shape.begin(), x.shape.begin() + axis);
  out.insert(out.end(), idx.shape.begin(), idx.shape.end());
  out.insert(out.end(), x.shape.begin() + axis + 1, x.shape.end());
  c.outputs[0] = typed(x.dtype, out);
}

void concat(InferContext& c) {
  const Value& first = c.in(0);
  if (!first.has_shape) {
    c.outputs[0] = rank_unknown(first.dtype);
    return;
  }
  int64_t rank = static_cast<int64_t>(first.shape.size());
  int64_t axis = normalize_axis(c, c.node.attr_int("axis"), rank);
  Shape out = first.shape;
  for (size_t i = 1; i < c.inputs.size(); ++i) {
    const Value& v = c.in(i);
    if (v.dtype != first.dtype) c.error("inputs have different dtypes");
    if (!v.has_shape) {
      out[axis] = -1;
      continue;
    }
    if (static_cast<int64_t>(v.shape.size()) != rank) c.error("inputs have different ranks");
    for (int64_t d = 0; d < rank; ++d) {
      if (d == axis) {
        out[d] = (out[d] < 0 || v.shape[d] < 0) ? -1 : dim_add(c.node, out[d], v.shape[d]);
      } else if (out[d] >= 0 && v.shape[d] >= 0 && out[d] != v.shape[d]) {
        c.error(fmt::format("shapes {} and {} differ off the concat axis", shape_str(first.shape),
                            shape_str(v.shape)));
      } else if (out[d] < 0) {
        out[d] = v.shape[d];
      }
    }
  }
  c.outputs[0] = typed(first.dtype, out);
}

void softmax(InferContext& c) {
  expect_float32(c, 0);
  const Value& x = c.in(0);
  if (x.has_shape) {
    int64_t rank = static_cast<int64_t>(x.shape.size());
    normalize_axis(c, c.node.attr_int("axis", -1), std::max<int64_t>(rank, 1));
  }
  same_as_input(c);
}

// Per-tensor (scalar or 1-element) or per-axis (1-D of the axis' size) scale and zero point.
static void check_quant_params(InferContext& c) {
  const Value& x = c.in(0);
  const Value& scale = c.in(1);
  if (scale.dtype != DType::Float32) c.error("scale must be float32");
  if (c.has_input(2)) {
    const Value& zp = c.in(2);
    // An unknown dim (PyTorch's ConstantOfShape(Shape(bias_scale)) zero points) is checked once folded.
    auto known = [](const Value& v) {
      return v.has_shape && std::all_of(v.shape.begin(), v.shape.end(), [](int64_t d) { return d >= 0; });
    };
    if (known(zp) && known(scale) && zp.shape != scale.shape && shape_numel(zp.shape) != shape_numel(scale.shape))
      c.error(fmt::format("zero point shape {} differs from scale shape {}", shape_str(zp.shape), shape_str(scale.shape)));
  }
  if (!scale.has_shape || shape_numel(scale.shape) == 1) return;
  if (scale.shape.size() != 1) c.error(fmt::format("scale must be a scalar or 1-D, got {}", shape_str(scale.shape)));
  if (!x.has_shape) return;
  int64_t axis = normalize_axis(c, c.node.attr_int("axis", 1), static_cast<int64_t>(x.shape.size()));
  if (x.shape[axis] >= 0 && x.shape[axis] != scale.shape[0])
    c.error(fmt::format("per-axis scale has {} elements but axis {} of {} has {}", scale.shape[0], axis,
                        shape_str(x.shape), x.shape[axis]));
}

void quantize_linear(InferContext& c) {
  expect_float32(c, 0);
  check_quant_params(c);
  DType t = c.has_input(2) ? c.in(2).dtype : DType::UInt8;
  if (t != DType::UInt8 && t != DType::Int8)
    c.error(fmt::format("zero point must be uint8 or int8, got {}", dtype_name(t)));
  c.outputs[0] = c.in(0);
  c.outputs[0].dtype = t;
}

void dequantize_linear(InferContext& c) {
  DType t = c.in(0).dtype;
  if (t != DType::UInt8 && t != DType::Int8 && t != DType::Int32)
    c.error(fmt::format("input must be uint8, int8 or int32, got {}", dtype_name(t)));
  if (c.has_input(2) && c.in(2).dtype != t)
    c.error(fmt::format("zero point is {} but input is {}", dtype_name(c.in(2).dtype), dtype_name(t)));
  check_quant_params(c);
  c.outputs[0] = c.in(0);
  c.outputs[0].dtype = DType::Float32;
}

void cast(InferContext& c) {
  DType to = dtype_from_onnx(static_cast<int32_t>(c.node.attr_int("to")));
  if (to == DType::Undefined) c.error(fmt::format("unsupported target type {}", c.node.attr_int("to")));
  c.outputs[0] = c.in(0);
  c.outputs[0].dtype = to;
}

void constant(InferContext& c) {
  if (!c.node.has_attr("value")) c.error("only the 'value' form of Constant is supported");
  const Tensor& t = c.node.attr_tensor("value");
  c.outputs[0] = typed(t.dtype(), t.shape());
}

}  // namespace infer
}  // namespace qcv::ir
