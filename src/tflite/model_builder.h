// An in-memory TFLite model (one subgraph): tensors, constant buffers and operators, serialized
// as a "TFL3" flatbuffer through the C++ that flatc generates from tflite_subset.fbs. It knows
// nothing of ONNX: the lowering (lower.cpp) decides what goes in.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace qcv::tflite {

// Values of the format's enums that qcv writes (tflite_subset.fbs has the full declarations).
enum class TensorType : int8_t { Float32 = 0, Int32 = 2, Int8 = 9 };
enum class Padding : int8_t { Same = 0, Valid = 1 };
enum class Activation : int8_t { None = 0, Relu = 1, ReluN1To1 = 2, Relu6 = 3 };
enum class OpCode : int32_t {
  Add = 0,
  AveragePool2D = 1,
  Conv2D = 3,
  DepthwiseConv2D = 4,
  Dequantize = 6,
  FullyConnected = 9,
  Logistic = 14,
  MaxPool2D = 17,
  Mul = 18,
  Reshape = 22,
  Pad = 34,
  Mean = 40,
  Quantize = 114,
  HardSwish = 117,
};
const char* op_code_name(OpCode code);

struct Quantization {
  std::vector<float> scale;  // empty: not quantized
  std::vector<int64_t> zero_point;
  int32_t axis = 0;  // quantized_dimension (per-channel tensors)
};

struct TensorDef {
  std::string name;
  std::vector<int32_t> shape;
  TensorType type = TensorType::Float32;
  Quantization quant;
  uint32_t buffer = 0;  // 0: no data (activations)
};

// The options table of an operator; which fields count depends on `code`.
struct OpOptions {
  Padding padding = Padding::Valid;
  int32_t stride_w = 1, stride_h = 1, dilation_w = 1, dilation_h = 1;
  int32_t filter_w = 0, filter_h = 0;  // pooling
  int32_t depth_multiplier = 1;
  Activation activation = Activation::None;
  std::vector<int32_t> new_shape;  // RESHAPE
  bool keep_dims = false;          // MEAN
};

struct OperatorDef {
  OpCode code;
  std::vector<int32_t> inputs, outputs;  // tensor indices
  OpOptions options;
};

class ModelBuilder {
 public:
  ModelBuilder();
  int add_tensor(TensorDef tensor);
  // A constant tensor: `bytes` little-endian element data in a buffer of its own.
  int add_constant(TensorDef tensor, std::string bytes);
  void add_operator(OperatorDef op) { operators_.push_back(std::move(op)); }
  void add_input(int tensor) { inputs_.push_back(tensor); }
  void add_output(int tensor) { outputs_.push_back(tensor); }

  const TensorDef& tensor(int index) const { return tensors_.at(index); }
  TensorDef& mutable_tensor(int index) { return tensors_.at(index); }
  const std::vector<OperatorDef>& operators() const { return operators_; }
  // The flatbuffer bytes of the whole model (file identifier "TFL3", schema version 3).
  std::string serialize(const std::string& description) const;

 private:
  std::vector<TensorDef> tensors_;
  std::vector<std::string> buffers_;  // buffers_[0] is the empty buffer the format reserves
  std::vector<OperatorDef> operators_;
  std::vector<int32_t> inputs_, outputs_;
};

}  // namespace qcv::tflite
