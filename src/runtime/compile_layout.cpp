// Transpose as a view: the output reads the input's bytes through a descriptor with permuted
// strides, so no step runs. A consumer that wants another layout reorders once, as it would from
// any input; an NHWC graph input followed by tf2onnx's Transpose(0,3,1,2) thus reaches a conv
// whose preferred source layout is nhwc with no copy at all.
#include "runtime/compiler.h"
#include "runtime/dnnl_util.h"

namespace qcv::runtime {

bool PlanBuilder::build_transpose_view(int i) {
  const ir::Node& n = g_.nodes[i];
  const int x = value_of(n.inputs[0]);
  const PlanValue& in = plan_->values[x];
  if (!has_md(x) || !is_plain(in.md, in.shape) || in.shape.empty() || in.shape.size() > 6)
    return false;
  const size_t rank = in.shape.size();
  std::vector<int64_t> perm(rank);
  for (size_t k = 0; k < rank; ++k) perm[k] = static_cast<int64_t>(rank - 1 - k);
  perm = n.attr_ints("perm", perm);
  if (perm.size() != rank) return false;
  std::vector<int64_t> in_strides(rank, 1);
  for (size_t k = rank - 1; k > 0; --k) in_strides[k - 1] = in_strides[k] * in.shape[k];
  ir::Shape out_shape(rank);
  memory::dims out_strides(rank);
  for (size_t k = 0; k < rank; ++k) {
    if (perm[k] < 0 || perm[k] >= static_cast<int64_t>(rank)) return false;
    out_shape[k] = in.shape[perm[k]];
    out_strides[k] = in_strides[perm[k]];
  }
  PlanValue pv;
  pv.name = n.outputs[0];
  pv.dtype = in.dtype;
  pv.shape = out_shape;
  pv.kind = in.kind;
  pv.alias_of = x;
  pv.md = memory::desc(to_dims(out_shape), in.md.data_type(), out_strides);
  ids_[n.outputs[0]] = static_cast<int>(plan_->values.size());
  plan_->values.push_back(pv);
  return true;
}

}  // namespace qcv::runtime
