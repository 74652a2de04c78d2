// QuantizeLinear and DequantizeLinear as oneDNN reorders (scale and zero point as attributes),
// Q(DQ(x)) pairs elided when the parameters are equal, and pooling on int8 tensors.
//
// Rounding: oneDNN converts f32 to int8 with round-half-to-even (vcvtps2dq under the default
// MXCSR mode) and saturates, as ONNX's QuantizeLinear does (qcv::ref::quantize_value). Two
// differences remain, both only at exact ties: oneDNN multiplies by 1/scale where ONNX divides
// by the scale, and it adds the zero point before rounding (round(x/s + zp) vs round(x/s) + zp:
// a tie with an odd zero point rounds the other way). Either moves a result by one step at most.
#include "ref/ref.h"
#include "runtime/compiler.h"
#include "runtime/dnnl_util.h"
#include "runtime/qchain.h"
#include "runtime/window.h"

namespace qcv::runtime {

using dnnl::memory;

int PlanBuilder::define_typed(const std::string& name, const memory::desc& md, ir::Shape shape,
                              ir::DType dtype) {
  int id = define(name, md, std::move(shape));
  plan_->values[id].dtype = dtype;
  return id;
}

std::optional<PlanBuilder::QTensor> PlanBuilder::as_int8(const std::string& name) {
  auto it = float_as_int8_.find(name);
  if (it != float_as_int8_.end()) return it->second;
  int p = g_.producer(name);
  if (p >= 0 && (g_.nodes[p].op == "Flatten" || g_.nodes[p].op == "Reshape" ||
                 g_.nodes[p].op == "Squeeze" || g_.nodes[p].op == "Unsqueeze"))
    return int8_view(name, p);
  auto params = dequantized_activation(g_, p);
  if (!params) return std::nullopt;
  auto src = ids_.find(g_.nodes[p].inputs[0]);
  if (src == ids_.end() || !has_md(src->second)) return std::nullopt;
  if (plan_->values[src->second].md.data_type() != dnnl_type(params->dtype)) return std::nullopt;
  QTensor q{src->second, *params};
  float_as_int8_[name] = q;
  return q;
}

// A view op of a dequantized tensor is the dequantization of the same int8 numbers seen in the
// view's shape (per-tensor parameters), when those bytes are in row-major order already: a
// channels-last [N, C, 1, 1] pooling result read by a Flatten and a Gemm (TFLite placement).
std::optional<PlanBuilder::QTensor> PlanBuilder::int8_view(const std::string& name, int p) {
  auto inner = as_int8(g_.nodes[p].inputs[0]);
  auto t = g_.value_type(name);
  if (!inner || !t || !t->has_shape || ir::shape_numel(t->shape) != ir::shape_numel(shape_of(inner->value)))
    return std::nullopt;
  const memory::desc& md = plan_->values[inner->value].md;
  const ir::Shape& shape = shape_of(inner->value);
  const auto& blk = md.data.format_desc.blocking;
  if (md.data.format_kind != dnnl_blocked || blk.inner_nblks != 0) return std::nullopt;
  int64_t expect = 1;
  for (int d = static_cast<int>(shape.size()) - 1; d >= 0; --d) {
    if (shape[d] > 1 && blk.strides[d] != expect) return std::nullopt;
    expect *= shape[d];
  }
  QTensor q{view(inner->value, t->shape, name + "#int8"), inner->params};
  float_as_int8_[name] = q;
  return q;
}

int PlanBuilder::dequantize_value(const std::string& name) {
  if (auto q = as_int8(name)) {
    const PlanValue& src = plan_->values[q->value];
    memory::desc md = with_type(src.md, memory::data_type::f32);
    dnnl::primitive_attr attr = attr_with({});
    attr.set_output_scales(0, {q->params.scale[0]});
    if (q->params.zero_point[0] != 0)
      attr.set_zero_points(DNNL_ARG_SRC, 0, {q->params.zero_point[0]});
    dnnl::reorder::primitive_desc pd(engine_, src.md, engine_, md, attr);
    ir::Shape shape = src.shape;
    int dst = define(name, md, shape);
    add_call_step(name + " (DequantizeLinear: reorder " + pd.impl_info_str() + ")",
                  dnnl::reorder(pd), pd, {{DNNL_ARG_FROM, q->value}}, DNNL_ARG_TO, dst);
    return dst;
  }
  int p = g_.producer(name);
  const ir::Node& n = g_.nodes.at(p);
  bool constant = true;
  for (const std::string& in : n.inputs)
    constant = constant && (in.empty() || g_.is_initializer(in));
  if (constant) {
    // A dequantized weight read by a float step: dequantized once per plan.
    std::vector<const ir::Tensor*> inputs;
    for (const std::string& in : n.inputs)
      inputs.push_back(in.empty() ? nullptr : g_.initializer(in));
    return add_constant(name, ref::run_node(n, inputs).at(0));
  }
  build_ref(p);
  return ids_.at(name);
}

bool PlanBuilder::build_quantize(int i) {
  const ir::Node& n = g_.nodes[i];
  auto qp = quantize_node_params(g_, n);
  if (!qp) return false;
  const memory::data_type qdt = dnnl_type(qp->dtype);
  dnnl::primitive_attr attr = attr_with({});
  int src = -1;
  std::string what;
  if (auto in = as_int8(n.inputs[0])) {
    if (in->params == *qp) {
      ids_[n.outputs[0]] = in->value;  // Q(DQ(x)) = x with equal parameters
      return true;
    }
    src = in->value;
    attr.set_output_scales(0, {in->params.scale[0] / qp->scale[0]});
    if (in->params.zero_point[0] != 0)
      attr.set_zero_points(DNNL_ARG_SRC, 0, {in->params.zero_point[0]});
    what = "requantize";
  } else {
    src = value_of(n.inputs[0]);
    if (!has_md(src) || plan_->values[src].md.data_type() != memory::data_type::f32) return false;
    attr.set_output_scales(0, {1.f / qp->scale[0]});
    what = "QuantizeLinear";
  }
  if (qp->zero_point[0] != 0) attr.set_zero_points(DNNL_ARG_DST, 0, {qp->zero_point[0]});
  const PlanValue& sv = plan_->values[src];
  memory::desc md = with_type(sv.md, qdt);
  dnnl::reorder::primitive_desc pd(engine_, sv.md, engine_, md, attr);
  int dst = define_typed(n.outputs[0], md, sv.shape, qp->dtype);
  add_call_step(n.name + " (" + what + ": reorder " + pd.impl_info_str() + ")", dnnl::reorder(pd),
                pd, {{DNNL_ARG_FROM, src}}, DNNL_ARG_TO, dst);
  return true;
}

// Pooling of a dequantized int8 tensor runs on the int8 numbers: max pooling exactly, average
// pooling rounding its result to the input's step (its zero point cancels out of an average
// over real elements; padding counted as 0 needs a zero point 0).
bool PlanBuilder::build_qpool(int i) {
  const ir::Node& n = g_.nodes[i];
  if (n.outputs.size() > 1 && !n.outputs[1].empty()) return false;
  if (build_qgap(i)) return true;  // any output parameters, one pass (compile_qgap.cpp)
  auto xq = as_int8(n.inputs[0]);
  if (!xq) return false;
  // An average rounded to the input's step and then requantized rounds twice (several output
  // steps where the output's scale is finer): only when a Q of the same parameters follows.
  if (n.op != "MaxPool") {
    std::vector<int> readers = g_.consumers(n.outputs[0]);
    auto q = readers.size() == 1 ? quantize_node_params(g_, g_.nodes[readers[0]]) : std::nullopt;
    if (!q || !(*q == xq->params)) return false;
  }
  ir::Shape in = shape_of(xq->value), out = out_shape(n);
  if (in.size() < 3 || in.size() > 5) return false;
  std::vector<int64_t> kernel;
  dnnl::algorithm alg;
  Window win;
  if (n.op == "GlobalAveragePool") {
    kernel.assign(in.begin() + 2, in.end());
    size_t spatial = kernel.size();
    win = {memory::dims(spatial, 1), memory::dims(spatial, 0), memory::dims(spatial, 0),
           memory::dims(spatial, 0)};
    alg = dnnl::algorithm::pooling_avg_exclude_padding;
  } else {
    kernel = n.attr_ints("kernel_shape");
    win = window_of(n, in, out, kernel);
    if (!average_divisor_matches(n, win)) return false;
    if (n.op == "MaxPool") {
      alg = dnnl::algorithm::pooling_max;
    } else if (n.attr_int("count_include_pad", 0)) {
      alg = dnnl::algorithm::pooling_avg_include_padding;
      if (xq->params.zero_point[0] != 0) return false;
    } else {
      alg = dnnl::algorithm::pooling_avg_exclude_padding;
    }
  }
  const memory::desc src_md = plan_->values[xq->value].md;
  memory::desc dst_any(to_dims(out), src_md.data_type(), memory::format_tag::any);
  dnnl::pooling_v2_forward::desc d(dnnl::prop_kind::forward_inference, alg, src_md, dst_any,
                                   win.strides, kernel, win.dilations, win.pad_l, win.pad_r);
  dnnl::pooling_v2_forward::primitive_desc pd(d, attr_with({}), engine_);
  int dst = define_typed(n.outputs[0] + "#int8", pd.dst_desc(), out, xq->params.dtype);
  ids_.erase(n.outputs[0] + "#int8");
  add_call_step(n.name + " (" + n.op + " int8: " + pd.impl_info_str() + ")",
                dnnl::pooling_v2_forward(pd), pd, {{DNNL_ARG_SRC, xq->value}}, DNNL_ARG_DST, dst);
  float_as_int8_[n.outputs[0]] = QTensor{dst, xq->params};
  return true;
}

}  // namespace qcv::runtime

