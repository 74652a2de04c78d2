// Conv, Gemm and MatMul: the primitives that own weights and take fused post-ops.
#include <cstdlib>

#include "runtime/compiler.h"
#include "runtime/dnnl_util.h"
#include "runtime/window.h"

namespace qcv::runtime {

using dnnl::memory;

static std::string chain_label(const ir::Node& n, const FusedChain& chain, const ir::Graph& g,
                               const std::string& impl) {
  std::string s = n.name + " (" + n.op;
  for (int r : chain.absorbed) s += "+" + g.nodes[r].op;
  return s + ": " + impl + ")";
}

bool PlanBuilder::build_conv(int i) {
  const ir::Node& n = g_.nodes[i];
  const FusedChain& chain = fusion_.chains[i];
  const ir::Tensor* w = g_.initializer(n.input(1));
  if (!w || w->dtype() != ir::DType::Float32) return false;
  if (!n.input(2).empty() && !g_.is_initializer(n.input(2))) return false;
  int x = value_of(n.inputs[0]);
  if (!has_md(x)) return false;
  const ir::Shape in = shape_of(x);
  const ir::Shape out = out_shape(n);
  if (in.size() < 3 || in.size() > 5) return false;
  int64_t groups = n.attr_int("group", 1);
  std::vector<int64_t> kernel(w->shape().begin() + 2, w->shape().end());
  Window win = window_of(n, in, out, kernel);

  ir::Shape wshape = w->shape();
  if (groups > 1) {
    wshape[0] /= groups;
    wshape.insert(wshape.begin(), groups);
  }
  memory::desc w_any(to_dims(wshape), memory::data_type::f32, memory::format_tag::any);
  int b = n.input(2).empty() ? -1 : value_of(n.input(2));
  memory::desc b_md = b >= 0 ? plan_->values[b].md : memory::desc();
  dnnl::primitive_attr attr = attr_with(chain.post_ops);
  memory::desc dst_md = any_md(out);
  auto make_pd = [&](const memory::desc& src_md,
                     dnnl::algorithm algorithm = dnnl::algorithm::convolution_direct) {
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference, algorithm, src_md, w_any,
                                      b_md, dst_md, win.strides, win.dilations, win.pad_l,
                                      win.pad_r);
    return dnnl::convolution_forward::primitive_desc(d, attr, engine_);
  };
  dnnl::convolution_forward::primitive_desc pd;
  bool winograd = false;
  const int64_t positions = ir::shape_numel(out) / out[1];
  if (winograd_pays(w->dim(1) * groups, w->dim(0), groups, kernel, win.strides, win.dilations,
                    positions)) {
    try {  // its own blocked layouts in and out (format_tag::any)
      pd = make_pd(any_md(in), dnnl::algorithm::convolution_winograd);
      winograd = is_fast(pd);
    } catch (const dnnl::error&) {
    }
  }
  // Otherwise channels-last activations: oneDNN 2.6's brgemm convolutions (its fastest direct
  // ones on AVX-512) use them, and MobileNets and ResNets measured faster than with nChw16c
  // (bench/bench_vs_ort.js).
  static const memory::format_tag channels_last[] = {
      memory::format_tag::nwc, memory::format_tag::nhwc, memory::format_tag::ndhwc};
  if (!winograd) {
    dst_md = memory::desc(to_dims(out), memory::data_type::f32, channels_last[in.size() - 3]);
    try {
      pd = make_pd(any_md(in));
      if (!is_fast(pd)) throw dnnl::error(dnnl_unimplemented, "reference kernel only");
    } catch (const dnnl::error&) {
      dst_md = any_md(out);
      pd = make_pd(any_md(in));
    }
  }
  const memory::desc have = plan_->values[x].md;
  if (!winograd && !(pd.src_desc() == have)) {
    // Reading the producer's layout directly saves a reorder when a JIT kernel supports it.
    try {
      auto direct = make_pd(have);
      if (is_fast(direct)) pd = direct;
    } catch (const dnnl::error&) {
    }
  }
  int src = ensure_md(x, pd.src_desc());
  dnnl::memory weights = cached_weights(n.name + "/W", pd.weights_desc(), plain_md(wshape), *w);
  // The initializer may be dropped and rebuilt from this copy, but not from Winograd's.
  if (!winograd) cache_.note_source(n.input(1), {n.name + "/W", n.name, w->shape(), wshape});
  // The residual accumulates in the destination's layout: an operand in another one (a
  // dequantized, plain tensor) is reordered first, as the int8 conv does.
  int acc = -1;
  if (!chain.sum_operand.empty()) acc = ensure_md(value_of(chain.sum_operand), pd.dst_desc());
  int dst = define(chain.output, pd.dst_desc(), out);
  PrimitiveStep& s = add_weighted_step(chain_label(n, chain, g_, pd.impl_info_str()),
                                       dnnl::convolution_forward(pd), pd, src, weights, b, dst);
  s.dst_value = dst;
  if (acc >= 0) {
    s.reads.push_back(acc);
    s.accumulate_src = acc;
    s.inplace_src = acc;
    s.inplace_dst = dst;
  }
  return true;
}

