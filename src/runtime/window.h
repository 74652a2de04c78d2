// Sliding-window geometry of Conv and pooling nodes in oneDNN's terms.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>
#include <vector>

#include "ir/ir.h"

namespace qcv::runtime {

struct Window {
  dnnl::memory::dims strides, dilations, pad_l, pad_r;  // dilations in oneDNN's form (ONNX - 1)
};

// Strides, dilations and explicit pads of a Conv/Pool node, resolving auto_pad and ceil_mode
// from the inferred output shape.
Window window_of(const ir::Node& n, const ir::Shape& in, const ir::Shape& out,
                 const std::vector<int64_t>& kernel);

// oneDNN divides an include-padding average by the whole kernel size, ONNX by the positions
// inside the explicitly padded input. They differ when window_of widened the right pad for
// ceil_mode, and oneDNN's divisor with dilations is not ONNX's: false for those AveragePools.
bool average_divisor_matches(const ir::Node& n, const Window& w);

}  // namespace qcv::runtime
