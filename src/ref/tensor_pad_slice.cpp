// Pad (constant/reflect/edge, negative pads crop), Slice and Split.
#include <algorithm>
#include <cstring>

#include "ir/slice_bounds.h"
#include "ref/kernel.h"
#include "ref/strided_copy.h"

namespace qcv::ref::detail {
namespace {

// Source index along one dim for output index o, or -1 where the constant fills.
int64_t pad_source(int64_t o, int64_t before, int64_t n, int mode) {
  int64_t j = o - before;
  if (j >= 0 && j < n) return j;
  if (mode == 0 || n == 0) return -1;
  if (mode == 1) return j < 0 ? 0 : n - 1;  // edge
  if (n == 1) return 0;  // reflect: period 2(n-1), as numpy's repeated reflection
  const int64_t period = 2 * (n - 1);
  j %= period;
  if (j < 0) j += period;
  return j < n ? j : period - j;
}

}  // namespace

std::vector<ir::Tensor> pad(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const std::string mode_name = a.node.attr_string("mode", "constant");
  const int mode = mode_name == "edge" ? 1 : mode_name == "reflect" ? 2 : 0;
  const size_t rank = x.rank();
  const std::vector<int64_t> pads = a.in(1).to_int64_vector();
  ir::Tensor y = a.make_output(0);
  if (y.numel() == 0) return {y};
  for (size_t d = 0; d < rank; ++d)
    if (mode != 0 && x.dim(d) == 0 && y.dim(d) > 0)
      a.error(fmt::format("{} padding of an empty dimension {}", mode_name, d));
  const size_t es = ir::dtype_size(x.dtype());
  // The fill value, converted to the input's dtype (Pad-2's float `value` too).
  ir::Tensor fill(x.dtype(), {});
  if (a.has(2) && a.in(2).numel() > 0) {
    if (ir::is_float(x.dtype()))
      fill.set_double(0, a.in(2).as_double(0));
    else
      fill.set_int64(0, a.in(2).as_int64(0));
  }
  const auto* src = static_cast<const uint8_t*>(x.raw());
  auto* dst = static_cast<uint8_t*>(y.raw());
  const std::vector<int64_t> in_strides = contiguous_strides(x.shape());
  if (rank == 0) {
    std::memcpy(dst, src, es);
    return {y};
  }
  const int64_t inner = y.dim(rank - 1), x_inner = x.dim(rank - 1);
  std::vector<int64_t> last(inner);
  for (int64_t o = 0; o < inner; ++o) last[o] = pad_source(o, pads[rank - 1], x_inner, mode);
  // Output positions [run_begin, run_end) of the last dim read consecutive input elements.
  const int64_t run_begin = std::max<int64_t>(0, pads[rank - 1]);
  const int64_t run_end = std::min<int64_t>(inner, pads[rank - 1] + x_inner);
  std::vector<int64_t> coord(rank, 0);
  const int64_t rows = y.numel() / inner;
  for (int64_t r = 0; r < rows; ++r, dst += inner * es) {
    int64_t base = 0;
    bool filled = false;
    for (size_t d = 0; d + 1 < rank; ++d) {
      int64_t j = pad_source(coord[d], pads[d], x.dim(d), mode);
      if (j < 0) filled = true;
      base += j * in_strides[d];
    }
    for (int64_t o = 0; o < inner; ++o) {
      if (!filled && o >= run_begin && o < run_end) {  // the unpadded middle: one copy
        std::memcpy(dst + o * es, src + (base + last[o]) * es, (run_end - o) * es);
        o = run_end - 1;
        continue;
      }
      const uint8_t* from = (filled || last[o] < 0) ? static_cast<const uint8_t*>(fill.raw())
                                                    : src + (base + last[o]) * es;
      std::memcpy(dst + o * es, from, es);
    }
    for (size_t d = rank - 1; d-- > 0;) {
      if (++coord[d] < y.dim(d)) break;
      coord[d] = 0;
    }
  }
  return {y};
}

std::vector<ir::Tensor> slice(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  const std::vector<int64_t> starts = a.in(1).to_int64_vector(), ends = a.in(2).to_int64_vector();
  std::vector<int64_t> axes(starts.size()), steps(starts.size(), 1);
  for (size_t i = 0; i < axes.size(); ++i) axes[i] = static_cast<int64_t>(i);
  if (a.has(3)) axes = a.in(3).to_int64_vector();
  if (a.has(4)) steps = a.in(4).to_int64_vector();
  const std::vector<int64_t> in = contiguous_strides(x.shape());
  std::vector<int64_t> strides = in;
  ir::Shape dims = x.shape();
  int64_t offset = 0;
  for (size_t i = 0; i < starts.size(); ++i) {
    const int64_t ax = axes[i] < 0 ? axes[i] + rank : axes[i];
    const ir::SliceAxis s = ir::slice_axis(x.dim(ax), starts[i], ends[i], steps[i]);
    dims[ax] = s.count;
    if (s.count > 0) offset += s.start * in[ax];
    strides[ax] = in[ax] * steps[i];
  }
  if (dims != a.out_shape(0)) a.error("slice bounds disagree with the inferred shape");
  return {strided_view(x, offset, dims, strides)};
}

std::vector<ir::Tensor> split(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const int64_t rank = static_cast<int64_t>(x.rank());
  int64_t axis = a.node.attr_int("axis", 0);
  if (axis < 0) axis += rank;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.dim(d);
  for (int64_t d = axis + 1; d < rank; ++d) inner *= x.dim(d);
  const size_t es = ir::dtype_size(x.dtype());
  const auto* src = static_cast<const uint8_t*>(x.raw());
  const size_t row = static_cast<size_t>(x.dim(axis) * inner) * es;
  std::vector<ir::Tensor> outs;
  int64_t at = 0;
  for (size_t k = 0; k < a.node.outputs.size(); ++k) {
    ir::Tensor y = a.make_output(k);
    const int64_t part = y.dim(axis);
    const size_t chunk = static_cast<size_t>(part * inner) * es;
    auto* dst = static_cast<uint8_t*>(y.raw());
    for (int64_t o = 0; o < outer && chunk > 0; ++o)
      std::memcpy(dst + o * chunk, src + o * row + at * inner * es, chunk);
    at += part;
    outs.push_back(y);
  }
  return outs;
}

}  // namespace qcv::ref::detail