// Gemm as an inner product: weights alpha*op(B) as [N, K] (or [N, C, H, W] when a 4-D tensor is
// flattened into it), bias beta*C.
bool PlanBuilder::build_gemm(int i) {
  const ir::Node& n = g_.nodes[i];
  if (!gemm_as_inner_product(n, g_)) return false;
  const FusedChain& chain = fusion_.chains[i];
  int p = g_.producer(n.inputs[0]);
  int x = p >= 0 && fusion_.flatten_into_gemm[p] ? value_of(g_.nodes[p].inputs[0])
                                                 : value_of(n.inputs[0]);
  if (!has_md(x)) return false;
  const ir::Tensor& bmat = *g_.initializer(n.input(1));
  bool trans_b = n.attr_int("transB", 0) != 0;
  float alpha = n.attr_float("alpha", 1.f), beta = n.attr_float("beta", 1.f);
  int64_t outputs = trans_b ? bmat.dim(0) : bmat.dim(1), k = trans_b ? bmat.dim(1) : bmat.dim(0);
  ir::Shape in = shape_of(x), out = out_shape(n);
  ir::Shape wshape = {outputs, k};
  if (in.size() == 4) wshape = {outputs, in[1], in[2], in[3]};
  if (ir::shape_numel(wshape) != outputs * k) return false;

  int b = -1;
  if (!n.input(2).empty()) {
    ir::Tensor bias(ir::DType::Float32, {outputs});
    const float* c = g_.initializer(n.input(2))->data<float>();
    for (int64_t j = 0; j < outputs; ++j) bias.data<float>()[j] = beta * c[j];
    b = add_constant(n.name + "#bias", bias);
  }
  memory::desc w_any(to_dims(wshape), memory::data_type::f32, memory::format_tag::any);
  memory::desc b_md = b >= 0 ? plan_->values[b].md : memory::desc();
  dnnl::primitive_attr attr = attr_with(chain.post_ops);
  auto make_pd = [&](const memory::desc& src_md) {
    dnnl::inner_product_forward::desc d(dnnl::prop_kind::forward_inference, src_md, w_any, b_md,
                                        any_md(out));
    return dnnl::inner_product_forward::primitive_desc(d, attr, engine_);
  };
  dnnl::inner_product_forward::primitive_desc pd;
  try {
    pd = make_pd(plan_->values[x].md);
  } catch (const dnnl::error&) {
    pd = make_pd(any_md(in));
  }
  int src = ensure_md(x, pd.src_desc());
  dnnl::memory weights = cache_.find(n.name + "/W", pd.weights_desc());
  if (!weights) {
    ir::Tensor wt(ir::DType::Float32, wshape);
    const float* bp = bmat.data<float>();
    float* wp = wt.data<float>();
    for (int64_t o = 0; o < outputs; ++o)
      for (int64_t j = 0; j < k; ++j)
        wp[o * k + j] = alpha * (trans_b ? bp[o * k + j] : bp[j * outputs + o]);
    weights = cached_weights(n.name + "/W", pd.weights_desc(), plain_md(wshape), wt);
  }
  // With transB and alpha 1 the cached copy is B itself.
  if (trans_b && alpha == 1.f)
    cache_.note_source(n.input(1), {n.name + "/W", n.name, bmat.shape(), wshape});
  int dst = define(chain.output, pd.dst_desc(), out);
  add_weighted_step(chain_label(n, chain, g_, pd.impl_info_str()), dnnl::inner_product_forward(pd),
                    pd, src, weights, b, dst);
  return true;
}

// MatMul with numpy broadcasting of the batch dimensions, on plain row-major operands.
bool PlanBuilder::build_matmul(int i) {
  const ir::Node& n = g_.nodes[i];
  int a = value_of(n.inputs[0]), b = value_of(n.inputs[1]);
  if (!has_md(a) || !has_md(b)) return false;
  ir::Shape out = out_shape(n);
  if (shape_of(a).size() < 2 || shape_of(b).size() < 2 || out.size() > 6) return false;
  auto padded = [&](int v) {
    ir::Shape s = shape_of(v);
    s.insert(s.begin(), out.size() - s.size(), 1);
    int pv = ensure_plain(v);
    return s == shape_of(pv) ? pv : view(pv, s, plan_->values[v].name + "#padded");
  };
  int pa = padded(a), pb = padded(b);
  dnnl::matmul::desc d(plan_->values[pa].md, plan_->values[pb].md, plain_md(out));
  dnnl::matmul::primitive_desc pd(d, attr_with({}), engine_);
  int dst = define(n.outputs[0], pd.dst_desc(), out);
  add_call_step(n.name + " (MatMul: " + pd.impl_info_str() + ")", dnnl::matmul(pd), pd,
                {{DNNL_ARG_SRC, pa}, {DNNL_ARG_WEIGHTS, pb}}, DNNL_ARG_DST, dst);
  return true;
}

}  // namespace qcv::runtime
