// AveragePool, MaxPool (with optional indices) and GlobalAveragePool over any spatial rank.
#include <limits>

#include "ref/window.h"

namespace qcv::ref::detail {

std::vector<ir::Tensor> average_pool(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor y = a.make_output(0);
  Window win = make_window(a, x.shape(), y.shape(), a.node.attr_ints("kernel_shape"));
  const bool include_pad = a.node.attr_int("count_include_pad", 0) != 0;
  const int64_t planes = x.dim(0) * x.dim(1);
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  for (int64_t c = 0; c < planes; ++c) {
    const float* plane = xd + c * win.in_size;
    for (int64_t p = 0; p < win.out_size; ++p) {
      double sum = 0;
      int64_t count = 0;
      for (int64_t k = 0; k < win.kernel_size; ++k) {
        int64_t o = win.offset[k * win.out_size + p];
        if (o < 0) continue;
        sum += plane[o];
        ++count;
      }
      if (include_pad) count = win.padded_count[p];
      yd[c * win.out_size + p] =
          count > 0 ? static_cast<float>(sum / static_cast<double>(count)) : 0.0f;
    }
  }
  return {y};
}

std::vector<ir::Tensor> max_pool(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor y = a.make_output(0);
  const bool want_indices = a.wants_output(1);
  if (want_indices && a.node.attr_int("storage_order", 0) != 0)
    a.error("indices output with storage_order=1 (column-major) is not supported");
  ir::Tensor indices = want_indices ? a.make_output(1) : ir::Tensor();
  Window win = make_window(a, x.shape(), y.shape(), a.node.attr_ints("kernel_shape"));
  const int64_t planes = x.dim(0) * x.dim(1);
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  int64_t* id = want_indices ? indices.data<int64_t>() : nullptr;
  for (int64_t c = 0; c < planes; ++c) {
    const float* plane = xd + c * win.in_size;
    for (int64_t p = 0; p < win.out_size; ++p) {
      float best = -std::numeric_limits<float>::infinity();
      int64_t best_at = -1;
      for (int64_t k = 0; k < win.kernel_size; ++k) {
        int64_t o = win.offset[k * win.out_size + p];
        if (o >= 0 && (best_at < 0 || plane[o] > best)) {
          best = plane[o];
          best_at = o;
        }
      }
      yd[c * win.out_size + p] = best;
      // ONNX: the index is into the whole flattened input tensor, batch and channel included.
      if (id) id[c * win.out_size + p] = best_at < 0 ? -1 : c * win.in_size + best_at;
    }
  }
  if (want_indices) return {y, indices};
  return {y};
}

std::vector<ir::Tensor> global_average_pool(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor y = a.make_output(0);
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t size = planes > 0 ? x.numel() / planes : 0;
  const float* xd = x.data<float>();
  float* yd = y.data<float>();
  for (int64_t c = 0; c < planes; ++c) {
    double sum = 0;
    for (int64_t i = 0; i < size; ++i) sum += xd[c * size + i];
    yd[c] = size > 0 ? static_cast<float>(sum / static_cast<double>(size)) : 0.0f;
  }
  return {y};
}

}  // namespace qcv::ref::detail
