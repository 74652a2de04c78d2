// Transpose of a non-plain value and Slice as oneDNN reorders through strided memory
// descriptors (permuted strides; an offset and stepped strides). float32, uint8 and int8 values;
// anything else runs the reference kernel.
#include "ir/slice_bounds.h"
#include "runtime/compiler.h"
#include "runtime/dnnl_util.h"

namespace qcv::runtime {

using dnnl::memory;

namespace {

std::vector<int64_t> row_major_strides(const ir::Shape& shape) {
  std::vector<int64_t> s(shape.size(), 1);
  for (size_t d = shape.size(); d-- > 1;) s[d - 1] = s[d] * shape[d];
  return s;
}

// Transpose and Slice as reorders: float32, uint8 or int8, rank kept, 1 to 6 non-empty dims.
bool reorderable(const ir::Shape& in, const ir::Shape& out, memory::data_type dt) {
  if (out.empty() || out.size() > 6 || in.size() != out.size()) return false;
  for (int64_t d : out)
    if (d <= 0) return false;
  return dt == memory::data_type::f32 || dt == memory::data_type::u8 || dt == memory::data_type::s8;
}

}  // namespace

// A reorder from `src_md` (a strided view of plain value x's bytes) into a new plain value.
bool PlanBuilder::build_strided_reorder(int i, int x, const memory::desc& src_md,
                                        const ir::Shape& out) {
  const ir::Node& n = g_.nodes[i];
  PlanValue alias;
  alias.name = plan_->values[x].name + "#" + n.name + "_view";
  alias.dtype = plan_->values[x].dtype;
  alias.shape = out;
  alias.kind = plan_->values[x].kind;
  alias.alias_of = x;
  alias.md = src_md;
  const memory::desc dst_md = plain_md(out, src_md.data_type());
  dnnl::reorder::primitive_desc pd(engine_, src_md, engine_, dst_md, attr_with({}));
  int src = static_cast<int>(plan_->values.size());
  plan_->values.push_back(alias);
  int dst = define(n.outputs[0], dst_md, out);
  add_call_step(n.name + " (" + n.op + ": reorder " + impl_name(pd) + ")", dnnl::reorder(pd), pd,
                {{DNNL_ARG_FROM, src}}, DNNL_ARG_TO, dst);
  return true;
}

// A plain input is a view (build_transpose_view). Any other layout (a conv's blocked output)
// is reordered once, straight into the transposed row-major buffer: the destination descriptor
// has the input's dims with the output's strides, and the output value is its plain view.
bool PlanBuilder::build_transpose(int i) {
  const ir::Node& n = g_.nodes[i];
  const int x = value_of(n.inputs[0]);
  if (!has_md(x)) return false;
  const ir::Shape in = shape_of(x), out = out_shape(n);
  const memory::data_type dt = plan_->values[x].md.data_type();
  if (!reorderable(in, out, dt)) return false;
  const auto rank = static_cast<int64_t>(in.size());
  std::vector<int64_t> perm(rank);
  for (int64_t d = 0; d < rank; ++d) perm[d] = rank - 1 - d;
  perm = n.attr_ints("perm", perm);
  const std::vector<int64_t> out_strides = row_major_strides(out);
  memory::dims strides(rank);
  for (int64_t d = 0; d < rank; ++d) strides[perm[d]] = out_strides[d];  // input dim perm[d]
  const memory::desc dst_md(to_dims(in), dt, strides);
  int written = x;  // the input's layout may already be the transposed one (nchw conv -> nhwc)
  if (!(plan_->values[x].md == dst_md)) {
    dnnl::reorder::primitive_desc pd(engine_, plan_->values[x].md, engine_, dst_md, attr_with({}));
    written = define(n.outputs[0] + "#transposed", dst_md, in);
    ids_.erase(n.outputs[0] + "#transposed");
    add_call_step(n.name + " (Transpose: reorder " + impl_name(pd) + ")", dnnl::reorder(pd), pd,
                  {{DNNL_ARG_FROM, x}}, DNNL_ARG_TO, written);
  }
  PlanValue pv;
  pv.name = n.outputs[0];
  pv.dtype = plan_->values[written].dtype;
  pv.shape = out;
  pv.kind = plan_->values[written].kind;
  pv.alias_of = written;
  pv.md = plain_md(out, dt);
  ids_[n.outputs[0]] = static_cast<int>(plan_->values.size());
  plan_->values.push_back(pv);
  return true;
}

// Constant starts/ends/axes/steps with positive steps only (oneDNN strides are non-negative).
bool PlanBuilder::build_slice(int i) {
  const ir::Node& n = g_.nodes[i];
  int x = value_of(n.inputs[0]);
  if (!has_md(x)) return false;
  const ir::Shape in = shape_of(x), out = out_shape(n);
  const memory::data_type dt = plan_->values[x].md.data_type();
  if (!reorderable(in, out, dt)) return false;
  auto constant = [&](size_t k) -> const ir::Tensor* {
    return k < n.inputs.size() && !n.inputs[k].empty() ? g_.initializer(n.inputs[k]) : nullptr;
  };
  const ir::Tensor *starts = constant(1), *ends = constant(2), *axes_t = constant(3),
                   *steps_t = constant(4);
  if (!starts || !ends || (!n.input(3).empty() && !axes_t) || (!n.input(4).empty() && !steps_t))
    return false;
  const auto rank = static_cast<int64_t>(in.size());
  const std::vector<int64_t> s = starts->to_int64_vector(), e = ends->to_int64_vector();
  std::vector<int64_t> axes(s.size()), steps(s.size(), 1);
  for (size_t k = 0; k < axes.size(); ++k) axes[k] = static_cast<int64_t>(k);
  if (axes_t) axes = axes_t->to_int64_vector();
  if (steps_t) steps = steps_t->to_int64_vector();
  const std::vector<int64_t> in_strides = row_major_strides(in);
  memory::dims strides(in_strides.begin(), in_strides.end());
  int64_t offset = 0;
  for (size_t k = 0; k < s.size(); ++k) {
    if (steps[k] <= 0) return false;
    const int64_t ax = axes[k] < 0 ? axes[k] + rank : axes[k];
    const ir::SliceAxis sa = ir::slice_axis(in[ax], s[k], e[k], steps[k]);
    if (sa.count != out[ax]) return false;
    offset += sa.start * in_strides[ax];
    strides[ax] = in_strides[ax] * steps[k];
  }
  x = ensure_plain(x);
  memory::desc md(to_dims(out), dt, strides);
  md.data.offset0 = offset;
  return build_strided_reorder(i, x, md, out);
}

}  // namespace qcv::runtime
