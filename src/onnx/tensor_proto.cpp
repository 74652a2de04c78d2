#include "onnx/tensor_proto.h"

#include <cstring>
#include <limits>

#include "ir/limits.h"

namespace qcv::onnx::detail {

namespace {

ir::Shape checked_dims(const ::onnx::TensorProto& proto, const std::string& what) {
  ir::Shape shape(proto.dims().begin(), proto.dims().end());
  limits::checked_numel(shape, what);
  return shape;
}

template <typename Dst, typename Field>
void copy_typed(const Field& field, ir::Tensor& t, const std::string& what,
                const char* field_name) {
  if (static_cast<int64_t>(field.size()) != t.numel())
    fail("{}: {} has {} values for shape {}", what, field_name, field.size(),
         ir::shape_str(t.shape()));
  auto* out = static_cast<Dst*>(t.raw());
  for (int i = 0; i < field.size(); ++i) out[i] = static_cast<Dst>(field.Get(i));
}

}  // namespace

std::string onnx_type_name(int32_t data_type) {
  if (::onnx::TensorProto_DataType_IsValid(data_type))
    return ::onnx::TensorProto_DataType_Name(static_cast<::onnx::TensorProto_DataType>(data_type));
  return "type " + std::to_string(data_type);
}

ir::Tensor tensor_from_proto(::onnx::TensorProto* proto, const std::string& what) {
  const ir::DType dtype = ir::dtype_from_onnx(proto->data_type());
  // Anything unusual (and Bool, whose bytes are normalized, and small tensors, not worth it)
  // takes the copying path, which also reports every error.
  const bool plain = proto->has_raw_data() &&
                     proto->data_location() != ::onnx::TensorProto::EXTERNAL &&
                     proto->external_data_size() == 0 && !proto->has_segment();
  if (!plain || dtype == ir::DType::Undefined || dtype == ir::DType::Bool ||
      proto->raw_data().size() < 4096)
    return tensor_from_proto(*proto, what);
  ir::Shape shape = checked_dims(*proto, what);
  const uint64_t want = limits::checked_tensor_bytes(shape, ir::dtype_size(dtype), what);
  if (proto->raw_data().size() != want) return tensor_from_proto(*proto, what);  // its error
  std::shared_ptr<std::string> owner(proto->release_raw_data());
  auto* bytes = reinterpret_cast<uint8_t*>(owner->data());
  return ir::Tensor::adopt(dtype, std::move(shape), std::shared_ptr<uint8_t>(owner, bytes));
}

ir::Tensor tensor_from_proto(const ::onnx::TensorProto& proto, const std::string& what) {
  if (proto.data_location() == ::onnx::TensorProto::EXTERNAL || proto.external_data_size() > 0)
    fail("{}: external data here is not supported (only initializers of a model file)", what);
  if (proto.has_segment()) fail("{}: segmented tensors are not supported", what);
  ir::DType dtype = ir::dtype_from_onnx(proto.data_type());
  if (dtype == ir::DType::Undefined)
    fail("{}: unsupported data type {} (qcv supports float32/64, bool and the 8-64 bit integer types)",
         what, onnx_type_name(proto.data_type()));
  ir::Shape shape = checked_dims(proto, what);
  const int64_t numel = limits::checked_numel(shape, what);

  if (proto.has_raw_data()) {
    const std::string& raw = proto.raw_data();
    // Overflow-checked, and within QCV_MAX_TENSOR_BYTES, before comparing with what is present.
    const uint64_t want = limits::checked_tensor_bytes(shape, ir::dtype_size(dtype), what);
    if (raw.size() != want)
      fail("{}: raw_data has {} bytes, shape {} of {} needs {}", what, raw.size(),
           ir::shape_str(shape), ir::dtype_name(dtype), want);
    ir::Tensor t = ir::Tensor::uninitialized(dtype, shape);
    if (want) std::memcpy(t.raw(), raw.data(), want);  // ONNX raw data is little-endian, as is x86
    if (dtype == ir::DType::Bool) {
      // A byte other than 0/1 is not a valid C++ bool; ONNX means nonzero = true.
      auto* b = static_cast<uint8_t*>(t.raw());
      for (uint64_t i = 0; i < want; ++i) b[i] = b[i] != 0;
    }
    return t;
  }
  // Refuse before allocating: typed fields must hold exactly numel values.
  int64_t available = 0;
  switch (dtype) {
    case ir::DType::Float32: available = proto.float_data_size(); break;
    case ir::DType::Float64: available = proto.double_data_size(); break;
    case ir::DType::Int64: available = proto.int64_data_size(); break;
    case ir::DType::UInt32:
    case ir::DType::UInt64: available = proto.uint64_data_size(); break;
    default: available = proto.int32_data_size(); break;  // the narrower integer types, bool
  }
  if (available != numel)
    fail("{}: has {} values for shape {} of {}", what, available, ir::shape_str(shape),
         ir::dtype_name(dtype));
  ir::Tensor t(dtype, shape);
  switch (dtype) {
    case ir::DType::Float32: copy_typed<float>(proto.float_data(), t, what, "float_data"); break;
    case ir::DType::Float64: copy_typed<double>(proto.double_data(), t, what, "double_data"); break;
    case ir::DType::Int64: copy_typed<int64_t>(proto.int64_data(), t, what, "int64_data"); break;
    case ir::DType::UInt64:
      copy_typed<uint64_t>(proto.uint64_data(), t, what, "uint64_data");
      break;
    case ir::DType::UInt32:
      copy_typed<uint32_t>(proto.uint64_data(), t, what, "uint64_data");
      break;
    case ir::DType::Bool: {
      auto* out = static_cast<bool*>(t.raw());
      for (int i = 0; i < proto.int32_data_size(); ++i) out[i] = proto.int32_data(i) != 0;
      break;
    }
    default:
      for (int i = 0; i < proto.int32_data_size(); ++i) t.set_int64(i, proto.int32_data(i));
      break;
  }
  return t;
}

void tensor_to_proto(const ir::Tensor& t, const std::string& name, ::onnx::TensorProto* proto) {
  if (t.empty()) fail("tensor '{}': cannot serialize an empty (undefined) tensor", name);
  proto->Clear();
  if (!name.empty()) proto->set_name(name);
  proto->set_data_type(static_cast<int32_t>(t.dtype()));  // ir::DType uses ONNX's numbering
  for (int64_t d : t.shape()) proto->add_dims(d);
  proto->set_raw_data(static_cast<const char*>(t.raw()), t.nbytes());
}

}  // namespace qcv::onnx::detail
