#include "runtime/steps.h"

#include <cstring>

#include "ref/ref.h"
#include "runtime/dnnl_util.h"

namespace qcv::runtime {

void PrimitiveStep::prepare(const Plan& plan) {
  copy_before_ = accumulate_src >= 0 && plan.root(accumulate_src) != plan.root(dst_value);
  if (!copy_before_) return;
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);  // no hidden shared scratchpad
  dnnl::reorder::primitive_desc pd(plan.engine, plan.value(accumulate_src).md, plan.engine,
                                   plan.value(dst_value).md, attr);
  accumulate_copy_ = dnnl::reorder(pd);
}

// Memory objects are per context (they are not shareable between threads); weights and the
// primitives themselves are.
void PrimitiveStep::bind(const Plan& plan, ExecContext& ctx, size_t index) const {
  auto& args = ctx.args[index];
  args.assign(calls.size() + (copy_before_ ? 1 : 0), {});
  for (size_t k = 0; k < calls.size(); ++k) {
    const PrimitiveCall& c = calls[k];
    for (auto& [arg, v] : c.value_args) args[k][arg] = ctx.mem[v];
    for (auto& [arg, m] : c.fixed_args)
      args[k][arg] = dnnl::memory(m.get_desc(), plan.engine, m.get_data_handle());
    if (c.scratchpad_md.get_size() > 0)
      args[k][DNNL_ARG_SCRATCHPAD] =
          dnnl::memory(c.scratchpad_md, plan.engine, ctx.scratchpad.get());
  }
  if (copy_before_)
    args.back() = {{DNNL_ARG_FROM, ctx.mem[accumulate_src]}, {DNNL_ARG_TO, ctx.mem[dst_value]}};
}

void PrimitiveStep::execute(const Plan&, ExecContext& ctx, size_t index) const {
  const auto& args = ctx.args[index];
  if (copy_before_) accumulate_copy_.execute(ctx.stream, args.back());
  for (size_t k = 0; k < calls.size(); ++k) calls[k].primitive.execute(ctx.stream, args[k]);
}

ir::Tensor read_value(const Plan& plan, ExecContext& ctx, int v) {
  const PlanValue& pv = plan.value(v);
  // A strided view (a Transpose) of an input or constant is read through its descriptor.
  const bool strided = pv.md.data.ndims > 0 && !is_plain(pv.md, pv.shape);
  if (pv.kind != ValueKind::Arena && !strided) {
    int r = plan.root(v);
    const ir::Tensor& t =
        plan.value(r).kind == ValueKind::Constant ? plan.value(r).host : ctx.host[r];
    // A view has its planned shape; a reference result keeps the shape it was computed with.
    return r == v || t.shape() == pv.shape ? t : t.reshaped(pv.shape);
  }
  ir::Tensor t(pv.dtype, pv.shape);
  const dnnl::memory& src = ctx.mem[v];
  if (is_plain(pv.md, pv.shape)) {
    std::memcpy(t.raw(), src.get_data_handle(), t.nbytes());
  } else {
    dnnl::memory dst(plain_md(pv.shape, pv.md.data_type()), plan.engine, t.raw());
    dnnl::reorder(src, dst).execute(ctx.stream, {{DNNL_ARG_FROM, src}, {DNNL_ARG_TO, dst}});
    ctx.stream.wait();
  }
  return t;
}

void RefStep::execute(const Plan& plan, ExecContext& ctx, size_t) const {
  std::vector<ir::Tensor> held(inputs.size());
  std::vector<const ir::Tensor*> ptrs(inputs.size(), nullptr);
  for (size_t i = 0; i < inputs.size(); ++i) {
    if (inputs[i] < 0) continue;
    held[i] = read_value(plan, ctx, inputs[i]);
    ptrs[i] = &held[i];
  }
  std::vector<ir::Tensor> results = ref::run_node(node_, ptrs);
  for (size_t i = 0; i < outputs.size() && i < results.size(); ++i) {
    if (outputs[i] < 0) continue;
    const PlanValue& pv = plan.value(outputs[i]);
    if (pv.kind == ValueKind::Host) {
      ctx.host[outputs[i]] = results[i];
      continue;
    }
    if (results[i].shape() != pv.shape || results[i].dtype() != pv.dtype)
      fail("node '{}' ({}): reference kernel produced {} {}, planned {} {}", node_.name, node_.op,
           ir::dtype_name(results[i].dtype()), ir::shape_str(results[i].shape()),
           ir::dtype_name(pv.dtype), ir::shape_str(pv.shape));
    std::memcpy(ctx.mem[outputs[i]].get_data_handle(), results[i].raw(), results[i].nbytes());
  }
}

}  // namespace qcv::runtime
