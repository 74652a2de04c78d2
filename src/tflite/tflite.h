// qcv::tflite: a QDQ graph made with the `tflite` placement scheme -> a fully-integer TFLite
// flatbuffer (int8 activations, per-channel int8 weights, int32 biases, fused Relu/Relu6), NHWC.
//
// The model's float32 input is NHWC [batch, H, W, C] (the ONNX graph's NCHW input transposed),
// quantized by a QUANTIZE op with the graph's input QuantizeLinear parameters; each output is
// the int8 tensor of the graph's last QuantizeLinear, turned back into float32 by a DEQUANTIZE.
// Float logits of a final Gemm (qcv's schemes leave them float) get an int8 tensor over a given
// range, or else over the bound of every value the Gemm can produce from its int8 input (no data
// needed, nothing saturates, but a wide step).
// Ops written: QUANTIZE, DEQUANTIZE, CONV_2D, DEPTHWISE_CONV_2D, PAD, ADD, MUL, MEAN,
// MAX_POOL_2D, AVERAGE_POOL_2D, FULLY_CONNECTED, RESHAPE. Anything else fails naming the node.
#pragma once
#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "ir/ir.h"

namespace qcv::tflite {

struct ExportOptions {
  int64_t batch = 1;  // TFLite shapes are static: the batch the model is written for
  // Explicit pads that are not TFLite's SAME split (PyTorch's stride-2 padding) become a PAD op
  // (filling int8 with the zero point: real 0) before a VALID op. false: a centered stride-s
  // conv becomes a stride-1 SAME conv and a 1x1 stride-s MAX_POOL_2D that subsamples it (s*s
  // times the compute of that layer, no PAD), for readers whose int8 PAD fills with 0 instead of
  // the zero point (Arm NN 20.08).
  bool pad_ops = true;
  // The range of float logits (a final Gemm's output that the QDQ graph leaves float), e.g.
  // observed on calibration images; lo > hi (the default): the bound computed from the weights.
  float output_lo = 1, output_hi = 0;
};

struct ExportResult {
  std::string bytes;                     // the .tflite file
  std::map<std::string, int> op_counts;  // TFLite op name -> operators written
  std::vector<float> output_scales;      // the step of each output's int8 tensor
  std::vector<int64_t> output_zero_points;
};

// Throws qcv::Error naming the node for a graph it cannot write (an op without a TFLite int8
// counterpart, a float tensor between quantized ops, a uint8 or asymmetric-weight scheme).
ExportResult convert(const ir::Graph& qdq, const ExportOptions& options = {});

}  // namespace qcv::tflite
