// Shape and dtype inference for the elementwise math family: unary math and activations,
// comparisons and logic (bool outputs), Pow/Mod/BitShift, variadic Min/Max/Sum/Mean, Where.
#include "ir/infer_util.h"
#include "ir/ops.h"
#include "ir/shape_inference.h"

namespace qcv::ir::infer {
namespace {

// Output 0: dtype `t`, shape broadcast over the given present inputs (unknown if any is).
void broadcast_out(InferContext& c, DType t, const std::vector<size_t>& which) {
  Value v;
  v.dtype = t;
  v.has_shape = true;
  for (size_t i : which) {
    const Value& in = c.in(i);
    if (!in.has_shape) {
      v.has_shape = false;
      v.shape.clear();
      break;
    }
    v.shape = broadcast_shapes(c, v.shape, in.shape);
  }
  c.outputs[0] = v;
}

void same_dtypes(const InferContext& c, size_t first, size_t last) {
  for (size_t i = first + 1; i <= last; ++i)
    if (c.in(i).dtype != c.in(first).dtype)
      c.error(fmt::format("inputs have different dtypes: {} and {}", dtype_name(c.in(first).dtype),
                          dtype_name(c.in(i).dtype)));
}

}  // namespace

void floating_unary(InferContext& c) {
  expect_dtype(c, 0, is_float(c.in(0).dtype), "float32 or float64");
  same_as_input(c);
}

void numeric_unary(InferContext& c) {
  expect_dtype(c, 0, c.in(0).dtype != DType::Bool, "a number type");
  same_as_input(c);
}

void bool_unary(InferContext& c) {
  expect_dtype(c, 0, c.in(0).dtype == DType::Bool, "bool");
  same_as_input(c);
}

void float_predicate(InferContext& c) {
  expect_dtype(c, 0, is_float(c.in(0).dtype), "float32 or float64");
  same_as_input(c);
  c.outputs[0].dtype = DType::Bool;
}

void numeric_clip(InferContext& c) {
  numeric_unary(c);
  for (size_t i = 1; i < 3; ++i) {
    if (!c.has_input(i)) continue;
    // Bounds of another number type are converted (Clip's legacy attributes are float32).
    if (c.in(i).dtype == DType::Bool) c.error(fmt::format("bound input {} is bool", i));
    if (c.in(i).has_shape && shape_numel(c.in(i).shape) != 1)
      c.error(fmt::format("bound input {} must be a scalar", i));
  }
}

void prelu(InferContext& c) {
  expect_dtype(c, 0, c.in(0).dtype != DType::Bool, "a number type");
  same_dtypes(c, 0, 1);
  broadcast_out(c, c.in(0).dtype, {0, 1});
  // The slope broadcasts to X, never X to the slope.
  const Value& x = c.in(0);
  if (c.outputs[0].has_shape && x.has_shape) {
    const Shape& out = c.outputs[0].shape;
    bool grows = out.size() > x.shape.size();
    for (size_t i = 0; !grows && i < out.size(); ++i)
      grows = x.shape[i] >= 0 && out[i] != x.shape[i];
    if (grows)
      c.error(fmt::format("slope {} does not broadcast to the input {}", shape_str(c.in(1).shape),
                          shape_str(x.shape)));
    c.outputs[0].shape = x.shape;
  }
}

void comparison(InferContext& c) {
  same_dtypes(c, 0, 1);
  broadcast_out(c, DType::Bool, {0, 1});
}

void logic_binary(InferContext& c) {
  expect_dtype(c, 0, c.in(0).dtype == DType::Bool, "bool");
  same_dtypes(c, 0, 1);
  broadcast_out(c, DType::Bool, {0, 1});
}

void pow(InferContext& c) {
  expect_dtype(c, 0, c.in(0).dtype != DType::Bool, "a number type");
  expect_dtype(c, 1, c.in(1).dtype != DType::Bool, "a number type");
  broadcast_out(c, c.in(0).dtype, {0, 1});
}

void bit_shift(InferContext& c) {
  DType t = c.in(0).dtype;
  expect_dtype(c, 0,
               t == DType::UInt8 || t == DType::UInt16 || t == DType::UInt32 || t == DType::UInt64,
               "an unsigned integer type");
  same_dtypes(c, 0, 1);
  std::string dir = c.node.attr_string("direction", "");
  if (dir != "LEFT" && dir != "RIGHT")
    c.error(fmt::format("direction must be LEFT or RIGHT, got '{}'", dir));
  broadcast_out(c, t, {0, 1});
}

void numeric_binary(InferContext& c) {
  expect_dtype(c, 0, c.in(0).dtype != DType::Bool, "a number type");
  same_dtypes(c, 0, 1);
  broadcast_out(c, c.in(0).dtype, {0, 1});
}

void variadic(InferContext& c) {
  size_t n = c.inputs.size();
  std::vector<size_t> all;
  for (size_t i = 0; i < n; ++i) all.push_back(i);
  expect_dtype(c, 0, c.in(0).dtype != DType::Bool, "a number type");
  if (c.node.op == "Mean") expect_dtype(c, 0, is_float(c.in(0).dtype), "float32 or float64");
  same_dtypes(c, 0, n - 1);
  broadcast_out(c, c.in(0).dtype, all);
}

void where(InferContext& c) {
  expect_dtype(c, 0, c.in(0).dtype == DType::Bool, "bool");
  same_dtypes(c, 1, 2);
  broadcast_out(c, c.in(1).dtype, {0, 1, 2});
}

}  // namespace qcv::ir::infer
