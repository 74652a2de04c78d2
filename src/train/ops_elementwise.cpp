// Activations, binary arithmetic (numpy broadcasting, as torch), Dropout, Softmax and Cast.
#include <optional>

#include "train/torch_ops.h"

namespace qcv::train::ops {
namespace {

std::optional<double> scalar_bound(const OpContext& c, size_t i) {
  if (!c.has(i)) return std::nullopt;
  if (c.in[i].numel() != 1) c.error(fmt::format("bound input {} must be a scalar", i));
  return c.in[i].item<double>();
}

}  // namespace

std::vector<at::Tensor> relu(OpContext& c) {
  if (c.may_overwrite_input) {
    at::Tensor x = c.input(0);
    return {at::relu_(x)};
  }
  return {at::relu(c.input(0))};
}

std::vector<at::Tensor> clip(OpContext& c) {
  std::optional<double> lo = scalar_bound(c, 1), hi = scalar_bound(c, 2);
  const at::Tensor& x = c.input(0);
  if (lo && hi && x.is_floating_point()) {
    if (*lo > *hi) return {at::full_like(x, *hi)};  // ONNX: all values become max
    if (c.may_overwrite_input) {
      at::Tensor y = x;
      return {at::hardtanh_(y, *lo, *hi)};
    }
    return {at::hardtanh(x, *lo, *hi)};  // ReLU6 and friends: one fused kernel
  }
  if (!lo && !hi) return {x};
  return {at::clamp(x, lo ? c10::optional<at::Scalar>(*lo) : c10::nullopt,
                    hi ? c10::optional<at::Scalar>(*hi) : c10::nullopt)};
}

std::vector<at::Tensor> hard_sigmoid(OpContext& c) {
  // ONNX defaults alpha 0.2, beta 0.5 (Keras); torch's hardsigmoid is alpha 1/6.
  const double alpha = c.node.attr_float("alpha", 0.2f), beta = c.node.attr_float("beta", 0.5f);
  return {at::hardtanh(c.input(0) * alpha + beta, 0.0, 1.0)};
}

// ONNX HardSwish: x * max(0, min(1, x / 6 + 0.5)), the same function as torch's.
std::vector<at::Tensor> hard_swish(OpContext& c) { return {at::hardswish(c.input(0))}; }

std::vector<at::Tensor> sigmoid(OpContext& c) { return {at::sigmoid(c.input(0))}; }

std::vector<at::Tensor> add(OpContext& c) { return {at::add(c.input(0), c.input(1))}; }
std::vector<at::Tensor> sub(OpContext& c) { return {at::sub(c.input(0), c.input(1))}; }
std::vector<at::Tensor> mul(OpContext& c) { return {at::mul(c.input(0), c.input(1))}; }

std::vector<at::Tensor> div(OpContext& c) {
  const at::Tensor& a = c.input(0);
  // ONNX integer division truncates (C semantics); torch's true division would make floats.
  if (!a.is_floating_point()) return {at::div(a, c.input(1), "trunc")};
  return {at::div(a, c.input(1))};
}

std::vector<at::Tensor> dropout(OpContext& c) {
  const at::Tensor& x = c.input(0);
  const double ratio = c.has(1) ? c.in[1].item<double>() : 0.5;
  if (ratio < 0 || ratio >= 1) c.error(fmt::format("ratio {} must be in [0, 1)", ratio));
  const bool want_mask = c.wanted.size() > 1 && c.wanted[1];
  // Active only when the module trains (the graph's training_mode input is for ONNX training
  // runtimes; qcv's trainer owns the mode).
  if (!c.training || ratio == 0) {
    if (!want_mask) return {x};
    return {x, at::ones_like(x, x.options().dtype(at::kBool))};
  }
  if (!want_mask) return {at::dropout(x, ratio, true)};
  at::Tensor mask = at::bernoulli(at::full_like(x.detach(), 1.0 - ratio)).to(at::kBool);
  return {x * mask / (1.0 - ratio), mask};
}

std::vector<at::Tensor> softmax(OpContext& c) {
  const at::Tensor& x = c.input(0);
  return {at::softmax(x, normalize_axis(c, c.node.attr_int("axis", -1), x.dim()))};
}

std::vector<at::Tensor> cast(OpContext& c) {
  ir::DType to = ir::dtype_from_onnx(static_cast<int32_t>(c.node.attr_int("to")));
  if (to == ir::DType::Undefined) c.error("unsupported target type");
  const at::Tensor& x = c.input(0);
  at::ScalarType target;
  switch (to) {
    case ir::DType::Float32:
      target = at::kFloat;
      break;
    case ir::DType::UInt8:
      target = at::kByte;
      break;
    case ir::DType::Int8:
      target = at::kChar;
      break;
    case ir::DType::Int32:
      target = at::kInt;
      break;
    case ir::DType::Int64:
      target = at::kLong;
      break;
    case ir::DType::Bool:
      target = at::kBool;
      break;
    default:
      c.error("unsupported target type");
  }
  // Float to integer truncates toward zero in both ONNX and torch.
  return {x.to(target)};
}

}  // namespace qcv::train::ops
