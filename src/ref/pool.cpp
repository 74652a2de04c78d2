// AveragePool, MaxPool (with optional indices) and GlobalAveragePool over any spatial rank.
#include <limits>
#include <type_traits>

#include "ref/kernel_util.h"
#include "ref/window.h"

namespace qcv::ref::detail {

namespace {

// Float32 or float64 plane loops in double.
template <typename T>
void average_planes(const ir::Tensor& x, ir::Tensor& y, const Window& win, bool include_pad) {
  const int64_t planes = x.dim(0) * x.dim(1);
  const T* xd = x.data<T>();
  T* yd = y.data<T>();
  for (int64_t c = 0; c < planes; ++c) {
    const T* plane = xd + c * win.in_size;
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
          count > 0 ? static_cast<T>(sum / static_cast<double>(count)) : T(0);
    }
  }
}

// The flat offset of spatial offset `o` when the spatial dims are stored column-major
// (storage_order=1: the first spatial dim varies fastest).
int64_t column_major(int64_t o, const std::vector<int64_t>& dims) {
  int64_t result = 0, stride = 1;
  std::vector<int64_t> index(dims.size());
  unravel(o, dims, index);
  for (size_t d = 0; d < dims.size(); ++d) {
    result += index[d] * stride;
    stride *= dims[d];
  }
  return result;
}

template <typename T>
void max_planes(const ir::Tensor& x, ir::Tensor& y, int64_t* id, const Window& win,
                bool column_major_indices) {
  const int64_t planes = x.dim(0) * x.dim(1);
  const std::vector<int64_t> dims(x.shape().begin() + 2, x.shape().end());
  const T* xd = x.data<T>();
  T* yd = y.data<T>();
  for (int64_t c = 0; c < planes; ++c) {
    const T* plane = xd + c * win.in_size;
    for (int64_t p = 0; p < win.out_size; ++p) {
      T best = std::numeric_limits<T>::lowest();
      int64_t best_at = -1;
      for (int64_t k = 0; k < win.kernel_size; ++k) {
        int64_t o = win.offset[k * win.out_size + p];
        if (o >= 0 && (best_at < 0 || plane[o] > best)) {
          best = plane[o];
          best_at = o;
        }
      }
      yd[c * win.out_size + p] = best;
      if (!id) continue;
      // ONNX: the index is into the whole flattened input tensor, batch and channel included.
      if (best_at >= 0 && column_major_indices) best_at = column_major(best_at, dims);
      id[c * win.out_size + p] = best_at < 0 ? -1 : c * win.in_size + best_at;
    }
  }
}

}  // namespace

std::vector<ir::Tensor> average_pool(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor y = a.make_output(0);
  Window win = make_window(a, x.shape(), y.shape(), a.node.attr_ints("kernel_shape"));
  const bool include_pad = a.node.attr_int("count_include_pad", 0) != 0;
  if (x.dtype() == ir::DType::Float64)
    average_planes<double>(x, y, win, include_pad);
  else
    average_planes<float>(x, y, win, include_pad);
  return {y};
}

std::vector<ir::Tensor> max_pool(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor y = a.make_output(0);
  const bool want_indices = a.wants_output(1);
  const int64_t storage_order = a.node.attr_int("storage_order", 0);
  if (storage_order != 0 && storage_order != 1)
    a.error(fmt::format("storage_order must be 0 or 1, got {}", storage_order));
  ir::Tensor indices = want_indices ? a.make_output(1) : ir::Tensor();
  Window win = make_window(a, x.shape(), y.shape(), a.node.attr_ints("kernel_shape"));
  int64_t* id = want_indices ? indices.data<int64_t>() : nullptr;
  ir::visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, float> || std::is_same_v<T, double> ||
                  std::is_same_v<T, uint8_t> || std::is_same_v<T, int8_t>)
      max_planes<T>(x, y, id, win, storage_order == 1);
    else
      a.error(fmt::format("unsupported dtype {}", ir::dtype_name(x.dtype())));
  });
  if (want_indices) return {y, indices};
  return {y};
}

std::vector<ir::Tensor> global_average_pool(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor y = a.make_output(0);
  const int64_t planes = x.dim(0) * x.dim(1);
  const int64_t size = planes > 0 ? x.numel() / planes : 0;
  for (int64_t c = 0; c < planes; ++c) {
    double sum = 0;
    for (int64_t i = 0; i < size; ++i) sum += x.as_double(c * size + i);
    y.set_double(c, size > 0 ? sum / static_cast<double>(size) : 0.0);
  }
  return {y};
}

}  // namespace qcv::ref::detail
