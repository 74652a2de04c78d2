// Element types of tensors, named and numbered as ONNX's TensorProto.DataType.
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>

#include "ir/error.h"

namespace qcv::ir {

enum class DType : int32_t {
  Undefined = 0,
  Float32 = 1,
  UInt8 = 2,
  Int8 = 3,
  UInt16 = 4,
  Int16 = 5,
  Int32 = 6,
  Int64 = 7,
  Bool = 9,
  Float64 = 11,
  UInt32 = 12,
  UInt64 = 13,
};

size_t dtype_size(DType t);
const char* dtype_name(DType t);
// The DType for an ONNX TensorProto data type number; Undefined if qcv does not support it.
DType dtype_from_onnx(int32_t onnx_type);
bool is_float(DType t);    // Float32, Float64
bool is_integer(DType t);  // signed or unsigned integers (not Bool)
bool is_signed(DType t);   // floats and signed integers

template <typename T>
constexpr DType dtype_of();
template <> constexpr DType dtype_of<float>() { return DType::Float32; }
template <> constexpr DType dtype_of<double>() { return DType::Float64; }
template <> constexpr DType dtype_of<uint8_t>() { return DType::UInt8; }
template <> constexpr DType dtype_of<int8_t>() { return DType::Int8; }
template <> constexpr DType dtype_of<uint16_t>() { return DType::UInt16; }
template <> constexpr DType dtype_of<int16_t>() { return DType::Int16; }
template <> constexpr DType dtype_of<int32_t>() { return DType::Int32; }
template <> constexpr DType dtype_of<uint32_t>() { return DType::UInt32; }
template <> constexpr DType dtype_of<int64_t>() { return DType::Int64; }
template <> constexpr DType dtype_of<uint64_t>() { return DType::UInt64; }
template <> constexpr DType dtype_of<bool>() { return DType::Bool; }

// Calls f(T{}) with T the C++ element type of `t` (bool for Bool), so that one generic lambda
// serves every dtype: visit_dtype(t, [&](auto tag) { using T = decltype(tag); ... }).
// Throws for Undefined.
template <typename F>
decltype(auto) visit_dtype(DType t, F&& f) {
  switch (t) {
    case DType::Float32: return f(float{});
    case DType::Float64: return f(double{});
    case DType::UInt8: return f(uint8_t{});
    case DType::Int8: return f(int8_t{});
    case DType::UInt16: return f(uint16_t{});
    case DType::Int16: return f(int16_t{});
    case DType::Int32: return f(int32_t{});
    case DType::UInt32: return f(uint32_t{});
    case DType::Int64: return f(int64_t{});
    case DType::UInt64: return f(uint64_t{});
    case DType::Bool: return f(bool{});
    case DType::Undefined: break;
  }
  fail("element type is undefined");
}

}  // namespace qcv::ir
