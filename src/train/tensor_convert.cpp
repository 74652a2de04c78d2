#include "train/tensor_convert.h"

#include <cstring>

namespace qcv::train {

at::ScalarType to_torch_dtype(ir::DType dtype) {
  switch (dtype) {
    case ir::DType::Float32:
      return at::kFloat;
    case ir::DType::UInt8:
      return at::kByte;
    case ir::DType::Int8:
      return at::kChar;
    case ir::DType::Int32:
      return at::kInt;
    case ir::DType::Int64:
      return at::kLong;
    case ir::DType::Bool:
      return at::kBool;
    default:
      fail("torch backend: no torch dtype for {}", ir::dtype_name(dtype));
  }
}

ir::DType to_ir_dtype(at::ScalarType type) {
  switch (type) {
    case at::kFloat:
      return ir::DType::Float32;
    case at::kByte:
      return ir::DType::UInt8;
    case at::kChar:
      return ir::DType::Int8;
    case at::kInt:
      return ir::DType::Int32;
    case at::kLong:
      return ir::DType::Int64;
    case at::kBool:
      return ir::DType::Bool;
    default:
      fail("torch backend: torch dtype {} has no IR dtype", c10::toString(type));
  }
}

at::Tensor to_torch(const ir::Tensor& t) {
  if (t.empty()) fail("torch backend: cannot convert an undefined tensor");
  at::Tensor out = at::empty(t.shape(), at::TensorOptions().dtype(to_torch_dtype(t.dtype())));
  if (t.nbytes() > 0) std::memcpy(out.data_ptr(), t.raw(), t.nbytes());
  return out;
}

ir::Tensor to_ir(const at::Tensor& t) {
  at::Tensor c = t.detach().to(at::kCPU).contiguous();
  ir::Tensor out(to_ir_dtype(c.scalar_type()), c.sizes().vec());
  if (out.nbytes() > 0) std::memcpy(out.raw(), c.data_ptr(), out.nbytes());
  return out;
}

}  // namespace qcv::train
