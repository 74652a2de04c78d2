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

}  // namespace qcv::runtime
