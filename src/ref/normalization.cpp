// BatchNormalization (inference and training forms) and Softmax (opset-13 semantics: along one axis).
#include <cmath>

#include "ref/kernel.h"

namespace qcv::ref::detail {

// Training mode (opset 14+): normalizes with the batch's mean and (biased) variance, and
// outputs the running statistics blended with them: r = r * momentum + batch * (1 - momentum).
std::vector<ir::Tensor> batch_norm(const KernelArgs& a) {
  const bool training = a.node.attr_int("training_mode", 0) != 0;
  if (!training && (a.wants_output(1) || a.wants_output(2)))
    a.error("running statistics outputs without training_mode=1 are not supported");
  const ir::Tensor& x = a.in(0);
  const int64_t channels = x.dim(1);
  std::vector<float> scale = a.in(1).to_float_vector(), bias = a.in(2).to_float_vector();
  std::vector<float> mean = a.in(3).to_float_vector(), var = a.in(4).to_float_vector();
  for (size_t i = 1; i < 5; ++i)
    if (a.in(i).numel() != channels)
      a.error(fmt::format("input {} has {} values for {} channels", i, a.in(i).numel(), channels));
  const double eps = a.node.attr_float("epsilon", 1e-5f);
  ir::Tensor y(ir::DType::Float32, x.shape());
  const int64_t inner = channels > 0 && x.dim(0) > 0 ? x.numel() / (x.dim(0) * channels) : 0;
  const float* xd = x.data<float>();
  std::vector<ir::Tensor> running;
  if (training) {
    const double momentum = a.node.attr_float("momentum", 0.9f);
    const double count = static_cast<double>(x.dim(0) * inner);
    ir::Tensor run_mean(ir::DType::Float32, {channels}), run_var(ir::DType::Float32, {channels});
    for (int64_t c = 0; c < channels; ++c) {
      double sum = 0, square = 0;
      for (int64_t n = 0; n < x.dim(0); ++n)
        for (int64_t i = 0; i < inner; ++i) sum += xd[(n * channels + c) * inner + i];
      const double m = count > 0 ? sum / count : 0;
      for (int64_t n = 0; n < x.dim(0); ++n)
        for (int64_t i = 0; i < inner; ++i) {
          const double d = xd[(n * channels + c) * inner + i] - m;
          square += d * d;
        }
      const double v = count > 0 ? square / count : 0;
      run_mean.data<float>()[c] = static_cast<float>(mean[c] * momentum + m * (1 - momentum));
      run_var.data<float>()[c] = static_cast<float>(var[c] * momentum + v * (1 - momentum));
      mean[c] = static_cast<float>(m);
      var[c] = static_cast<float>(v);
    }
    running = {run_mean, run_var};
  }
  float* yd = y.data<float>();
  for (int64_t n = 0; n < x.dim(0); ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      const double k = scale[c] / std::sqrt(static_cast<double>(var[c]) + eps);
      const int64_t base = (n * channels + c) * inner;
      for (int64_t i = 0; i < inner; ++i)
        yd[base + i] =
            static_cast<float>((xd[base + i] - static_cast<double>(mean[c])) * k + bias[c]);
    }
  }
  std::vector<ir::Tensor> out{y};
  for (size_t k = 1; k < a.node.outputs.size() && k - 1 < running.size(); ++k)
    out.push_back(running[k - 1]);
  return out;
}

std::vector<ir::Tensor> softmax(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  int64_t axis = a.node.attr_int("axis", -1);
  if (axis < 0) axis += rank;
  if (rank == 0 || axis < 0 || axis >= rank)
    a.error(fmt::format("axis {} out of range for shape {}", a.node.attr_int("axis", -1),
                        ir::shape_str(x.shape())));
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int64_t d = axis + 1; d < rank; ++d) inner *= x.dim(d);
  const int64_t n = x.dim(axis);
  ir::Tensor y(ir::DType::Float32, x.shape());
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  for (int64_t o = 0; o < outer; ++o) {
    for (int64_t i = 0; i < inner; ++i) {
      const int64_t base = o * n * inner + i;
      double largest = -INFINITY;
      for (int64_t j = 0; j < n; ++j)
        largest = std::max(largest, static_cast<double>(xd[base + j * inner]));
      double sum = 0;
      for (int64_t j = 0; j < n; ++j) sum += std::exp(xd[base + j * inner] - largest);
      for (int64_t j = 0; j < n; ++j)
        yd[base + j * inner] = static_cast<float>(std::exp(xd[base + j * inner] - largest) / sum);
    }
  }
  return {y};
}

}  // namespace qcv::ref::detail
