// Internal: the geometry of a sliding window (Conv, AveragePool, MaxPool) as a lookup table, so
// the kernels are plain loops over (kernel position, output position) pairs.
#pragma once
#include <vector>

#include "ref/kernel.h"

namespace qcv::ref::detail {

struct Window {
  int64_t in_size = 1;      // product of the input's spatial dims
  int64_t out_size = 1;     // product of the output's spatial dims
  int64_t kernel_size = 1;  // number of kernel positions
  // offset[k * out_size + p]: flat spatial offset of the input element that kernel position k
  // reads for output position p, or -1 where it falls in the padding.
  std::vector<int64_t> offset;
  // For output position p: kernel positions inside the padded input (count_include_pad divisor).
  std::vector<int64_t> padded_count;
};

// x_shape and out_shape are full NC... shapes; kernel holds the spatial kernel dims. Reads the
// node's strides, dilations, pads and auto_pad attributes.
Window make_window(const KernelArgs& a, const ir::Shape& x_shape, const ir::Shape& out_shape,
                   const std::vector<int64_t>& kernel);

}  // namespace qcv::ref::detail
