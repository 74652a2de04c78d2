#include "train/adaround_solver.h"

#include <ATen/CPUGeneratorImpl.h>
#include <ATen/Parallel.h>
#include <torch/optim/adam.h>

#include <algorithm>
#include <vector>

#include "train/tensor_convert.h"

namespace qcv::train {

namespace {

constexpr double kZeta = 1.1, kGamma = -0.1;

// The rectified sigmoid: exactly 0 or 1 over a finite range of V, so the rounding can settle.
// A grouped 1x1 convolution, no bias.
at::Tensor conv1x1(const at::Tensor& x, const at::Tensor& kernel, int64_t groups) {
  const std::vector<int64_t> one = {1, 1}, zero = {0, 0};
  return at::conv2d(x, kernel, at::Tensor(), one, zero, one, groups);
}

at::Tensor rectified(const at::Tensor& v) {
  return (at::sigmoid(v) * (kZeta - kGamma) + kGamma).clamp(0, 1);
}

// One intra-op thread while solving: on the 2-core test machine two threads made the grouped
// convolution's backward up to 6x slower (a MobileNetV2 depthwise layer: 29.7 s against 5.2 s
// for 1000 steps) and the dense layers no faster overall.
class OneThread {
 public:
  OneThread() : before_(at::get_num_threads()) { at::set_num_threads(1); }
  ~OneThread() { at::set_num_threads(before_); }
  OneThread(const OneThread&) = delete;
  OneThread& operator=(const OneThread&) = delete;

 private:
  int before_;
};

}  // namespace

ir::Tensor solve_rounding(const quant::RoundingProblem& p, const quant::AdaRoundOptions& o) {
  const at::Tensor w = to_torch(p.weight), s = to_torch(p.scale);
  if (w.dim() != 3 || s.sizes() != w.sizes() || p.quantized_inputs.rank() != 3 ||
      p.quantized_inputs.dim(0) != w.size(0) || p.quantized_inputs.dim(2) != w.size(2) ||
      p.fp32_inputs.shape() != p.quantized_inputs.shape() || p.quantized_inputs.dim(1) < 1)
    fail("adaround: layer '{}': inconsistent problem shapes", p.layer);
  const int64_t groups = w.size(0), cols = w.size(2), rows = p.quantized_inputs.dim(1);
  const OneThread one_thread;
  at::Generator gen = at::make_generator<at::CPUGeneratorImpl>(o.seed);
  // Rows as 8x8 tiles of a batch of images, the product a grouped 1x1 conv2d: LibTorch's
  // oneDNN convolution is several times faster than its generic-BLAS bmm here.
  const int64_t tile = std::min<int64_t>(rows, 64), tiles = rows / tile;
  const int64_t th = tile == 64 ? 8 : tile, tw = tile == 64 ? 8 : 1;
  const at::Tensor order = at::randperm(rows, gen, at::kLong).slice(0, 0, tiles * tile);
  const auto as_tiles = [&](const ir::Tensor& x) {
    return to_torch(x)
        .index_select(1, order)
        .reshape({groups, tiles, th, tw, cols})
        .permute({1, 0, 4, 2, 3})
        .reshape({tiles, groups * cols, th, tw})
        .contiguous();
  };
  const at::Tensor xq = as_tiles(p.quantized_inputs);
  const auto as_kernel = [&](const at::Tensor& t) {
    return t.reshape({t.size(0) * t.size(1), cols, 1, 1});
  };
  at::Tensor target, down, v;
  {
    at::NoGradGuard no_grad;
    target = conv1x1(as_tiles(p.fp32_inputs), as_kernel(w), groups);
    const at::Tensor steps = w / s;
    down = steps.floor();
    // h(V) = frac: sigmoid(V) = (frac - gamma) / (zeta - gamma), in (0.08, 0.92).
    const at::Tensor sig = (steps - down - kGamma) / (kZeta - kGamma);
    v = at::log(sig / (1 - sig));
  }
  v.requires_grad_(true);
  torch::optim::Adam adam({v}, torch::optim::AdamOptions(o.learning_rate));
  const int64_t batch = std::clamp<int64_t>(o.batch_rows / tile, 1, tiles);
  const int warmup = static_cast<int>(o.warmup * o.iterations);
  for (int it = 0; it < o.iterations; ++it) {
    at::Tensor x = xq, t = target;
    if (batch < tiles) {
      const at::Tensor idx = at::randint(tiles, {batch}, gen, at::kLong);
      x = xq.index_select(0, idx);
      t = target.index_select(0, idx);
    }
    const at::Tensor h = rectified(v);
    const at::Tensor wq = s * (down + h).clamp(p.qmin, p.qmax);
    const at::Tensor y = conv1x1(x, as_kernel(wq), groups);
    at::Tensor loss = (y - t).pow(2).sum() / static_cast<double>(batch * tile);
    if (it >= warmup) {
      const double progress =
          o.iterations > warmup + 1 ? double(it - warmup) / (o.iterations - warmup - 1) : 1.0;
      const double beta = o.beta_start + (o.beta_end - o.beta_start) * progress;
      loss = loss + o.lambda * (1 - (2 * h - 1).abs().pow(beta)).sum();
    }
    adam.zero_grad();
    loss.backward();
    adam.step();
  }
  at::NoGradGuard no_grad;
  const at::Tensor up = (rectified(v) >= 0.5).to(at::kFloat);
  return to_ir((down + up).clamp(p.qmin, p.qmax).to(at::kInt));
}

}  // namespace qcv::train
