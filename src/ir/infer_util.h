// Small helpers shared by the shape-inference files (shape_inference.cpp, infer_*.cpp): the
// output-value constructors, dtype/rank checks with uniform error texts, and axis handling.
#pragma once
#include <optional>
#include <utility>
#include <vector>

#include "ir/ops.h"

namespace qcv::ir::infer {

// An output value of dtype t with a known shape.
inline Value typed(DType t, Shape s) { return make_value("", t, std::move(s)); }
// An output value of dtype t whose rank is unknown.
inline Value rank_unknown(DType t) {
  Value v;
  v.dtype = t;
  return v;
}
// A known rank with every dimension unknown.
inline Shape unknown_dims(size_t rank) { return Shape(rank, -1); }
inline Value rank_only(DType t, size_t rank) { return typed(t, unknown_dims(rank)); }
inline int64_t rank_of(const Value& v) { return static_cast<int64_t>(v.shape.size()); }

// Dimension arithmetic on sizes and attributes read from a file: an overflow is an error naming
// the node, not undefined behaviour or a wrapped size.
inline int64_t dim_mul(const Node& n, int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_mul_overflow(a, b, &r))
    fail("node '{}' ({}): size arithmetic overflows: {} * {}", n.name, n.op, a, b);
  return r;
}
inline int64_t dim_add(const Node& n, int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_add_overflow(a, b, &r))
    fail("node '{}' ({}): size arithmetic overflows: {} + {}", n.name, n.op, a, b);
  return r;
}
inline int64_t dim_sub(const Node& n, int64_t a, int64_t b) {
  int64_t r = 0;
  if (__builtin_sub_overflow(a, b, &r))
    fail("node '{}' ({}): size arithmetic overflows: {} - {}", n.name, n.op, a, b);
  return r;
}

// Fails naming input i unless `ok`; `what` says the dtypes it accepts.
inline void expect_dtype(const InferContext& c, size_t i, bool ok, const char* what) {
  if (!ok)
    c.error(fmt::format("input {} '{}' must be {}, got {}", i, c.node.input(i), what,
                        dtype_name(c.in(i).dtype)));
}
inline void expect_float32(const InferContext& c, size_t i) {
  expect_dtype(c, i, c.in(i).dtype == DType::Float32, "float32");
}
inline void expect_floating(const InferContext& c, size_t i) {
  expect_dtype(c, i, is_float(c.in(i).dtype), "float32 or float64");
}

// Only checked when the rank is known.
inline void expect_rank_at_least(const InferContext& c, size_t i, size_t rank) {
  const Value& v = c.in(i);
  if (v.has_shape && v.shape.size() < rank)
    c.error(fmt::format("input {} '{}' must have rank >= {}, got shape {}", i, c.node.input(i),
                        rank, shape_str(v.shape)));
}

// An axis in [-rank, rank), made non-negative.
inline int64_t normalize_axis(const InferContext& c, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    c.error(fmt::format("axis {} out of range for rank {}", axis, rank));
  return axis < 0 ? axis + rank : axis;
}

// Axes from the attribute (older opsets) or from a constant input (opset 13+); empty when neither
// is given; nullopt when the input is known only at run time.
inline std::optional<std::vector<int64_t>> axes_of(const InferContext& c, size_t input_index) {
  if (c.node.has_attr("axes")) return c.node.attr_ints("axes");
  if (c.has_input(input_index)) {
    if (!c.constants[input_index]) return std::nullopt;
    return c.constants[input_index]->to_int64_vector();
  }
  return std::vector<int64_t>{};
}

}  // namespace qcv::ir::infer
