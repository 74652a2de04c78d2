// Copies between ir::Tensor (host, row-major) and torch tensors (any layout, any device).
#pragma once
#include <ATen/ATen.h>

#include "ir/ir.h"

namespace qcv::train {

at::ScalarType to_torch_dtype(ir::DType dtype);
ir::DType to_ir_dtype(at::ScalarType type);

// A new CPU torch tensor holding a copy of t (a 0-d tensor for a scalar).
at::Tensor to_torch(const ir::Tensor& t);
// A new row-major ir::Tensor holding a copy of t (moved to the CPU, made contiguous, detached).
ir::Tensor to_ir(const at::Tensor& t);

}  // namespace qcv::train
