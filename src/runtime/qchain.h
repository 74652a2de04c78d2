// Shared pieces of the INT8 actions (compile_qconv.cpp, compile_qgemm.cpp): the chain of nodes
// fused after an int8 primitive and the attributes that compute it.
#pragma once
#include <functional>
#include <optional>
#include <string>
#include <vector>

#include "runtime/fusion.h"
#include "runtime/qdq.h"

namespace qcv::runtime {

// What follows the int8 primitive and is fused into it.
struct QChain {
  std::vector<int> absorbed;                 // node indices
  std::vector<EltOp> before_sum, after_sum;  // activations around the residual Add
  std::string sum_operand;                   // the Add's other input, "" when none
  int sum_node = -1;
  std::optional<QParams> output;  // the final QuantizeLinear's parameters: int8 destination
  std::string output_name;        // the value the whole chain produces
};

// The fused tail of anchor i, following single readers: activations, one Add whose other input
// is `available` (always false: no Add), activations, and a QuantizeLinear.
QChain follow_chain(const ir::Graph& g, const FusionPlan& fusion, int i,
                    const std::function<bool(const std::string&)>& available);
// Drops the trailing QuantizeLinear of a chain (the destination stays float).
void drop_quantize(QChain& c, const ir::Graph& g, int anchor);
// Output scales (acc_scale: s_x * s_w per output channel, divided by the destination's scale),
// source zero point, activations, sum (scale and zero point of an int8 residual) and the
// destination's zero point.
dnnl::primitive_attr int8_attr(const std::vector<float>& acc_scale, const QParams& x,
                               const QChain& chain, const std::optional<float>& sum_scale,
                               int32_t sum_zero_point);
// The bias `name` (float initializer or DequantizeLinear of int32) in accumulator units; false
// when it is neither.
bool accumulator_bias(const ir::Graph& g, const std::string& name,
                      const std::vector<float>& acc_scale, std::vector<float>& bias);
// An activation computed on values divided by s (the destination's scale), when it can be.
std::optional<EltOp> rescaled(const EltOp& e, float s);
// The activation f'(v + zp) = f(v) + zp (clip bounds moved), when it can be written so.
std::optional<EltOp> shifted(const EltOp& e, float zp);
// Marks the chain's nodes as run by the anchor.
void absorb_chain(FusionPlan& fusion, int anchor, const QChain& chain);
std::string int8_label(const ir::Graph& g, int anchor, const std::string& kind, const QChain& chain,
                       const std::string& impl, ir::DType src, ir::DType dst);

}  // namespace qcv::runtime