namespace qcv::runtime {

// Add of two dequantized int8 tensors of one shape: a oneDNN binary on the int8 numbers, each
// source scaled to the destination's units, the zero points folded into one offset.
bool PlanBuilder::build_qadd(int i) {
  const ir::Node& n = g_.nodes[i];
  if (n.op != "Add" || n.inputs.size() != 2) return false;
  auto a = as_int8(n.inputs[0]), b = as_int8(n.inputs[1]);
  if (!a || !b || shape_of(a->value) != shape_of(b->value)) return false;
  return build_qbinary(i, *a, *b, {});
}

// An activation between int8 tensors, Q(f(DQ(x))): the same int8 binary, adding a broadcast
// zero with scale 0, the activation a post-op (requantization included).
bool PlanBuilder::build_qactivation(int i) {
  const ir::Node& n = g_.nodes[i];
  auto ops = activation_ops(n, g_);
  auto a = as_int8(n.inputs[0]);
  if (!ops || !a) return false;
  const ir::Shape& shape = shape_of(a->value);
  if (shape.empty() || shape.size() > 6) return false;
  ir::Tensor zero(a->params.dtype, ir::Shape(shape.size(), 1));
  int z = add_constant(n.name + "#zero", zero);
  plan_->values[z].md = plain_md(zero.shape(), dnnl_type(a->params.dtype));
  QTensor b{z, a->params};
  b.params.scale = {0.f};
  b.params.zero_point = {0};
  return build_qbinary(i, *a, b, *ops);
}

bool PlanBuilder::build_qbinary(int i, const QTensor& qa, const QTensor& qb,
                                const std::vector<EltOp>& first) {
  const std::optional<QTensor> a = qa, b = qb;
  const ir::Shape out = out_shape(g_.nodes[i]);
  if (shape_of(a->value) != out || out.size() > 6) return false;
  QChain chain = follow_chain(g_, fusion_, i, [](const std::string&) { return false; });
  chain.before_sum.insert(chain.before_sum.begin(), first.begin(), first.end());
  // In units of the destination's scale, shifted by its zero point: v' = v / s_y + zp_y. One
  // eltwise_linear adds every offset at once: oneDNN 2.6's jit binary applies a second linear
  // post-op with the first one's parameters (measured), so a chain never holds two.
  const float sa = a->params.scale[0], sb = b->params.scale[0];
  float unit = 1.f, zp = 0.f;
  std::vector<EltOp> elts = chain.before_sum;
  if (chain.output) {
    unit = chain.output->scale[0];
    zp = static_cast<float>(chain.output->zero_point[0]);
    std::vector<EltOp> moved;
    for (const EltOp& e : elts) {
      auto r = rescaled(e, unit);
      auto m = r ? shifted(*r, zp) : std::nullopt;
      if (!m) return false;  // the float Add and a QuantizeLinear run instead
      moved.push_back(*m);
    }
    elts = moved;
  }
  const float offset = zp - (sa * static_cast<float>(a->params.zero_point[0]) +
                             sb * static_cast<float>(b->params.zero_point[0])) /
                                unit;
  // The offset goes into a leading linear op (HardSigmoid's): linear(a, b)(v + offset).
  if (offset != 0.f && !elts.empty() && elts[0].alg == dnnl::algorithm::eltwise_linear)
    elts[0].beta += elts[0].alpha * offset;
  else if (offset != 0.f)
    elts.insert(elts.begin(), EltOp{dnnl::algorithm::eltwise_linear, 1.f, offset});
  int linear_ops = 0;
  for (const EltOp& e : elts) linear_ops += e.alg == dnnl::algorithm::eltwise_linear;
  if (linear_ops > 1) return false;  // see above: the float ops and a QuantizeLinear run instead
  dnnl::primitive_attr attr = attr_with({});
  attr.set_scales(DNNL_ARG_SRC_0, 0, {sa / unit});
  attr.set_scales(DNNL_ARG_SRC_1, 0, {sb / unit});
  dnnl::post_ops po;
  for (const EltOp& e : elts) po.append_eltwise(1.f, e.alg, e.alpha, e.beta);
  attr.set_post_ops(po);
  const memory::desc md_a = plan_->values[a->value].md;
  int src_b = b->value;
  if (shape_of(b->value) == out)
    src_b = ensure_md(b->value, with_type(md_a, plan_->values[b->value].md.data_type()));
  const ir::DType dst_type = chain.output ? chain.output->dtype : ir::DType::Float32;
  memory::desc dst_md = with_type(md_a, dnnl_type(dst_type));
  dnnl::binary::desc d(dnnl::algorithm::binary_add, md_a, plan_->values[src_b].md, dst_md);
  dnnl::binary::primitive_desc pd(d, attr, engine_);
  int dst = define_typed(chain.output_name, pd.dst_desc(), out, dst_type);
  add_call_step(
      int8_label(g_, i, "Q" + g_.nodes[i].op, chain, pd.impl_info_str(), a->params.dtype, dst_type),
      dnnl::binary(pd), pd, {{DNNL_ARG_SRC_0, a->value}, {DNNL_ARG_SRC_1, src_b}}, DNNL_ARG_DST,
      dst);
  absorb_chain(fusion_, i, chain);
  return true;
}

}  // namespace qcv::runtime

