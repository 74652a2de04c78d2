// Layout-agnostic primitives (eltwise, binary, pooling, concat), softmax, and views.
#include "runtime/compiler.h"
#include "runtime/dnnl_util.h"
#include "runtime/window.h"

namespace qcv::runtime {

using dnnl::memory;

bool PlanBuilder::build_eltwise(int i) {
  const ir::Node& n = g_.nodes[i];
  const FusedChain& chain = fusion_.chains[i];
  auto ops = activation_ops(n, g_);
  int x = value_of(n.inputs[0]);
  // The same step as a math-family chain (build_eltwise_chain), labelled by this node.
  return ops && build_eltwise_chain(n.name + " (" + n.op, x, *ops, chain.output);
}

bool PlanBuilder::build_binary(int i) {
  const ir::Node& n = g_.nodes[i];
  const FusedChain& chain = fusion_.chains[i];
  int a = value_of(n.inputs[0]), b = value_of(n.inputs[1]);
  if (!has_md(a) || !has_md(b)) return false;
  ir::Shape out = out_shape(n);
  if (out.size() > 6) return false;
  bool commutative = n.op == "Add" || n.op == "Mul";
  // oneDNN broadcasts only its second source.
  if (shape_of(a) != out) {
    if (!commutative || shape_of(b) != out) return false;
    std::swap(a, b);
  }
  if (shape_of(b).size() < out.size()) {
    ir::Shape s = shape_of(b);
    s.insert(s.begin(), out.size() - s.size(), 1);
    b = view(ensure_plain(b), s, plan_->values[b].name + "#padded");
  }
  dnnl::algorithm alg = n.op == "Add"   ? dnnl::algorithm::binary_add
                        : n.op == "Sub" ? dnnl::algorithm::binary_sub
                        : n.op == "Mul" ? dnnl::algorithm::binary_mul
                                        : dnnl::algorithm::binary_div;
  dnnl::primitive_attr attr = attr_with(chain.post_ops);
  auto make_pd = [&](int src1) {
    const memory::desc& md0 = plan_->values[a].md;
    dnnl::binary::desc d(alg, md0, plan_->values[src1].md, md0);
    return dnnl::binary::primitive_desc(d, attr, engine_);
  };
  auto pd = make_pd(b);
  if (!is_fast(pd)) {
    // Give the second source the first one's layout (same shape) or a plain one (broadcast).
    int alt = shape_of(b) == out ? ensure_md(b, plan_->values[a].md) : ensure_plain(b);
    if (alt != b) {
      b = alt;
      pd = make_pd(b);
    }
  }
  int dst = define(chain.output, pd.dst_desc(), out);
  PrimitiveStep& s =
      add_call_step(n.name + " (" + n.op + ": " + pd.impl_info_str() + ")", dnnl::binary(pd), pd,
                    {{DNNL_ARG_SRC_0, a}, {DNNL_ARG_SRC_1, b}}, DNNL_ARG_DST, dst);
  s.inplace_src = a;
  s.inplace_dst = dst;
  return true;
}

bool PlanBuilder::build_pool(int i) {
  const ir::Node& n = g_.nodes[i];
  if (n.outputs.size() > 1 && !n.outputs[1].empty()) return false;  // MaxPool indices
  int x = value_of(n.inputs[0]);
  if (!has_md(x)) return false;
  ir::Shape in = shape_of(x), out = out_shape(n);
  if (in.size() < 3 || in.size() > 5) return false;
  std::vector<int64_t> kernel;
  dnnl::algorithm alg;
  Window win;
  if (n.op == "GlobalAveragePool" || n.op == "GlobalMaxPool") {
    kernel.assign(in.begin() + 2, in.end());
    size_t spatial = kernel.size();
    win = {memory::dims(spatial, 1), memory::dims(spatial, 0), memory::dims(spatial, 0),
           memory::dims(spatial, 0)};
    alg = n.op == "GlobalMaxPool" ? dnnl::algorithm::pooling_max
                                  : dnnl::algorithm::pooling_avg_exclude_padding;
  } else {
    kernel = n.attr_ints("kernel_shape");
    win = window_of(n, in, out, kernel);
    if (!average_divisor_matches(n, win)) return false;
    if (n.op == "MaxPool")
      alg = dnnl::algorithm::pooling_max;
    else if (n.attr_int("count_include_pad", 0))
      alg = dnnl::algorithm::pooling_avg_include_padding;
    else
      alg = dnnl::algorithm::pooling_avg_exclude_padding;
  }
  dnnl::pooling_v2_forward::desc d(dnnl::prop_kind::forward_inference, alg, plan_->values[x].md,
                                   any_md(out), win.strides, kernel, win.dilations, win.pad_l,
                                   win.pad_r);
  dnnl::pooling_v2_forward::primitive_desc pd(d, attr_with({}), engine_);
  int dst = define(n.outputs[0], pd.dst_desc(), out);
  add_call_step(n.name + " (" + n.op + ": " + pd.impl_info_str() + ")",
                dnnl::pooling_v2_forward(pd), pd, {{DNNL_ARG_SRC, x}}, DNNL_ARG_DST, dst);
  return true;
}

bool PlanBuilder::build_softmax(int i) {
  const ir::Node& n = g_.nodes[i];
  int x = value_of(n.inputs[0]);
  if (!has_md(x)) return false;
  int64_t rank = static_cast<int64_t>(shape_of(x).size());
  int64_t axis = n.attr_int("axis", -1);
  if (axis < 0) axis += rank;
  if (axis < 0 || axis >= rank || shape_of(x).empty()) return false;
  x = ensure_plain(x);
  const memory::desc md = plan_->values[x].md;
  dnnl::softmax_forward::desc d(dnnl::prop_kind::forward_inference, md, static_cast<int>(axis));
  dnnl::softmax_forward::primitive_desc pd(d, attr_with({}), engine_);
  int dst = define(n.outputs[0], pd.dst_desc(), shape_of(x));
  PrimitiveStep& s =
      add_call_step(n.name + " (Softmax: " + pd.impl_info_str() + ")", dnnl::softmax_forward(pd),
                    pd, {{DNNL_ARG_SRC, x}}, DNNL_ARG_DST, dst);
  s.inplace_src = x;
  s.inplace_dst = dst;
  return true;
}

bool PlanBuilder::build_concat(int i) {
  const ir::Node& n = g_.nodes[i];
  std::vector<int> srcs;
  std::vector<memory::desc> mds;
  ir::Shape out = out_shape(n);
  for (const std::string& in : n.inputs) {
    int v = value_of(in);
    if (!has_md(v) || shape_of(v).size() != out.size()) return false;
    if (ir::shape_numel(shape_of(v)) == 0) continue;
    srcs.push_back(v);
    mds.push_back(plan_->values[v].md);
  }
  int64_t axis = n.attr_int("axis");
  if (axis < 0) axis += static_cast<int64_t>(out.size());
  if (srcs.empty() || out.size() > 6) return false;
  dnnl::concat::primitive_desc pd(static_cast<int>(axis), mds, engine_, attr_with({}));
  int dst = define(n.outputs[0], pd.dst_desc(), out);
  std::vector<std::pair<int, int>> args;
  for (size_t k = 0; k < srcs.size(); ++k)
    args.push_back({DNNL_ARG_MULTIPLE_SRC + static_cast<int>(k), srcs[k]});
  add_call_step(n.name + " (Concat: " + pd.impl_info_str() + ")", dnnl::concat(pd), pd, args,
                DNNL_ARG_DST, dst);
  return true;
}

// Shape-only ops: the output shares the input's bytes once they are in row-major order.
bool PlanBuilder::build_view(int i) {
  const ir::Node& n = g_.nodes[i];
  for (size_t k = 1; k < n.outputs.size(); ++k)
    if (!n.outputs[k].empty()) return false;  // Dropout's mask
  if (n.op == "Dropout" && !n.input(2).empty()) {
    // Training-mode Dropout is random, not a view: only a constant false training_mode passes.
    const ir::Tensor* training = g_.initializer(n.input(2));
    if (!training || training->numel() != 1 || training->as_int64(0) != 0) return false;
  }
  int x = value_of(n.inputs[0]);
  auto t = g_.value_type(n.outputs[0]);
  if (!t || !t->has_shape || t->shape.size() > 6) return false;
  for (int64_t d : t->shape)
    if (d < 0) return false;
  int v = has_md(x) ? ensure_plain(x) : x;
  if (!has_md(x) && plan_->values[x].kind == ValueKind::Host) return false;
  int id = view(v, t->shape, n.outputs[0]);
  ids_[n.outputs[0]] = id;
  return true;
}

}  // namespace qcv::runtime
