// Pieces of the QDQ -> TFLite lowering that read the ONNX side: quantization parameters of
// QuantizeLinear/DequantizeLinear nodes, int8 weights and int32 biases behind their
// DequantizeLinear, padding, and the NCHW -> NHWC layout change.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "ir/ir.h"
#include "tflite/model_builder.h"

namespace qcv::tflite {

// Per-tensor int8 activation parameters of a QuantizeLinear or DequantizeLinear node.
Quantization activation_quant(const ir::Graph& g, const ir::Node& qdq);

// A constant behind a DequantizeLinear: int8 weights (symmetric) or int32 biases (zero point 0).
struct QuantConstant {
  ir::Tensor values;         // Int8 or Int32, ONNX layout
  std::vector<float> scale;  // one, or one per index of `axis`
  int64_t axis = 0;
};
// Input `input` of `node`, which must be DequantizeLinear(initializer of `dtype`).
QuantConstant quant_constant(const ir::Graph& g, const ir::Node& node, size_t input,
                             ir::DType dtype);

// NCHW -> NHWC for rank-4 shapes; other ranks unchanged. Fails on an unknown dimension.
std::vector<int32_t> tflite_shape(const ir::Shape& onnx_shape, const std::string& value);
// The shape of a value (fully known, after shape inference).
ir::Shape known_shape(const ir::Graph& g, const std::string& value);

// How an ONNX window op's explicit pads become TFLite's: VALID (none), SAME (TensorFlow's split
// of the same total: the smaller half first), or a PAD op before a VALID op.
struct PadPlan {
  Padding padding = Padding::Valid;
  bool explicit_pad = false;
  int64_t top = 0, bottom = 0, left = 0, right = 0;
};
PadPlan plan_padding(const ir::Node& node, int64_t in_h, int64_t in_w, int64_t k_h, int64_t k_w);

// Asymmetric int8 parameters of [lo, hi] widened to hold 0 (as QuantizeLinear ranges are).
Quantization range_quant(double lo, double hi);
// Parameters for a Gemm's float output (no QuantizeLinear to take them from): the exact range its
// outputs can reach from the int8 input range `in`, so that nothing saturates (a wide step).
// weights: [units, depth] int8 with per-unit (or one) scales; bias: real values per unit.
Quantization bounded_output(const Quantization& in, const std::vector<int8_t>& weights,
                            const std::vector<float>& w_scale, const std::vector<double>& bias,
                            int64_t depth);

// Little-endian bytes of a tensor's elements (the host is little-endian, like the format).
std::string tensor_bytes(const ir::Tensor& t);
template <typename T>
std::string vector_bytes(const std::vector<T>& v) {
  return std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(T));
}

}  // namespace qcv::tflite
