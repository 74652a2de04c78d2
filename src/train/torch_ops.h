// Executors of IR ops on torch tensors with ONNX semantics: one small function per op, looked up
// by op type. Autograd flows through all float paths; BN running statistics update in place.
#pragma once
#include <ATen/ATen.h>

#include <string>
#include <vector>

#include "ir/ir.h"

namespace qcv::train {

// What an executor sees of one node during a forward pass.
struct OpContext {
  const ir::Node& node;
  bool training;               // module mode: BN batch statistics, active dropout
  std::vector<at::Tensor> in;  // undefined where an optional input is absent
  std::vector<bool> wanted;    // per node output: false for an omitted optional output
  // Input 0 is read by nothing else and its producer's backward does not need it (a
  // BatchNormalization output): activations may run in place, as torchvision's inplace=True.
  bool may_overwrite_input = false;

  bool has(size_t i) const { return i < in.size() && in[i].defined(); }
  const at::Tensor& input(size_t i) const;  // throws naming the node when absent
  [[noreturn]] void error(const std::string& what) const;
};

using OpExecutor = std::vector<at::Tensor> (*)(OpContext&);

// nullptr when no executor exists for the op.
OpExecutor find_executor(const std::string& op);
// Executor of a QuantizeLinear whose only consumers are DequantizeLinear nodes reading the same
// scale and zero point: fake quantization (float out, straight-through gradient).
std::vector<at::Tensor> fake_quantize(OpContext& c);
std::vector<at::Tensor> identity(OpContext& c);

namespace ops {
// ops_nn.cpp
std::vector<at::Tensor> conv(OpContext& c);
std::vector<at::Tensor> batch_norm(OpContext& c);
std::vector<at::Tensor> average_pool(OpContext& c);
std::vector<at::Tensor> max_pool(OpContext& c);
std::vector<at::Tensor> global_average_pool(OpContext& c);
std::vector<at::Tensor> gemm(OpContext& c);
std::vector<at::Tensor> matmul(OpContext& c);
// ops_elementwise.cpp
std::vector<at::Tensor> relu(OpContext& c);
std::vector<at::Tensor> clip(OpContext& c);
std::vector<at::Tensor> hard_sigmoid(OpContext& c);
std::vector<at::Tensor> hard_swish(OpContext& c);
std::vector<at::Tensor> sigmoid(OpContext& c);
std::vector<at::Tensor> add(OpContext& c);
std::vector<at::Tensor> sub(OpContext& c);
std::vector<at::Tensor> mul(OpContext& c);
std::vector<at::Tensor> div(OpContext& c);
std::vector<at::Tensor> dropout(OpContext& c);
std::vector<at::Tensor> softmax(OpContext& c);
std::vector<at::Tensor> cast(OpContext& c);
// ops_shape.cpp
std::vector<at::Tensor> flatten(OpContext& c);
std::vector<at::Tensor> reshape(OpContext& c);
std::vector<at::Tensor> squeeze(OpContext& c);
std::vector<at::Tensor> unsqueeze(OpContext& c);
std::vector<at::Tensor> shape(OpContext& c);
std::vector<at::Tensor> gather(OpContext& c);
std::vector<at::Tensor> concat(OpContext& c);
std::vector<at::Tensor> constant(OpContext& c);
// ops_quant.cpp
std::vector<at::Tensor> quantize_linear(OpContext& c);
std::vector<at::Tensor> dequantize_linear(OpContext& c);
}  // namespace ops

// Helpers shared by the executor files.
std::vector<int64_t> int_values(const OpContext& c, size_t input);  // a small integer tensor
int64_t normalize_axis(const OpContext& c, int64_t axis, int64_t rank);

}  // namespace qcv::train
