// Serialization of a ModelBuilder through the flatc-generated tflite_subset_generated.h.
#include "tflite/model_builder.h"

#include <flatbuffers/flatbuffers.h>

#include "ir/error.h"
#include "tflite_subset_generated.h"

namespace qcv::tflite {

using flatbuffers::FlatBufferBuilder;
using flatbuffers::Offset;

const char* op_code_name(OpCode code) {
  return fb::EnumNameBuiltinOperator(static_cast<fb::BuiltinOperator>(code));
}

ModelBuilder::ModelBuilder() { buffers_.emplace_back(); }

int ModelBuilder::add_tensor(TensorDef tensor) {
  tensors_.push_back(std::move(tensor));
  return static_cast<int>(tensors_.size()) - 1;
}

int ModelBuilder::add_constant(TensorDef tensor, std::string bytes) {
  buffers_.push_back(std::move(bytes));
  tensor.buffer = static_cast<uint32_t>(buffers_.size() - 1);
  return add_tensor(std::move(tensor));
}

namespace {

fb::Padding padding(Padding p) { return static_cast<fb::Padding>(p); }
fb::ActivationFunctionType activation(Activation a) {
  return static_cast<fb::ActivationFunctionType>(a);
}

// The options table of one operator and its union type.
std::pair<fb::BuiltinOptions, Offset<void>> options(FlatBufferBuilder& b, const OperatorDef& op) {
  const OpOptions& o = op.options;
  switch (op.code) {
    case OpCode::Conv2D:
      return {fb::BuiltinOptions_Conv2DOptions,
              fb::CreateConv2DOptions(b, padding(o.padding), o.stride_w, o.stride_h,
                                      activation(o.activation), o.dilation_w, o.dilation_h)
                  .Union()};
    case OpCode::DepthwiseConv2D:
      return {fb::BuiltinOptions_DepthwiseConv2DOptions,
              fb::CreateDepthwiseConv2DOptions(b, padding(o.padding), o.stride_w, o.stride_h,
                                               o.depth_multiplier, activation(o.activation),
                                               o.dilation_w, o.dilation_h)
                  .Union()};
    case OpCode::AveragePool2D:
    case OpCode::MaxPool2D:
      return {fb::BuiltinOptions_Pool2DOptions,
              fb::CreatePool2DOptions(b, padding(o.padding), o.stride_w, o.stride_h, o.filter_w,
                                      o.filter_h, activation(o.activation))
                  .Union()};
    case OpCode::FullyConnected:
      return {fb::BuiltinOptions_FullyConnectedOptions,
              fb::CreateFullyConnectedOptions(b, activation(o.activation)).Union()};
    case OpCode::Add:
      return {fb::BuiltinOptions_AddOptions,
              fb::CreateAddOptions(b, activation(o.activation)).Union()};
    case OpCode::Mul:
      return {fb::BuiltinOptions_MulOptions,
              fb::CreateMulOptions(b, activation(o.activation)).Union()};
    case OpCode::Reshape:
      return {fb::BuiltinOptions_ReshapeOptions,
              fb::CreateReshapeOptions(b, b.CreateVector(o.new_shape)).Union()};
    case OpCode::Mean:
      return {fb::BuiltinOptions_ReducerOptions, fb::CreateReducerOptions(b, o.keep_dims).Union()};
    default:
      return {fb::BuiltinOptions_NONE, 0};
  }
}

Offset<fb::QuantizationParameters> quantization(FlatBufferBuilder& b, const Quantization& q) {
  if (q.scale.empty()) return 0;
  return fb::CreateQuantizationParameters(b, 0, 0, b.CreateVector(q.scale),
                                          b.CreateVector(q.zero_point), 0, 0, q.axis);
}

}  // namespace

std::string ModelBuilder::serialize(const std::string& description) const {
  FlatBufferBuilder b(1 << 16);
  // Operator codes: one per distinct code, in order of first use.
  std::vector<OpCode> codes;
  std::vector<uint32_t> code_index;
  for (const auto& op : operators_) {
    auto it = std::find(codes.begin(), codes.end(), op.code);
    code_index.push_back(static_cast<uint32_t>(it - codes.begin()));
    if (it == codes.end()) codes.push_back(op.code);
  }
  std::vector<Offset<fb::OperatorCode>> code_tables;
  for (OpCode c : codes) {
    const auto value = static_cast<int32_t>(c);
    // Readers of schema versions before the 32-bit field read the byte field; both are set.
    const auto old_value = static_cast<int8_t>(value < 127 ? value : 127);
    code_tables.push_back(
        fb::CreateOperatorCode(b, old_value, 0, 1, static_cast<fb::BuiltinOperator>(value)));
  }
  std::vector<Offset<fb::Tensor>> tensor_tables;
  for (const auto& t : tensors_) {
    tensor_tables.push_back(fb::CreateTensor(b, b.CreateVector(t.shape),
                                             static_cast<fb::TensorType>(t.type), t.buffer,
                                             b.CreateString(t.name), quantization(b, t.quant)));
  }
  std::vector<Offset<fb::Operator>> op_tables;
  for (size_t i = 0; i < operators_.size(); ++i) {
    const auto& op = operators_[i];
    auto [type, value] = options(b, op);
    op_tables.push_back(fb::CreateOperator(b, code_index[i], b.CreateVector(op.inputs),
                                           b.CreateVector(op.outputs), type, value));
  }
  auto subgraph = fb::CreateSubGraph(b, b.CreateVector(tensor_tables), b.CreateVector(inputs_),
                                     b.CreateVector(outputs_), b.CreateVector(op_tables),
                                     b.CreateString("main"));
  std::vector<Offset<fb::Buffer>> buffer_tables;
  for (const auto& bytes : buffers_) {
    if (bytes.empty()) {
      buffer_tables.push_back(fb::CreateBuffer(b));
      continue;
    }
    // The format aligns constant data to 16 bytes (readers may map it in place).
    b.ForceVectorAlignment(bytes.size(), 1, 16);
    auto data = b.CreateVector(reinterpret_cast<const uint8_t*>(bytes.data()), bytes.size());
    buffer_tables.push_back(fb::CreateBuffer(b, data));
  }
  auto model = fb::CreateModel(b, 3, b.CreateVector(code_tables),
                               b.CreateVector(std::vector<Offset<fb::SubGraph>>{subgraph}),
                               b.CreateString(description), b.CreateVector(buffer_tables));
  b.Finish(model, fb::ModelIdentifier());
  return std::string(reinterpret_cast<const char*>(b.GetBufferPointer()), b.GetSize());
}

}  // namespace qcv::tflite
