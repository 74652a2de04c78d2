// Shape inference of the integer and dynamic quantization ops: ConvInteger, MatMulInteger,
// DynamicQuantizeLinear. The integer ops share the geometry of their float counterparts.
#include "ir/infer_util.h"
#include "ir/shape_inference.h"

namespace qcv::ir::infer {
namespace {

bool is_8bit(DType t) { return t == DType::UInt8 || t == DType::Int8; }

// The first `count` inputs of c, checked to be 8-bit integers, retyped as float32 so that the
// float op's inference computes the geometry.
InferContext as_float_op(const InferContext& c, size_t count) {
  InferContext f{c.node, {}, {}, {Value{}}};
  for (size_t i = 0; i < count; ++i) {
    const Value& v = c.in(i);
    expect_dtype(c, i, is_8bit(v.dtype), "uint8 or int8");
    Value fv = v;
    fv.dtype = DType::Float32;
    f.inputs.push_back(fv);
    f.constants.push_back(nullptr);
  }
  return f;
}

// A zero point must have its quantized input's type.
void check_zero_point(const InferContext& c, size_t zp, size_t of) {
  if (c.has_input(zp) && c.in(zp).dtype != c.in(of).dtype)
    c.error(fmt::format("zero point '{}' is {} but input '{}' is {}", c.node.input(zp),
                        dtype_name(c.in(zp).dtype), c.node.input(of), dtype_name(c.in(of).dtype)));
}

}  // namespace

void conv_integer(InferContext& c) {
  InferContext f = as_float_op(c, 2);
  check_zero_point(c, 2, 0);
  check_zero_point(c, 3, 1);
  conv(f);
  c.outputs[0] = f.outputs[0];
  c.outputs[0].dtype = DType::Int32;
}

void matmul_integer(InferContext& c) {
  InferContext f = as_float_op(c, 2);
  check_zero_point(c, 2, 0);
  check_zero_point(c, 3, 1);
  matmul(f);
  c.outputs[0] = f.outputs[0];
  c.outputs[0].dtype = DType::Int32;
}

void dynamic_quantize_linear(InferContext& c) {
  if (c.in(0).dtype != DType::Float32)
    c.error(fmt::format("input must be float32, got {}", dtype_name(c.in(0).dtype)));
  c.outputs[0] = c.in(0);
  c.outputs[0].name.clear();
  c.outputs[0].dtype = DType::UInt8;
  for (size_t i = 1; i < c.outputs.size(); ++i) {
    c.outputs[i] = Value{};
    c.outputs[i].dtype = i == 1 ? DType::Float32 : DType::UInt8;
    c.outputs[i].has_shape = true;  // scalars
  }
}

}  // namespace qcv::ir::infer
