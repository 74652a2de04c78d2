// Shape manipulation: Flatten, Reshape, Squeeze, Unsqueeze, Shape, Gather, Concat, Constant.
#include <algorithm>

#include "train/tensor_convert.h"
#include "train/torch_ops.h"

namespace qcv::train::ops {

std::vector<at::Tensor> flatten(OpContext& c) {
  const at::Tensor& x = c.input(0);
  const int64_t rank = x.dim();
  int64_t axis = c.node.attr_int("axis", 1);
  if (axis < -rank || axis > rank) c.error(fmt::format("axis {} out of range", axis));
  if (axis < 0) axis += rank;
  int64_t outer = 1;
  for (int64_t d = 0; d < axis; ++d) outer *= x.size(d);
  int64_t inner = 1;
  for (int64_t d = axis; d < rank; ++d) inner *= x.size(d);
  return {x.reshape({outer, inner})};
}

std::vector<at::Tensor> reshape(OpContext& c) {
  const at::Tensor& x = c.input(0);
  std::vector<int64_t> shape = int_values(c, 1);
  const bool allow_zero = c.node.attr_int("allowzero", 0) != 0;
  for (size_t i = 0; i < shape.size(); ++i) {
    if (shape[i] == 0 && !allow_zero) {
      if (static_cast<int64_t>(i) >= x.dim()) c.error("0 in shape beyond the input's rank");
      shape[i] = x.size(static_cast<int64_t>(i));
    }
  }
  return {x.reshape(shape)};
}

std::vector<at::Tensor> squeeze(OpContext& c) {
  at::Tensor x = c.input(0);
  if (!c.has(1)) return {x.squeeze()};
  std::vector<int64_t> axes = int_values(c, 1);
  for (int64_t& a : axes) {
    a = normalize_axis(c, a, x.dim());
    if (x.size(a) != 1) c.error(fmt::format("cannot squeeze axis {} of size {}", a, x.size(a)));
  }
  std::sort(axes.rbegin(), axes.rend());
  for (int64_t a : axes) x = x.squeeze(a);
  return {x};
}

std::vector<at::Tensor> unsqueeze(OpContext& c) {
  at::Tensor x = c.input(0);
  std::vector<int64_t> axes = int_values(c, 1);
  const int64_t out_rank = x.dim() + static_cast<int64_t>(axes.size());
  for (int64_t& a : axes) a = normalize_axis(c, a, out_rank);
  std::sort(axes.begin(), axes.end());
  for (int64_t a : axes) x = x.unsqueeze(a);
  return {x};
}

std::vector<at::Tensor> shape(OpContext& c) {
  const at::Tensor& x = c.input(0);
  const int64_t rank = x.dim();
  auto clamp_index = [rank](int64_t i) {
    if (i < 0) i += rank;
    return std::min(std::max<int64_t>(i, 0), rank);
  };
  const int64_t start = clamp_index(c.node.attr_int("start", 0));
  const int64_t end = clamp_index(c.node.attr_int("end", rank));
  std::vector<int64_t> dims;
  for (int64_t d = start; d < end; ++d) dims.push_back(x.size(d));
  return {at::tensor(dims, at::TensorOptions().dtype(at::kLong))};
}

std::vector<at::Tensor> gather(OpContext& c) {
  const at::Tensor& x = c.input(0);
  const at::Tensor& indices = c.input(1);
  if (indices.is_floating_point()) c.error("indices must be integers");
  const int64_t axis = normalize_axis(c, c.node.attr_int("axis", 0), x.dim());
  const int64_t size = x.size(axis);
  at::Tensor idx = indices.to(x.device(), at::kLong);
  if ((idx >= size).any().item<bool>() || (idx < -size).any().item<bool>())
    c.error(fmt::format("index out of range for axis {} of size {}", axis, size));
  idx = at::where(idx < 0, idx + size, idx);  // ONNX allows negative indices
  at::Tensor picked = x.index_select(axis, idx.reshape({-1}));
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().begin() + axis);
  for (int64_t d : indices.sizes()) shape.push_back(d);
  shape.insert(shape.end(), x.sizes().begin() + axis + 1, x.sizes().end());
  return {picked.reshape(shape)};
}

std::vector<at::Tensor> concat(OpContext& c) {
  if (c.in.empty()) c.error("no inputs");
  const int64_t axis = normalize_axis(c, c.node.attr_int("axis"), c.input(0).dim());
  std::vector<at::Tensor> parts;
  for (size_t i = 0; i < c.in.size(); ++i) parts.push_back(c.input(i));
  return {at::cat(parts, axis)};
}

std::vector<at::Tensor> constant(OpContext& c) {
  if (!c.node.has_attr("value")) c.error("only the 'value' form of Constant is supported");
  return {to_torch(c.node.attr_tensor("value"))};
}

}  // namespace qcv::train::ops
