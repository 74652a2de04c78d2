#include "runtime/steps.h"

#include <cstring>

#include "ref/ref.h"
#include "runtime/dnnl_util.h"

namespace qcv::runtime {

void PrimitiveStep::bind(Plan& plan, const dnnl::memory& scratchpad) {
  for (PrimitiveCall& c : calls) {
    c.args.clear();
    for (auto& [arg, v] : c.value_args) c.args[arg] = plan.mem(v);
    for (auto& [arg, m] : c.fixed_args) c.args[arg] = m;
    if (c.scratchpad_md.get_size() > 0)
      c.args[DNNL_ARG_SCRATCHPAD] =
          dnnl::memory(c.scratchpad_md, plan.engine, scratchpad.get_data_handle());
  }
  copy_before_ = accumulate_src >= 0 && plan.root(accumulate_src) != plan.root(dst_value);
  if (copy_before_) {
    accumulate_copy_ = dnnl::reorder(plan.mem(accumulate_src), plan.mem(dst_value));
    copy_args_ = {{DNNL_ARG_FROM, plan.mem(accumulate_src)}, {DNNL_ARG_TO, plan.mem(dst_value)}};
  }
}

void PrimitiveStep::execute(Plan&, dnnl::stream& stream) {
  if (copy_before_) accumulate_copy_.execute(stream, copy_args_);
  for (PrimitiveCall& c : calls) c.primitive.execute(stream, c.args);
}

ir::Tensor read_value(Plan& plan, int v, dnnl::stream& stream) {
  PlanValue& pv = plan.value(v);
  // A strided view (a Transpose) of an input or constant is read through its descriptor.
  const bool strided = pv.md.data.ndims > 0 && !is_plain(pv.md, pv.shape);
  if (pv.kind != ValueKind::Arena && !strided) {
    int r = plan.root(v);
    const ir::Tensor& t = plan.value(r).host;
    // A view has its planned shape; a reference result keeps the shape it was computed with.
    return r == v || t.shape() == pv.shape ? t : t.reshaped(pv.shape);
  }
  ir::Tensor t(pv.dtype, pv.shape);
  if (is_plain(pv.md, pv.shape)) {
    std::memcpy(t.raw(), pv.mem.get_data_handle(), t.nbytes());
  } else {
    dnnl::memory dst(plain_md(pv.shape, pv.md.data_type()), plan.engine, t.raw());
    dnnl::reorder(pv.mem, dst).execute(stream, {{DNNL_ARG_FROM, pv.mem}, {DNNL_ARG_TO, dst}});
    stream.wait();
  }
  return t;
}

void RefStep::bind(Plan&, const dnnl::memory&) {}

void RefStep::execute(Plan& plan, dnnl::stream& stream) {
  std::vector<ir::Tensor> held(inputs.size());
  std::vector<const ir::Tensor*> ptrs(inputs.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i] < 0) continue;
    held[i] = read_value(plan, inputs[i], stream);
    ptrs[i] = &held[i];
  }
  std::vector<ir::Tensor> results = ref::run_node(node_, ptrs);
  for (size_t i = 0; i < outputs.size() && i < results.size(); ++i) {
    if (outputs[i] < 0) continue;
    PlanValue& pv = plan.value(outputs[i]);
    if (pv.kind == ValueKind::Host) {
      pv.host = results[i];
      continue;
    }
    if (results[i].shape() != pv.shape || results[i].dtype() != pv.dtype)
      fail("node '{}' ({}): reference kernel produced {} {}, planned {} {}", node_.name, node_.op,
           ir::dtype_name(results[i].dtype()), ir::shape_str(results[i].shape()),
           ir::dtype_name(pv.dtype), ir::shape_str(pv.shape));
    std::memcpy(pv.mem.get_data_handle(), results[i].raw(), results[i].nbytes());
  }
}

}  // namespace qcv::runtime
