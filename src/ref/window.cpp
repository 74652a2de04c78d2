#include "ref/window.h"

#include "ref/kernel_util.h"

namespace qcv::ref::detail {

Window make_window(const KernelArgs& a, const ir::Shape& x_shape, const ir::Shape& out_shape,
                   const std::vector<int64_t>& kernel) {
  size_t spatial = x_shape.size() - 2;
  std::vector<int64_t> in(x_shape.begin() + 2, x_shape.end());
  std::vector<int64_t> out(out_shape.begin() + 2, out_shape.end());
  auto strides = a.node.attr_ints("strides", std::vector<int64_t>(spatial, 1));
  auto dilations = a.node.attr_ints("dilations", std::vector<int64_t>(spatial, 1));
  auto pads = a.node.attr_ints("pads", std::vector<int64_t>(2 * spatial, 0));
  std::string auto_pad = a.node.attr_string("auto_pad", "NOTSET");
  if (kernel.size() != spatial || strides.size() != spatial || dilations.size() != spatial ||
      pads.size() != 2 * spatial)
    a.error("kernel/strides/dilations/pads do not match the spatial rank");

  std::vector<int64_t> pad_begin(spatial), pad_end(spatial);
  for (size_t d = 0; d < spatial; ++d) {
    if (auto_pad == "NOTSET") {
      pad_begin[d] = pads[d];
      pad_end[d] = pads[d + spatial];
    } else if (auto_pad == "VALID") {
      pad_begin[d] = pad_end[d] = 0;
    } else if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      // The total padding that makes out = ceil(in / stride); the odd pixel goes at the end for
      // SAME_UPPER and at the beginning for SAME_LOWER.
      int64_t effective = dilations[d] * (kernel[d] - 1) + 1;
      int64_t total = std::max<int64_t>(0, (out[d] - 1) * strides[d] + effective - in[d]);
      pad_begin[d] = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      pad_end[d] = total - pad_begin[d];
    } else {
      a.error(fmt::format("unsupported auto_pad '{}'", auto_pad));
    }
  }

  Window w;
  for (size_t d = 0; d < spatial; ++d) {
    w.in_size *= in[d];
    w.out_size *= out[d];
    w.kernel_size *= kernel[d];
  }
  // The table holds kernel x output positions; refuse absurd windows instead of exhausting memory.
  constexpr int64_t kMaxTable = int64_t{1} << 28;
  if (w.kernel_size > 0 && w.out_size > kMaxTable / w.kernel_size)
    a.error(
        fmt::format("window of {} positions over {} outputs is too large for the reference kernel",
                    w.kernel_size, w.out_size));
  w.offset.assign(static_cast<size_t>(w.kernel_size * w.out_size), -1);
  w.padded_count.assign(static_cast<size_t>(w.out_size), 0);
  std::vector<int64_t> k_index(spatial), p_index(spatial);
  for (int64_t k = 0; k < w.kernel_size; ++k) {
    unravel(k, kernel, k_index);
    for (int64_t p = 0; p < w.out_size; ++p) {
      unravel(p, out, p_index);
      bool inside = true, inside_padded = true;
      int64_t flat = 0;
      for (size_t d = 0; d < spatial; ++d) {
        int64_t coord = p_index[d] * strides[d] - pad_begin[d] + k_index[d] * dilations[d];
        if (coord < 0 || coord >= in[d]) inside = false;
        if (coord < -pad_begin[d] || coord >= in[d] + pad_end[d]) inside_padded = false;
        flat = flat * in[d] + coord;
      }
      if (inside) w.offset[k * w.out_size + p] = flat;
      if (inside_padded) ++w.padded_count[p];
    }
  }
  return w;
}

}  // namespace qcv::ref::detail
