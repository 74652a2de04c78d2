// QOperator ops (ONNX's QLinearConv/QLinearMatMul and ONNX Runtime's com.microsoft QLinear*/QGemm)
// rewritten at import into the IR's QDQ form (private to qcv_onnx).
#pragma once
#include <string>

#include "ir/graph.h"

namespace qcv::onnx::detail {

// True for the QOperator ops that rewrite_qoperator_ops turns into QDQ: QLinearConv and
// QLinearMatMul of the default domain, QLinearAdd, QLinearMul, QLinearGlobalAveragePool,
// QLinearAveragePool, QLinearSigmoid, QLinearLeakyRelu, QLinearConcat and QGemm of com.microsoft.
bool is_qoperator_op(const std::string& domain, const std::string& op);

// Replaces each QOperator node by DequantizeLinear on its quantized inputs (the file's scale and
// zero-point initializers reused), the float op, and QuantizeLinear with the output's scale and
// zero point. QLinearConv's and QGemm's int32 bias is read through a DequantizeLinear of scale
// x_scale * w_scale (per channel; QGemm: times alpha) and zero point 0, as ONNX Runtime's QDQ
// quantizer writes it. A MaxPool on quantized numbers (left between QLinear ops) becomes
// DQ -> MaxPool -> Q with the same parameters. Runs on the nodes as read (before shape
// inference); throws naming the node on a form qcv does not implement (channels_last=1).
void rewrite_qoperator_ops(ir::Graph& g);

}  // namespace qcv::onnx::detail
