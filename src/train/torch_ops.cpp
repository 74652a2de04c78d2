#include "train/torch_ops.h"

#include <map>

namespace qcv::train {

const at::Tensor& OpContext::input(size_t i) const {
  if (!has(i)) error(fmt::format("input {} is missing", i));
  return in[i];
}

void OpContext::error(const std::string& what) const {
  fail("torch backend: node '{}' ({}): {}", node.name, node.op, what);
}

std::vector<at::Tensor> identity(OpContext& c) { return {c.input(0)}; }

OpExecutor find_executor(const std::string& op) {
  static const std::map<std::string, OpExecutor> table = {
      {"Conv", ops::conv},
      {"BatchNormalization", ops::batch_norm},
      {"Relu", ops::relu},
      {"Clip", ops::clip},
      {"HardSigmoid", ops::hard_sigmoid},
      {"HardSwish", ops::hard_swish},
      {"Sigmoid", ops::sigmoid},
      {"Add", ops::add},
      {"Sub", ops::sub},
      {"Mul", ops::mul},
      {"Div", ops::div},
      {"GlobalAveragePool", ops::global_average_pool},
      {"AveragePool", ops::average_pool},
      {"MaxPool", ops::max_pool},
      {"Gemm", ops::gemm},
      {"MatMul", ops::matmul},
      {"Flatten", ops::flatten},
      {"Reshape", ops::reshape},
      {"Squeeze", ops::squeeze},
      {"Unsqueeze", ops::unsqueeze},
      {"Shape", ops::shape},
      {"Gather", ops::gather},
      {"Concat", ops::concat},
      {"Identity", identity},
      {"Dropout", ops::dropout},
      {"Softmax", ops::softmax},
      {"Cast", ops::cast},
      {"Constant", ops::constant},
      {"QuantizeLinear", ops::quantize_linear},
      {"DequantizeLinear", ops::dequantize_linear},
  };
  auto it = table.find(op);
  return it == table.end() ? nullptr : it->second;
}

std::vector<int64_t> int_values(const OpContext& c, size_t input) {
  const at::Tensor& t = c.input(input);
  if (t.is_floating_point()) c.error(fmt::format("input {} must be an integer tensor", input));
  at::Tensor v = t.to(at::kCPU, at::kLong).contiguous();
  const int64_t* p = v.data_ptr<int64_t>();
  return std::vector<int64_t>(p, p + v.numel());
}

int64_t normalize_axis(const OpContext& c, int64_t axis, int64_t rank) {
  if (axis < -rank || axis >= rank)
    c.error(fmt::format("axis {} out of range for rank {}", axis, rank));
  return axis < 0 ? axis + rank : axis;
}

}  // namespace qcv::train
