// Element types of tensors, named and numbered as ONNX's TensorProto.DataType.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

namespace qcv::ir {

enum class DType : int32_t {
  Undefined = 0,
  Float32 = 1,
  UInt8 = 2,
  Int8 = 3,
  Int32 = 6,
  Int64 = 7,
  Bool = 9,
};

size_t dtype_size(DType t);
const char* dtype_name(DType t);
// The DType for an ONNX TensorProto data type number; Undefined if qcv does not support it.
DType dtype_from_onnx(int32_t onnx_type);

template <typename T>
constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::Float32; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::UInt8; }
template <> constexpr DType dtype_of<int8_t>() { return DType::Int8; }
template <> constexpr DType dtype_of<int32_t>() { return DType::Int32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::Int64; }
template <> constexpr DType dtype_of<bool>() { return DType::Bool; }

}  // namespace qcv::ir
