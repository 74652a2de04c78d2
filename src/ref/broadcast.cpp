// numpy broadcasting as an index map: simple, and shared by the binary ops, Gemm's C and MatMul.
#include "ref/kernel.h"

namespace qcv::ref::detail {

std::vector<int64_t> broadcast_index_map(const ir::Shape& in, const ir::Shape& out) {
  if (in.size() > out.size())
    fail("cannot broadcast {} to {}", ir::shape_str(in), ir::shape_str(out));
  size_t lead = out.size() - in.size();
  // Stride of each output dimension inside `in`; 0 where `in` is broadcast along it.
  std::vector<int64_t> stride(out.size(), 0);
  int64_t s = 1;
  for (size_t i = in.size(); i-- > 0;) {
    if (in[i] != 1 && in[i] != out[lead + i])
      fail("cannot broadcast {} to {}", ir::shape_str(in), ir::shape_str(out));
    stride[lead + i] = in[i] == 1 ? 0 : s;
    s *= in[i];
  }
  int64_t total = ir::shape_numel(out);
  std::vector<int64_t> map(static_cast<size_t>(total));
  std::vector<int64_t> counter(out.size(), 0);
  int64_t offset = 0;
  for (int64_t k = 0; k < total; ++k) {
    map[k] = offset;
    // Odometer step over the output index, keeping `offset` in step.
    for (size_t d = out.size(); d-- > 0;) {
      offset += stride[d];
      if (++counter[d] < out[d]) break;
      offset -= stride[d] * counter[d];
      counter[d] = 0;
    }
  }
  return map;
}

}  // namespace qcv::ref::detail
