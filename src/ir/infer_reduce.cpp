// Shape inference for the reduce family: reductions, ArgMax/ArgMin, TopK, the Softmax family,
// normalizations, global pools, losses, Einsum and Det.
#include <algorithm>
#include <set>

#include "ir/einsum_equation.h"
#include "ir/infer_util.h"
#include "ir/shape_inference.h"

namespace qcv::ir::infer {
namespace {



void expect_numeric(const InferContext& c, size_t i) {
  DType t = c.in(i).dtype;
  if (t == DType::Bool)
    c.error(fmt::format("input {} '{}' must be numeric, got bool", i, c.node.input(i)));
}


}  // namespace

void reduce(InferContext& c) {
  expect_numeric(c, 0);
  const Value& x = c.in(0);
  if (c.has_input(1) && c.in(1).dtype != DType::Int64) c.error("axes input must be int64");
  const bool keepdims = c.node.attr_int("keepdims", 1) != 0;
  auto axes = axes_of(c, 1);
  if (!x.has_shape) {
    c.outputs[0] = rank_unknown(x.dtype);
    return;
  }
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  if (!axes) {  // axes known only at run time
    c.outputs[0] = keepdims ? typed(x.dtype, Shape(rank, -1)) : rank_unknown(x.dtype);
    return;
  }
  if (axes->empty() && c.node.attr_int("noop_with_empty_axes", 0) != 0) {
    c.outputs[0] = typed(x.dtype, x.shape);
    return;
  }
  std::vector<bool> reduced(rank, axes->empty());
  for (int64_t a : *axes) reduced[normalize_axis(c, a, rank)] = true;
  Shape out;
  for (int64_t d = 0; d < rank; ++d) {
    if (!reduced[d])
      out.push_back(x.shape[d]);
    else if (keepdims)
      out.push_back(1);
  }
  c.outputs[0] = typed(x.dtype, out);
}

void arg_reduce(InferContext& c) {
  expect_numeric(c, 0);
  const Value& x = c.in(0);
  if (!x.has_shape) {
    c.outputs[0] = rank_unknown(DType::Int64);
    return;
  }
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  const int64_t axis = normalize_axis(c, c.node.attr_int("axis", 0), std::max<int64_t>(rank, 1));
  Shape out = x.shape;
  if (rank > 0) {
    if (c.node.attr_int("keepdims", 1) != 0)
      out[axis] = 1;
    else
      out.erase(out.begin() + axis);
  }
  c.outputs[0] = typed(DType::Int64, out);
}

void top_k(InferContext& c) {
  expect_numeric(c, 0);
  const Value& x = c.in(0);
  const Value& k = c.in(1);
  if (k.dtype != DType::Int64) c.error("K must be int64");
  if (k.has_shape && shape_numel(k.shape) != 1 && shape_numel(k.shape) >= 0)
    c.error(fmt::format("K must hold one value, got shape {}", shape_str(k.shape)));
  if (!x.has_shape) {
    c.outputs[0] = rank_unknown(x.dtype);
    c.outputs[1] = rank_unknown(DType::Int64);
    return;
  }
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  if (rank == 0) c.error("input must have rank >= 1");
  const int64_t axis = normalize_axis(c, c.node.attr_int("axis", -1), rank);
  Shape out = x.shape;
  out[axis] = -1;
  if (c.constants[1]) {
    const int64_t kv = c.constants[1]->as_int64(0);
    if (kv < 0) c.error(fmt::format("K = {} is negative", kv));
    if (x.shape[axis] >= 0 && kv > x.shape[axis])
      c.error(fmt::format("K = {} exceeds axis {} of size {}", kv, axis, x.shape[axis]));
    out[axis] = kv;
  }
  c.outputs[0] = typed(x.dtype, out);
  c.outputs[1] = typed(DType::Int64, out);
}

// Hardmax, LogSoftmax: opset-13 form, one axis (default -1).
void softmax_like(InferContext& c) {
  expect_floating(c, 0);
  const Value& x = c.in(0);
  if (x.has_shape)
    normalize_axis(c, c.node.attr_int("axis", -1), std::max<int64_t>(1, x.shape.size()));
  c.outputs[0] = x;
  c.outputs[0].name.clear();
}

// LRN, LpNormalization, MeanVarianceNormalization: same type and shape as the input.
void float_same_shape(InferContext& c) {
  expect_floating(c, 0);
  const Value& x = c.in(0);
  if (x.has_shape && (c.node.op == "LRN") && x.shape.size() < 3)
    c.error(fmt::format("input must be N x C x D1..., got {}", shape_str(x.shape)));
  if (x.has_shape && c.node.op == "LpNormalization")
    normalize_axis(c, c.node.attr_int("axis", -1), std::max<int64_t>(1, x.shape.size()));
  c.outputs[0] = x;
  c.outputs[0].name.clear();
}

void instance_norm(InferContext& c) {
  expect_floating(c, 0);
  const Value& x = c.in(0);
  if (x.has_shape && x.shape.size() < 3)
    c.error(fmt::format("input must be N x C x D1..., got {}", shape_str(x.shape)));
  for (size_t i = 1; i < 3; ++i) {
    const Value& p = c.in(i);
    if (p.dtype != x.dtype)
      c.error(
          fmt::format("input {} has dtype {}, X {}", i, dtype_name(p.dtype), dtype_name(x.dtype)));
    if (p.has_shape && x.has_shape && x.shape[1] >= 0 &&
        (p.shape.size() != 1 || p.shape[0] != x.shape[1]))
      c.error(
          fmt::format("input {} has shape {}, expected [{}]", i, shape_str(p.shape), x.shape[1]));
  }
  c.outputs[0] = x;
  c.outputs[0].name.clear();
}

void layer_norm(InferContext& c) {
  expect_floating(c, 0);
  const Value& x = c.in(0);
  const DType stash = c.node.attr_int("stash_type", 1) == 1 ? DType::Float32 : x.dtype;
  for (size_t i = 1; i < 3; ++i)
    if (c.has_input(i) && c.in(i).dtype != x.dtype)
      c.error(fmt::format("input {} has dtype {}, X {}", i, dtype_name(c.in(i).dtype),
                          dtype_name(x.dtype)));
  c.outputs[0] = x;
  c.outputs[0].name.clear();
  if (!x.has_shape) {
    for (size_t i = 1; i < c.outputs.size(); ++i) c.outputs[i] = rank_unknown(stash);
    return;
  }
  const int64_t rank = static_cast<int64_t>(x.shape.size());
  const int64_t axis = normalize_axis(c, c.node.attr_int("axis", -1), std::max<int64_t>(rank, 1));
  Shape stat(x.shape.begin(), x.shape.begin() + axis);
  stat.resize(rank, 1);
  for (size_t i = 1; i < c.outputs.size(); ++i) c.outputs[i] = typed(stash, stat);
}

// SoftmaxCrossEntropyLoss and NegativeLogLikelihoodLoss: scores [N, C, d...], labels [N, d...].
void loss(InferContext& c) {
  expect_floating(c, 0);
  const Value& x = c.in(0);
  const Value& labels = c.in(1);
  if (labels.dtype != DType::Int32 && labels.dtype != DType::Int64)
    c.error("labels must be int32 or int64");
  if (c.has_input(2) && c.in(2).dtype != x.dtype) c.error("weights must have the scores' dtype");
  const std::string reduction = c.node.attr_string("reduction", "mean");
  if (reduction != "none" && reduction != "sum" && reduction != "mean")
    c.error(fmt::format("unknown reduction '{}'", reduction));
  if (x.has_shape && x.shape.size() < 2)
    c.error(fmt::format("scores must be N x C x ..., got {}", shape_str(x.shape)));
  if (x.has_shape && labels.has_shape) {
    bool ok = labels.shape.size() + 1 == x.shape.size();
    for (size_t i = 0; ok && i < labels.shape.size(); ++i) {
      int64_t want = x.shape[i == 0 ? 0 : i + 1], got = labels.shape[i];
      ok = want < 0 || got < 0 || want == got;
    }
    if (!ok)
      c.error(fmt::format("labels {} do not match scores {}", shape_str(labels.shape),
                          shape_str(x.shape)));
  }
  if (reduction != "none")
    c.outputs[0] = typed(x.dtype, {});
  else if (labels.has_shape)
    c.outputs[0] = typed(x.dtype, labels.shape);
  else
    c.outputs[0] = rank_unknown(x.dtype);
  if (c.outputs.size() > 1) {
    c.outputs[1] = x;
    c.outputs[1].name.clear();
  }
}

void einsum(InferContext& c) {
  const DType t = c.in(0).dtype;
  std::vector<size_t> ranks;
  for (size_t i = 0; i < c.inputs.size(); ++i) {
    const Value& v = c.in(i);
    if (v.dtype != t) c.error("operands have different dtypes");
    if (!v.has_shape) {
      c.outputs[0] = rank_unknown(t);
      return;
    }
    ranks.push_back(v.shape.size());
  }
  expect_numeric(c, 0);
  const EinsumEquation eq = parse_einsum(c.node.attr_string("equation", ""), ranks,
                                         fmt::format("node '{}' (Einsum)", c.node.name));
  // Each label's size: known sizes must agree; 1 broadcasts (ellipsis dimensions).
  std::vector<int64_t> size(eq.num_labels, 1);
  std::vector<bool> unknown(eq.num_labels, false);
  for (size_t k = 0; k < eq.operands.size(); ++k) {
    for (size_t d = 0; d < eq.operands[k].size(); ++d) {
      int l = eq.operands[k][d];
      int64_t s = c.in(k).shape[d];
      if (s < 0)
        unknown[l] = true;
      else if (s != 1 && size[l] != 1 && size[l] != s)
        c.error(fmt::format("einsum dimension sizes {} and {} disagree for one label", size[l], s));
      else if (s != 1)
        size[l] = s;
    }
  }
  Shape out;
  for (int l : eq.output) out.push_back(unknown[l] && size[l] == 1 ? -1 : size[l]);
  c.outputs[0] = typed(t, out);
}

void det(InferContext& c) {
  expect_floating(c, 0);
  const Value& x = c.in(0);
  if (!x.has_shape) {
    c.outputs[0] = rank_unknown(x.dtype);
    return;
  }
  const size_t r = x.shape.size();
  if (r < 2 || (x.shape[r - 1] >= 0 && x.shape[r - 2] >= 0 && x.shape[r - 1] != x.shape[r - 2]))
    c.error(fmt::format("input must be [..., M, M], got {}", shape_str(x.shape)));
  c.outputs[0] = typed(x.dtype, Shape(x.shape.begin(), x.shape.end() - 2));
}

}  // namespace qcv::ir::infer
