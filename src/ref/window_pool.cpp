// Pooling variants beside pool.cpp: LpPool and MaxUnpool (GlobalMaxPool/GlobalLpPool:
// global_pool.cpp).
#include <cmath>
#include <limits>

#include "ref/kernel_util.h"
#include "ref/window.h"

namespace qcv::ref::detail {
namespace {

// (sum |v|^p)^(1/p) with the common p = 1, 2 exact.
struct LpNorm {
  double p;
  double term(double v) const {
    double a = std::fabs(v);
    return p == 1 ? a : p == 2 ? a * a : std::pow(a, p);
  }
  double finish(double sum) const {
    return p == 1 ? sum : p == 2 ? std::sqrt(sum) : std::pow(sum, 1 / p);
  }
};

int64_t positive_p(const KernelArgs& a) {
  int64_t p = a.node.attr_int("p", 2);
  if (p <= 0) a.error(fmt::format("p must be positive, got {}", p));
  return p;
}

}  // namespace

std::vector<ir::Tensor> lp_pool(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor y = a.make_output(0);
  const LpNorm norm{static_cast<double>(positive_p(a))};
  Window win = make_window(a, x.shape(), y.shape(), a.node.attr_ints("kernel_shape"));
  const int64_t planes = x.dim(0) * x.dim(1);
  for (int64_t c = 0; c < planes; ++c) {
    for (int64_t p = 0; p < win.out_size; ++p) {
      double sum = 0;  // padding contributes zeros
      for (int64_t k = 0; k < win.kernel_size; ++k) {
        int64_t o = win.offset[k * win.out_size + p];
        if (o >= 0) sum += norm.term(x.as_double(c * win.in_size + o));
      }
      y.set_double(c * win.out_size + p, norm.finish(sum));
    }
  }
  return {y};
}

// Scatters each value to its index in the flattened output; everything else is zero.
std::vector<ir::Tensor> max_unpool(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const ir::Tensor& indices = a.in(1);
  ir::Tensor y = a.make_output(0);
  if (indices.shape() != x.shape())
    a.error(fmt::format("indices {} and input {} shapes differ", ir::shape_str(indices.shape()),
                        ir::shape_str(x.shape())));
  // Indices count in the shape MaxPool's input had (the default output shape); an explicit
  // output_shape keeps each value at the same (n, c, spatial) coordinates.
  const ir::Shape& xs = x.shape();
  const size_t spatial = xs.size() - 2;
  auto kernel = a.node.attr_ints("kernel_shape");
  auto strides = a.node.attr_ints("strides", std::vector<int64_t>(spatial, 1));
  auto pads = a.node.attr_ints("pads", std::vector<int64_t>(2 * spatial, 0));
  if (kernel.size() != spatial || strides.size() != spatial || pads.size() != 2 * spatial)
    a.error("kernel_shape/strides/pads do not match the spatial rank");
  ir::Shape source{xs[0], xs[1]};
  for (size_t d = 0; d < spatial; ++d) {
    source.push_back((xs[d + 2] - 1) * strides[d] + kernel[d] - pads[d] - pads[d + spatial]);
    if (source.back() <= 0) a.error("the pooled input's size is not positive");
  }
  const ir::Shape& out = y.shape();
  const int64_t total = ir::shape_numel(source);
  const int64_t* id = indices.data<int64_t>();
  std::vector<int64_t> coord(out.size());
  for (int64_t i = 0; i < x.numel(); ++i) {
    if (id[i] < 0 || id[i] >= total)
      a.error(fmt::format("index {} is outside the pooled input of {} elements", id[i], total));
    int64_t flat = 0;
    unravel(id[i], source, coord);
    for (size_t d = 0; d < out.size(); ++d) {
      if (coord[d] >= out[d])
        a.error(fmt::format("index {} does not fit output shape {}", id[i], ir::shape_str(out)));
      flat = flat * out[d] + coord[d];
    }
    y.set_double(flat, x.as_double(i));
  }
  return {y};
}

}  // namespace qcv::ref::detail
