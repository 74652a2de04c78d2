#include "ir/dtype.h"

namespace qcv::ir {

size_t dtype_size(DType t) {
  if (t == DType::Undefined) return 0;
  return visit_dtype(t, [](auto tag) { return sizeof(tag); });
}

const char* dtype_name(DType t) {
  switch (t) {
    case DType::Float32: return "float32";
    case DType::Float64: return "float64";
    case DType::UInt8: return "uint8";
    case DType::Int8: return "int8";
    case DType::UInt16: return "uint16";
    case DType::Int16: return "int16";
    case DType::Int32: return "int32";
    case DType::UInt32: return "uint32";
    case DType::Int64: return "int64";
    case DType::UInt64: return "uint64";
    case DType::Bool: return "bool";
    case DType::Undefined: return "undefined";
  }
  return "undefined";
}

DType dtype_from_onnx(int32_t onnx_type) {
  switch (onnx_type) {
    case 1: return DType::Float32;
    case 2: return DType::UInt8;
    case 3: return DType::Int8;
    case 4: return DType::UInt16;
    case 5: return DType::Int16;
    case 6: return DType::Int32;
    case 7: return DType::Int64;
    case 9: return DType::Bool;
    case 11: return DType::Float64;
    case 12: return DType::UInt32;
    case 13: return DType::UInt64;
    default: return DType::Undefined;
  }
}

bool is_float(DType t) { return t == DType::Float32 || t == DType::Float64; }

bool is_integer(DType t) { return t != DType::Undefined && t != DType::Bool && !is_float(t); }

bool is_signed(DType t) {
  return is_float(t) || t == DType::Int8 || t == DType::Int16 || t == DType::Int32 ||
         t == DType::Int64;
}

}  // namespace qcv::ir
