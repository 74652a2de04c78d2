// Shape inference of the data-movement, indexing and shape ops (family "tensor"). Where an
// output shape depends on an input's value (Pad's pads, Slice's starts, Expand's shape, Tile's
// repeats, Range's bounds...) the value is read from c.constants when it is known, so that
// constant folding and the runtime see concrete shapes; otherwise those dims stay unknown (-1).
#include <algorithm>
#include <cmath>

#include "ir/infer_util.h"
#include "ir/limits.h"
#include "ir/ops.h"
#include "ir/shape_inference.h"
#include "ir/slice_bounds.h"

namespace qcv::ir::infer {
namespace {


// The value of input i when it is a known constant, else nullptr.
const Tensor* constant_of(const InferContext& c, size_t i) {
  return c.has_input(i) && i < c.constants.size() ? c.constants[i] : nullptr;
}

void expect_integer_input(const InferContext& c, size_t i, const char* what) {
  DType t = c.in(i).dtype;
  if (t != DType::Int64 && t != DType::Int32)
    c.error(fmt::format("{} (input {}) must be int32 or int64, got {}", what, i, dtype_name(t)));
}


// A shape computed from input values (ConstantOfShape, Expand, Tile, Range, Pad, OneHot) must not
// overflow or exceed QCV_MAX_TENSOR_BYTES (unknown dims count as 1).
Value sized(const InferContext& c, DType t, Shape s) {
  Shape known;
  for (int64_t d : s) known.push_back(d < 0 ? 1 : d);
  try {
    limits::checked_tensor_bytes(known, std::max<size_t>(dtype_size(t), 1),
                                 "output shape " + shape_str(s));
  } catch (const Error& e) {
    c.error(e.what());
  }
  return typed(t, std::move(s));
}

}  // namespace

void pad(InferContext& c) {
  const Value& x = c.in(0);
  expect_integer_input(c, 1, "pads");
  // constant_value is converted to the input's dtype (Pad-2's `value` is a float whatever the
  // input).
  if (c.has_input(2) && c.in(2).has_shape && shape_numel(c.in(2).shape) > 1)
    c.error("constant_value must be a scalar");
  std::string mode = c.node.attr_string("mode", "constant");
  if (mode != "constant" && mode != "reflect" && mode != "edge")
    c.error(fmt::format("unsupported mode '{}'", mode));
  if (!x.has_shape) return void(c.outputs[0] = rank_unknown(x.dtype));
  const size_t rank = x.shape.size();
  const Tensor* pads = constant_of(c, 1);
  if (!pads) return void(c.outputs[0] = typed(x.dtype, unknown_dims(rank)));
  std::vector<int64_t> p = pads->to_int64_vector();
  if (p.size() != 2 * rank) c.error(fmt::format("pads has {} values for rank {}", p.size(), rank));
  Shape out(rank);
  for (size_t d = 0; d < rank; ++d) {
    out[d] = x.shape[d] < 0 ? -1 : dim_add(c.node, dim_add(c.node, x.shape[d], p[d]), p[d + rank]);
    if (x.shape[d] >= 0 && out[d] < 0)
      c.error(fmt::format("pads {} crop more than dimension {} holds", shape_str(p), d));
  }
  c.outputs[0] = sized(c, x.dtype, out);
}

void transpose(InferContext& c) {
  const Value& x = c.in(0);
  if (!x.has_shape) return void(c.outputs[0] = rank_unknown(x.dtype));
  const int64_t rank = rank_of(x);
  std::vector<int64_t> perm(rank);
  for (int64_t i = 0; i < rank; ++i) perm[i] = rank - 1 - i;
  perm = c.node.attr_ints("perm", perm);
  if (static_cast<int64_t>(perm.size()) != rank)
    c.error(fmt::format("perm has {} entries for rank {}", perm.size(), rank));
  std::vector<bool> seen(rank, false);
  Shape out(rank);
  for (int64_t i = 0; i < rank; ++i) {
    if (perm[i] < 0 || perm[i] >= rank || seen[perm[i]])
      c.error(fmt::format("perm {} is not a permutation of 0..{}", shape_str(perm), rank - 1));
    seen[perm[i]] = true;
    out[i] = x.shape[perm[i]];
  }
  c.outputs[0] = typed(x.dtype, out);
}

void slice(InferContext& c) {
  const Value& x = c.in(0);
  for (size_t i = 1; i < 5; ++i)
    if (c.has_input(i)) expect_integer_input(c, i, "starts/ends/axes/steps");
  if (!x.has_shape) return void(c.outputs[0] = rank_unknown(x.dtype));
  const int64_t rank = rank_of(x);
  const Tensor *starts = constant_of(c, 1), *ends = constant_of(c, 2);
  const Tensor *axes_t = constant_of(c, 3), *steps_t = constant_of(c, 4);
  if (!starts || !ends || (c.has_input(3) && !axes_t) || (c.has_input(4) && !steps_t))
    return void(c.outputs[0] = typed(x.dtype, unknown_dims(rank)));
  std::vector<int64_t> s = starts->to_int64_vector(), e = ends->to_int64_vector();
  if (s.size() != e.size()) c.error("starts and ends differ in length");
  std::vector<int64_t> axes(s.size()), steps(s.size(), 1);
  for (size_t i = 0; i < axes.size(); ++i) axes[i] = static_cast<int64_t>(i);
  if (axes_t) axes = axes_t->to_int64_vector();
  if (steps_t) steps = steps_t->to_int64_vector();
  if (axes.size() != s.size() || steps.size() != s.size())
    c.error("starts, ends, axes and steps differ in length");
  Shape out = x.shape;
  std::vector<bool> seen(rank, false);
  for (size_t i = 0; i < s.size(); ++i) {
    int64_t a = normalize_axis(c, axes[i], rank);
    if (seen[a]) c.error(fmt::format("axis {} repeated", axes[i]));
    seen[a] = true;
    if (steps[i] == 0) c.error("step 0");
    if (x.shape[a] >= 0) out[a] = slice_axis(x.shape[a], s[i], e[i], steps[i]).count;
  }
  c.outputs[0] = typed(x.dtype, out);
}

void cast_like(InferContext& c) {
  c.outputs[0] = c.in(0);
  c.outputs[0].name.clear();
  c.outputs[0].dtype = c.in(1).dtype;
}

void constant_of_shape(InferContext& c) {
  DType t = DType::Float32;
  if (c.node.has_attr("value")) {
    const Tensor& v = c.node.attr_tensor("value");
    if (v.numel() != 1) c.error("value must hold one element");
    t = v.dtype();
  }
  if (c.in(0).dtype != DType::Int64) c.error("the shape input must be int64");
  if (const Tensor* s = constant_of(c, 0)) {
    Shape out = s->to_int64_vector();
    for (int64_t d : out)
      if (d < 0) c.error(fmt::format("negative dimension in shape {}", shape_str(out)));
    return void(c.outputs[0] = sized(c, t, out));
  }
  const Value& s = c.in(0);
  if (s.has_shape && s.shape.size() == 1 && s.shape[0] >= 0)
    c.outputs[0] = typed(t, unknown_dims(s.shape[0]));
  else
    c.outputs[0] = rank_unknown(t);
}

void size(InferContext& c) {
  c.in(0);
  c.outputs[0] = typed(DType::Int64, {});
}

void expand(InferContext& c) {
  const Value& x = c.in(0);
  if (c.in(1).dtype != DType::Int64) c.error("the shape input must be int64");
  if (const Tensor* s = constant_of(c, 1); s && x.has_shape)
    return void(c.outputs[0] =
                    sized(c, x.dtype, broadcast_shapes(c, x.shape, s->to_int64_vector())));
  const Value& s = c.in(1);
  if (x.has_shape && s.has_shape && s.shape.size() == 1 && s.shape[0] >= 0)
    c.outputs[0] = typed(x.dtype, unknown_dims(std::max<int64_t>(s.shape[0], rank_of(x))));
  else
    c.outputs[0] = rank_unknown(x.dtype);
}

void tile(InferContext& c) {
  const Value& x = c.in(0);
  expect_integer_input(c, 1, "repeats");
  if (!x.has_shape) return void(c.outputs[0] = rank_unknown(x.dtype));
  const Tensor* r = constant_of(c, 1);
  if (!r || (c.has_input(2) && !constant_of(c, 2)))
    return void(c.outputs[0] = typed(x.dtype, unknown_dims(x.shape.size())));
  std::vector<int64_t> reps = r->to_int64_vector();
  if (c.has_input(2)) {  // Tile-1: `tiles` copies along the one `axis`
    if (r->numel() != 1 || constant_of(c, 2)->numel() != 1)
      c.error("tiles and axis must be scalars");
    reps.assign(x.shape.size(), 1);
    reps[normalize_axis(c, constant_of(c, 2)->as_int64(0), rank_of(x))] = r->as_int64(0);
  }
  if (reps.size() != x.shape.size())
    c.error(fmt::format("repeats has {} values for rank {}", reps.size(), x.shape.size()));
  Shape out(reps.size());
  for (size_t d = 0; d < reps.size(); ++d) {
    if (reps[d] < 0) c.error("repeats must be non-negative");
    if (x.shape[d] > 0 && reps[d] > (int64_t{1} << 40) / x.shape[d]) c.error("repeats too large");
    out[d] = x.shape[d] < 0 ? -1 : dim_mul(c.node, x.shape[d], reps[d]);
  }
  c.outputs[0] = sized(c, x.dtype, out);
}

void split(InferContext& c) {
  const Value& x = c.in(0);
  const size_t n = c.outputs.size();
  if (!x.has_shape) {
    for (Value& o : c.outputs) o = rank_unknown(x.dtype);
    return;
  }
  const int64_t axis = normalize_axis(c, c.node.attr_int("axis", 0), rank_of(x));
  const int64_t dim = x.shape[axis];
  std::vector<int64_t> parts(n, -1);
  if (c.has_input(1)) {
    expect_integer_input(c, 1, "split");
    if (const Tensor* s = constant_of(c, 1)) {
      parts = s->to_int64_vector();
      if (parts.size() != n)
        c.error(fmt::format("split has {} sizes for {} outputs", parts.size(), n));
      int64_t total = 0;
      for (int64_t p : parts) {
        if (p < 0) c.error("split sizes must be non-negative");
        total += p;
      }
      if (dim >= 0 && total != dim)
        c.error(fmt::format("split sizes sum to {}, axis {} has {}", total, axis, dim));
    }
  } else if (dim >= 0) {
    if (dim % static_cast<int64_t>(n) != 0)
      c.error(fmt::format("axis {} of size {} does not split into {} equal parts", axis, dim, n));
    std::fill(parts.begin(), parts.end(), dim / static_cast<int64_t>(n));
  }
  for (size_t k = 0; k < n; ++k) {
    Shape s = x.shape;
    s[axis] = parts[k];
    c.outputs[k] = typed(x.dtype, s);
  }
}

void range(InferContext& c) {
  const DType t = c.in(0).dtype;
  if (t == DType::Bool) c.error("bool is not a numeric type");
  for (size_t i = 1; i < 3; ++i)
    if (c.in(i).dtype != t) c.error("start, limit and delta must have one dtype");
  const Tensor *start = constant_of(c, 0), *limit = constant_of(c, 1), *delta = constant_of(c, 2);
  if (!start || !limit || !delta) return void(c.outputs[0] = typed(t, {-1}));
  for (const Tensor* v : {start, limit, delta})
    if (v->numel() != 1) c.error("start, limit and delta must be scalars");
  int64_t n;
  if (is_float(t)) {
    double s = start->as_double(0), l = limit->as_double(0), d = delta->as_double(0);
    if (d == 0) c.error("delta is zero");
    // In the input's precision, as numpy computes it.
    double steps = t == DType::Float32
                       ? std::ceil(static_cast<float>(l - s) / static_cast<float>(d))
                       : std::ceil((l - s) / d);
    if (std::isnan(steps) || steps > double(int64_t{1} << 40)) c.error("Range is too long or NaN");
    n = static_cast<int64_t>(std::max(0.0, steps));
  } else {
    int64_t s = start->as_int64(0), l = limit->as_int64(0), d = delta->as_int64(0);
    if (d == 0) c.error("delta is zero");
    // 128-bit: int64 differences may overflow.
    const __int128 span = static_cast<__int128>(l) - s, step = d;
    const __int128 count =
        span == 0 || (span > 0) != (step > 0) ? 0 : (span - (step > 0 ? 1 : -1)) / step + 1;
    if (count > (__int128{1} << 40)) c.error("Range is too long");
    n = static_cast<int64_t>(count);
  }
  c.outputs[0] = sized(c, t, {n});
}

void one_hot(InferContext& c) {
  const Value& idx = c.in(0);
  const Value& values = c.in(2);
  if (values.has_shape && shape_numel(values.shape) != 2)
    c.error("values must hold two elements (off, on)");
  if (!idx.has_shape) return void(c.outputs[0] = rank_unknown(values.dtype));
  const int64_t rank = rank_of(idx) + 1;
  const int64_t axis = normalize_axis(c, c.node.attr_int("axis", -1), rank);
  int64_t depth = -1;
  if (const Tensor* d = constant_of(c, 1)) {
    if (d->numel() != 1) c.error("depth must be a scalar");
    depth = static_cast<int64_t>(d->as_double(0));
    if (depth <= 0) c.error(fmt::format("depth must be positive, got {}", depth));
  }
  Shape out = idx.shape;
  out.insert(out.begin() + axis, depth);
  c.outputs[0] = sized(c, values.dtype, out);
}

void gather_elements(InferContext& c) {
  const Value& x = c.in(0);
  const Value& idx = c.in(1);
  expect_integer_input(c, 1, "indices");
  if (x.has_shape && idx.has_shape) {
    if (x.shape.size() != idx.shape.size()) c.error("data and indices ranks differ");
    normalize_axis(c, c.node.attr_int("axis", 0), rank_of(x));
  }
  c.outputs[0] = idx.has_shape ? typed(x.dtype, idx.shape) : rank_unknown(x.dtype);
}

void gather_nd(InferContext& c) {
  const Value& x = c.in(0);
  const Value& idx = c.in(1);
  if (idx.dtype != DType::Int64) c.error("indices must be int64");
  const int64_t b = c.node.attr_int("batch_dims", 0);
  if (!x.has_shape || !idx.has_shape || idx.shape.empty() || idx.shape.back() < 0)
    return void(c.outputs[0] = rank_unknown(x.dtype));
  const int64_t k = idx.shape.back();
  if (b < 0 || b >= rank_of(idx) || b + k > rank_of(x))
    c.error(fmt::format("indices {} with batch_dims {} do not fit data {}", shape_str(idx.shape), b,
                        shape_str(x.shape)));
  Shape out(idx.shape.begin(), idx.shape.end() - 1);
  out.insert(out.end(), x.shape.begin() + b + k, x.shape.end());
  c.outputs[0] = typed(x.dtype, out);
}

void scatter(InferContext& c) {
  const Value& x = c.in(0);
  if (c.in(2).dtype != x.dtype) c.error("updates and data differ in dtype");
  if (c.node.op == "ScatterND") {
    if (c.in(1).dtype != DType::Int64) c.error("indices must be int64");
  } else {
    expect_integer_input(c, 1, "indices");
    if (x.has_shape) normalize_axis(c, c.node.attr_int("axis", 0), rank_of(x));
  }
  std::string red = c.node.attr_string("reduction", "none");
  if (red != "none" && red != "add" && red != "mul" && red != "max" && red != "min")
    c.error(fmt::format("unsupported reduction '{}'", red));
  c.outputs[0] = x;
  c.outputs[0].name.clear();
}

void trilu(InferContext& c) {
  const Value& x = c.in(0);
  if (x.has_shape && x.shape.size() < 2) c.error("input must have rank >= 2");
  if (c.has_input(1)) expect_integer_input(c, 1, "k");
  c.outputs[0] = x;
  c.outputs[0].name.clear();
}

void cumsum(InferContext& c) {
  const Value& x = c.in(0);
  if (x.dtype == DType::Bool) c.error("bool is not a numeric type");
  expect_integer_input(c, 1, "axis");
  c.outputs[0] = x;
  c.outputs[0].name.clear();
}

void eye_like(InferContext& c) {
  const Value& x = c.in(0);
  if (x.has_shape && x.shape.size() != 2) c.error("input must be 2-D");
  DType t = x.dtype;
  if (c.node.has_attr("dtype")) {
    t = dtype_from_onnx(static_cast<int32_t>(c.node.attr_int("dtype")));
    if (t == DType::Undefined)
      c.error(fmt::format("unsupported dtype {}", c.node.attr_int("dtype")));
  }
  c.outputs[0] = x.has_shape ? typed(t, x.shape) : typed(t, {-1, -1});
}

void non_zero(InferContext& c) {
  const Value& x = c.in(0);
  if (!x.has_shape) return void(c.outputs[0] = typed(DType::Int64, {-1, -1}));
  int64_t count = -1;
  if (const Tensor* t = constant_of(c, 0)) {
    count = 0;
    for (int64_t i = 0; i < t->numel(); ++i) count += t->as_double(i) != 0;
  }
  // ONNX treats a scalar as rank 1.
  c.outputs[0] = typed(DType::Int64, {std::max<int64_t>(rank_of(x), 1), count});
}

void compress(InferContext& c) {
  const Value& x = c.in(0);
  if (c.in(1).dtype != DType::Bool) c.error("condition must be bool");
  if (c.in(1).has_shape && c.in(1).shape.size() != 1) c.error("condition must be 1-D");
  if (!x.has_shape) return void(c.outputs[0] = rank_unknown(x.dtype));
  const bool flat = !c.node.has_attr("axis");
  const int64_t axis = flat ? 0 : normalize_axis(c, c.node.attr_int("axis"), rank_of(x));
  int64_t dim = x.shape.empty() ? 1 : x.shape[axis];
  if (flat)
    dim = std::all_of(x.shape.begin(), x.shape.end(), [](int64_t d) { return d >= 0; })
              ? shape_numel(x.shape)
              : -1;
  int64_t kept = -1;
  if (const Tensor* cond = constant_of(c, 1); cond && dim >= 0) {
    if (cond->numel() > dim)
      c.error(fmt::format("condition has {} entries for {} slices", cond->numel(), dim));
    kept = 0;
    for (int64_t i = 0; i < cond->numel(); ++i) kept += cond->as_int64(i) != 0;
  }
  if (flat) return void(c.outputs[0] = typed(x.dtype, {kept}));
  Shape out = x.shape;
  out[axis] = kept;
  c.outputs[0] = typed(x.dtype, out);
}

void reverse_sequence(InferContext& c) {
  const Value& x = c.in(0);
  expect_integer_input(c, 1, "sequence_lens");
  if (x.has_shape) {
    if (x.shape.size() < 2) c.error("input must have rank >= 2");
    int64_t b = normalize_axis(c, c.node.attr_int("batch_axis", 1), rank_of(x));
    int64_t t = normalize_axis(c, c.node.attr_int("time_axis", 0), rank_of(x));
    if (b == t || b > 1 || t > 1) c.error("batch_axis and time_axis must be 0 and 1");
  }
  c.outputs[0] = x;
  c.outputs[0].name.clear();
}

// The number of unique elements depends on the values: the kernel computes it, and shape
// inference gives the ranks (the reference kernel returns tensors of the real shapes).
void unique(InferContext& c) {
  const Value& x = c.in(0);
  const bool by_axis = c.node.has_attr("axis");
  if (!x.has_shape) {
    c.outputs[0] = rank_unknown(x.dtype);
  } else if (by_axis) {
    Shape s = x.shape;
    s[normalize_axis(c, c.node.attr_int("axis"), rank_of(x))] = -1;
    c.outputs[0] = typed(x.dtype, s);
  } else {
    c.outputs[0] = typed(x.dtype, {-1});
  }
  for (size_t k = 1; k < c.outputs.size(); ++k) c.outputs[k] = typed(DType::Int64, {-1});
}

}  // namespace qcv::ir::infer
