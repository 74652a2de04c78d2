// ir::Tensor <-> onnx::TensorProto (private to qcv_onnx).
#pragma once
#include <onnx/onnx_pb.h>

#include <string>

#include "ir/tensor.h"

namespace qcv::onnx::detail {

// `what` names the tensor in errors, e.g. "initializer 'conv1.weight'".
ir::Tensor tensor_from_proto(const ::onnx::TensorProto& proto, const std::string& what);
// The same, taking over proto's raw_data bytes instead of copying them (ResNet-50 INT8: 25 MB
// less to allocate and fault in while loading); proto's payload is gone afterwards.
ir::Tensor tensor_from_proto(::onnx::TensorProto* proto, const std::string& what);
// Writes dims, data_type and raw_data (little-endian, as ONNX requires).
void tensor_to_proto(const ir::Tensor& t, const std::string& name, ::onnx::TensorProto* proto);

// ONNX type name for messages ("FLOAT16", "DOUBLE").
std::string onnx_type_name(int32_t data_type);

}  // namespace qcv::onnx::detail
