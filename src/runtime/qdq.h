// Quantization parameters of QuantizeLinear/DequantizeLinear nodes as the INT8 steps need them,
// the checks every QDQ graph passes at Session creation, and the selectors of the quantized
// patterns (which node is a dequantized weight, which Q ends a conv chain). The actions that
// rewrite a matched pattern into oneDNN int8 steps live in compile_q*.cpp.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "ir/ir.h"

namespace qcv::runtime {

struct QParams {
  std::vector<float> scale;  // one value (per tensor) or one per slice along `axis`
  std::vector<int32_t> zero_point;
  int64_t axis = -1;                   // normalized; -1: per tensor
  ir::DType dtype = ir::DType::UInt8;  // the quantized type (Int8, UInt8, or Int32 for biases)

  bool per_tensor() const { return scale.size() == 1; }
  bool operator==(const QParams& o) const {
    return scale == o.scale && zero_point == o.zero_point && dtype == o.dtype &&
           (per_tensor() || axis == o.axis);
  }
};

// The parameters of a QuantizeLinear/DequantizeLinear node whose scale and zero point are
// initializers; nullopt when they are computed at run time. Throws qcv::Error naming the node on
// a zero, negative or non-finite scale, a zero point whose dtype differs from the quantized type
// (DQ: its input; Q: uint8 when the zero point is absent), a zero point count differing from the
// scale count, or a per-axis scale whose size differs from the axis dimension.
std::optional<QParams> qdq_params(const ir::Graph& g, const ir::Node& n);

// Checks every Q/DQ node of a shape-inferred graph (see qdq_params).
void validate_qdq_nodes(const ir::Graph& g);

// Replaces each QuantizeLinear of a float initializer (a QAT file's weights) by its int8 result,
// computed once with the reference kernel (ONNX's rounding), so that the DequantizeLinear after
// it reads an int8 initializer as in a PTQ file. Returns whether the graph changed.
bool fold_weight_quantization(ir::Graph& g);

// Makes a squeeze-excite Mul (its other input a per-channel gate, its result quantized) read
// the quantized copy DQ(Q(h)) of a float input h that another reader quantizes anyway, so that it
// runs on int8 numbers (quantized_reads.cpp says what this changes). Returns whether it did.
bool read_quantized_copies(ir::Graph& g);

// Selector: node p (may be -1) is DequantizeLinear of an int8 initializer with zero points 0,
// per tensor or per axis `axis`: a weight whose int8 numbers are used as they are.
struct QuantWeight {
  const ir::Tensor* q = nullptr;
  QParams params;
};
std::optional<QuantWeight> quantized_weight(const ir::Graph& g, int p, int64_t axis);

// Selector: node p (may be -1) is a DequantizeLinear with a non-constant input and per-tensor
// uint8/int8 parameters (an activation that may stay int8).
std::optional<QParams> dequantized_activation(const ir::Graph& g, int p);

// The per-tensor uint8/int8 parameters of a QuantizeLinear node, or nullopt.
std::optional<QParams> quantize_node_params(const ir::Graph& g, const ir::Node& n);

}  // namespace qcv::runtime