namespace qcv::runtime {

// Concat of dequantized int8 tensors with equal parameters is a concat of their int8 numbers.
bool PlanBuilder::build_qconcat(int i) {
  const ir::Node& n = g_.nodes[i];
  std::vector<int> srcs;
  std::vector<memory::desc> mds;
  std::optional<QParams> params;
  const ir::Shape out = out_shape(n);
  for (const std::string& in : n.inputs) {
    auto q = as_int8(in);
    if (!q || (params && !(q->params == *params))) return false;
    params = q->params;
    if (ir::shape_numel(shape_of(q->value)) == 0) continue;
    srcs.push_back(q->value);
    mds.push_back(plan_->values[q->value].md);
  }
  int64_t axis = n.attr_int("axis");
  if (axis < 0) axis += static_cast<int64_t>(out.size());
  if (srcs.empty() || out.size() > 6) return false;
  dnnl::concat::primitive_desc pd(static_cast<int>(axis), mds, engine_, attr_with({}));
  int dst = define_typed(n.outputs[0] + "#int8", pd.dst_desc(), out, params->dtype);
  ids_.erase(n.outputs[0] + "#int8");
  std::vector<std::pair<int, int>> args;
  for (size_t k = 0; k < srcs.size(); ++k)
    args.push_back({DNNL_ARG_MULTIPLE_SRC + static_cast<int>(k), srcs[k]});
  add_call_step(n.name + " (Concat int8: " + pd.impl_info_str() + ")", dnnl::concat(pd), pd, args,
                DNNL_ARG_DST, dst);
  float_as_int8_[n.outputs[0]] = QTensor{dst, *params};
  return true;
}

}  // namespace qcv::runtime
