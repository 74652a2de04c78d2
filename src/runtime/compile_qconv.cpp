// The INT8 action for DequantizeLinear -> Conv/Gemm -> [activations] -> [Add] -> [activations] ->
// [QuantizeLinear]: one oneDNN int8 primitive with the int8 weights of the file (reordered once
// per Session), the bias in accumulator units, per-channel output scales, the activations as
// eltwise post-ops, the residual Add as a sum post-op and the requantization as the conversion
// of the destination.
#include <algorithm>
#include <cfloat>
#include <cmath>
#include <functional>

#include "runtime/compiler.h"
#include "runtime/dnnl_util.h"
#include "runtime/qchain.h"
#include "runtime/window.h"

namespace qcv::runtime {

using dnnl::memory;

std::optional<EltOp> rescaled(const EltOp& e, float s) {
  using dnnl::algorithm;
  if (e.alg == algorithm::eltwise_relu && e.alpha == 0.f) return e;
  if (e.alg == algorithm::eltwise_clip) return EltOp{e.alg, e.alpha / s, e.beta / s};
  if (e.alg == algorithm::eltwise_bounded_relu) return EltOp{e.alg, e.alpha / s, 0.f};
  if (e.alg == algorithm::eltwise_linear) return EltOp{e.alg, e.alpha, e.beta / s};
  return std::nullopt;
}

// The fused tail of anchor i, following single readers: activations, one Add whose other input
// is already computed, activations, and a QuantizeLinear.
std::optional<EltOp> shifted(const EltOp& e, float zp) {
  using dnnl::algorithm;
  if (zp == 0.f) return e;
  if (e.alg == algorithm::eltwise_relu && e.alpha == 0.f)
    return EltOp{algorithm::eltwise_clip, zp, FLT_MAX};
  if (e.alg == algorithm::eltwise_clip) return EltOp{e.alg, e.alpha + zp, e.beta + zp};
  if (e.alg == algorithm::eltwise_bounded_relu)
    return EltOp{algorithm::eltwise_clip, zp, e.alpha + zp};
  if (e.alg == algorithm::eltwise_linear) return EltOp{e.alg, e.alpha, e.beta + zp - e.alpha * zp};
  return std::nullopt;
}

QChain follow_chain(const ir::Graph& g, const FusionPlan& fusion, int i,
                    const std::function<bool(const std::string&)>& available) {
  QChain c;
  c.output_name = g.nodes[i].outputs[0];
  for (;;) {
    const std::string& cur = c.output_name;
    auto owned = [&](int r) {  // fused into another anchor that is not part of this chain
      const int owner = fusion.absorbed_by[r];
      return owner >= 0 && owner != i &&
             std::find(c.absorbed.begin(), c.absorbed.end(), owner) == c.absorbed.end();
    };
    if (auto hs = hard_swish_pair(g, cur)) {
      if (owned(hs->hard_sigmoid) || owned(hs->mul)) break;
      auto& dst = c.sum_node >= 0 ? c.after_sum : c.before_sum;
      dst.push_back({dnnl::algorithm::eltwise_hardswish, 0.f, 0.f});
      c.absorbed.push_back(hs->hard_sigmoid);
      c.absorbed.push_back(hs->mul);
      c.output_name = g.nodes[hs->mul].outputs[0];
      continue;
    }
    std::vector<int> readers = g.consumers(cur);
    if (g.is_graph_output(cur) || readers.size() != 1) break;
    int r = readers[0];
    // A node fused into another anchor stays there, unless that anchor is part of this chain.
    const int owner = fusion.absorbed_by[r];
    if (owner >= 0 && owner != i &&
        std::find(c.absorbed.begin(), c.absorbed.end(), owner) == c.absorbed.end())
      break;
    const ir::Node& next = g.nodes[r];
    if (auto ops = activation_ops(next, g)) {
      auto& dst = c.sum_node >= 0 ? c.after_sum : c.before_sum;
      dst.insert(dst.end(), ops->begin(), ops->end());
    } else if (next.op == "Add" && c.sum_node < 0 && next.input(0) != next.input(1)) {
      const std::string& other = next.input(0) == cur ? next.input(1) : next.input(0);
      auto ot = g.value_type(other), ct = g.value_type(cur);
      if (!ot || !ct || !ot->has_shape || ot->shape != ct->shape) break;
      if (!available(other)) break;
      c.sum_operand = other;
      c.sum_node = r;
    } else if (auto q = quantize_node_params(g, next)) {
      c.output = q;
      c.absorbed.push_back(r);
      c.output_name = next.outputs[0];
      break;
    } else {
      break;
    }
    c.absorbed.push_back(r);
    c.output_name = next.outputs[0];
  }
  return c;
}

// Drops the trailing QuantizeLinear of a chain (the destination stays float).
void drop_quantize(QChain& c, const ir::Graph& g, int anchor) {
  if (!c.output) return;
  c.output.reset();
  c.absorbed.pop_back();
  c.output_name = g.nodes[c.absorbed.empty() ? anchor : c.absorbed.back()].outputs[0];
}

// The attributes of an int8 primitive: output scales, source zero point and post-ops. With an
// int8 destination of scale s_y everything is computed in units of s_y when the activations
// allow it; otherwise in real units with a final 1/s_y.
dnnl::primitive_attr int8_attr(const std::vector<float>& acc_scale, const QParams& x,
                               const QChain& chain, const std::optional<float>& sum_scale,
                               int32_t sum_zero_point) {
  const int64_t oc = static_cast<int64_t>(acc_scale.size());
  float out_div = 1.f;
  std::vector<EltOp> before = chain.before_sum, after = chain.after_sum;
  bool real_units = false;
  if (chain.output) {
    const float sy = chain.output->scale[0];
    std::vector<EltOp> b2, a2;
    for (const EltOp& e : before)
      if (auto r = rescaled(e, sy))
        b2.push_back(*r);
      else
        real_units = true;
    for (const EltOp& e : after)
      if (auto r = rescaled(e, sy))
        a2.push_back(*r);
      else
        real_units = true;
    if (!real_units) {
      before = b2;
      after = a2;
      out_div = sy;
    }
  }
  std::vector<float> oscale(oc);
  for (int64_t c = 0; c < oc; ++c) oscale[c] = acc_scale[c] / out_div;
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  bool uniform = true;
  for (float s : oscale) uniform = uniform && s == oscale[0];
  if (uniform)
    attr.set_output_scales(0, {oscale[0]});
  else
    attr.set_output_scales(1 << 1, oscale);
  if (x.zero_point[0] != 0) attr.set_zero_points(DNNL_ARG_SRC, 0, {x.zero_point[0]});
  dnnl::post_ops po;
  for (const EltOp& e : before) po.append_eltwise(1.f, e.alg, e.alpha, e.beta);
  if (chain.sum_node >= 0) {
    if (sum_scale)
      po.append_sum(*sum_scale / out_div, sum_zero_point);
    else
      po.append_sum(1.f);
  }
  for (const EltOp& e : after) po.append_eltwise(1.f, e.alg, e.alpha, e.beta);
  if (chain.output) {
    const float sy = chain.output->scale[0];
    const float zp = static_cast<float>(chain.output->zero_point[0]);
    if (real_units)
      po.append_eltwise(1.f, dnnl::algorithm::eltwise_linear, 1.f / sy, zp);
    else if (zp != 0.f)
      po.append_eltwise(1.f, dnnl::algorithm::eltwise_linear, 1.f, zp);
  }
  attr.set_post_ops(po);
  return attr;
}

bool accumulator_bias(const ir::Graph& g, const std::string& name,
                      const std::vector<float>& acc_scale, std::vector<float>& bias) {
  bias.clear();
  if (name.empty()) return true;
  const size_t oc = acc_scale.size();
  const ir::Tensor* bf = g.initializer(name);
  int bp = g.producer(name);
  if (bf && bf->dtype() == ir::DType::Float32 && static_cast<size_t>(bf->numel()) == oc) {
    for (size_t c = 0; c < oc; ++c) bias.push_back(bf->data<float>()[c] / acc_scale[c]);
    return true;
  }
  if (bp < 0 || g.nodes[bp].op != "DequantizeLinear") return false;
  const ir::Node& dq = g.nodes[bp];
  const ir::Tensor* bq = g.initializer(dq.input(0));
  auto params = qdq_params(g, dq);
  if (!bq || bq->dtype() != ir::DType::Int32 || static_cast<size_t>(bq->numel()) != oc || !params)
    return false;
  for (size_t c = 0; c < oc; ++c) {
    size_t k = params->per_tensor() ? 0 : c;
    double real =
        (static_cast<double>(bq->data<int32_t>()[c]) - params->zero_point[k]) * params->scale[k];
    bias.push_back(static_cast<float>(real / acc_scale[c]));
  }
  return true;
}

void absorb_chain(FusionPlan& fusion, int anchor, const QChain& chain) {
  // The fused nodes run in the anchor's primitive; fusions planned for them are undone.
  std::vector<int> owners = chain.absorbed;
  owners.push_back(anchor);
  for (int r : owners) {
    for (int a : fusion.chains[r].absorbed)
      if (std::find(chain.absorbed.begin(), chain.absorbed.end(), a) == chain.absorbed.end())
        fusion.absorbed_by[a] = -1;
    fusion.chains[r].absorbed.clear();
    if (r != anchor) fusion.absorbed_by[r] = anchor;
  }
}

std::string int8_label(const ir::Graph& g, int anchor, const std::string& kind, const QChain& chain,
                       const std::string& impl, ir::DType src, ir::DType dst) {
  auto name = [](ir::DType t) {
    return t == ir::DType::UInt8 ? "u8" : t == ir::DType::Int8 ? "s8" : "f32";
  };
  std::string s = g.nodes[anchor].name + " (" + kind;
  for (int r : chain.absorbed) s += "+" + g.nodes[r].op;
  return s + ": " + impl + " int8 " + name(src) + "->" + name(dst) + ")";
}

bool PlanBuilder::build_qconv(int i) {
  if (!int8_sums_exact()) return false;  // FP32 on the dequantized values instead (dnnl_util.h)
  const ir::Node& n = g_.nodes[i];
  auto xq = as_int8(n.input(0));
  if (!xq) return false;
  auto w = quantized_weight(g_, g_.producer(n.input(1)), 0);
  if (!w || w->q->rank() < 3) return false;
  const ir::Shape in = shape_of(xq->value), out = out_shape(n);
  if (in.size() < 3 || in.size() > 5 || in.size() != w->q->rank()) return false;
  const int64_t oc = w->q->dim(0), groups = n.attr_int("group", 1);

  // Accumulator units: s_x * s_w[c]. The bias joins the int32 accumulator before the scales.
  std::vector<float> acc_scale(oc);
  for (int64_t c = 0; c < oc; ++c)
    acc_scale[c] = xq->params.scale[0] * w->params.scale[w->params.per_tensor() ? 0 : c];
  std::vector<float> bias;
  if (!accumulator_bias(g_, n.input(2), acc_scale, bias)) return false;

  auto available = [&](const std::string& v) {
    return ids_.count(v) > 0 || as_int8(v).has_value() || g_.is_initializer(v);
  };
  QChain chain = follow_chain(g_, fusion_, i, available);
  // The residual joins the destination in its type: an int8 destination needs the residual as
  // int8 numbers of the same type, a float one as floats.
  std::optional<QTensor> sum_q;
  if (chain.sum_node >= 0) {
    sum_q = as_int8(chain.sum_operand);
    if (chain.output && (!sum_q || sum_q->params.dtype != chain.output->dtype))
      drop_quantize(chain, g_, i);
    if (!chain.output) sum_q.reset();
  }

  // A non-rescalable activation puts the chain in real units with a final eltwise_linear; a
  // second linear post-op (HardSigmoid) is not trusted (oneDNN 2.6's jit binary applies it with
  // the first one's parameters): the destination stays float, a QuantizeLinear follows.
  if (chain.output) {
    bool linear = false, real = false;
    for (const auto* list : {&chain.before_sum, &chain.after_sum})
      for (const EltOp& e : *list) {
        linear = linear || e.alg == dnnl::algorithm::eltwise_linear;
        real = real || !rescaled(e, chain.output->scale[0]);
      }
    // The output zero point is one more linear post-op (int8_attr).
    if (linear && (real || chain.output->zero_point[0] != 0)) drop_quantize(chain, g_, i);
    if (!chain.output) sum_q.reset();
  }
  dnnl::primitive_attr attr =
      int8_attr(acc_scale, xq->params, chain,
                sum_q ? std::optional<float>(sum_q->params.scale[0]) : std::nullopt,
                sum_q ? sum_q->params.zero_point[0] : 0);
  ir::Shape wshape = w->q->shape();
  if (groups > 1) {
    wshape[0] /= groups;
    wshape.insert(wshape.begin(), groups);
  }
  std::vector<int64_t> kernel(w->q->shape().begin() + 2, w->q->shape().end());
  Window win = window_of(n, in, out, kernel);
  const ir::DType dst_type = chain.output ? chain.output->dtype : ir::DType::Float32;
  static const memory::format_tag channels_last[] = {
      memory::format_tag::nwc, memory::format_tag::nhwc, memory::format_tag::ndhwc};
  memory::desc dst_md(to_dims(out), dnnl_type(dst_type), channels_last[in.size() - 3]);
  memory::desc w_any(to_dims(wshape), memory::data_type::s8, memory::format_tag::any);
  memory::desc b_md = bias.empty() ? memory::desc() : plain_md({oc});
  Int8LayerSize size;
  size.inputs = w->q->dim(1);
  size.outputs = oc / groups;
  size.positions = ir::shape_numel(out) / out[1];
  size.macs = static_cast<double>(w->q->numel()) * static_cast<double>(size.positions);
  auto make_pd = [&](const memory::desc& src_md) {
    dnnl::convolution_forward::desc d(dnnl::prop_kind::forward_inference,
                                      dnnl::algorithm::convolution_direct, src_md, w_any, b_md,
                                      dst_md, win.strides, win.dilations, win.pad_l, win.pad_r);
    dnnl::convolution_forward::primitive_desc pd(d, attr, engine_);
    avoid_amx_when_small(pd, size);  // while d lives: oneDNN's iterator points to it
    return pd;
  };
  const memory::desc have = plan_->values[xq->value].md;
  memory::desc src_cl(to_dims(in), have.data_type(), channels_last[in.size() - 3]);
  dnnl::convolution_forward::primitive_desc pd;
  try {
    pd = make_pd(have);
  } catch (const dnnl::error&) {
    pd = make_pd(src_cl);
  }
  if (std::string(pd.impl_info_str()).find("ref") != std::string::npos) {
    try {
      auto cl = make_pd(src_cl);
      if (std::string(cl.impl_info_str()).find("ref") == std::string::npos) pd = cl;
    } catch (const dnnl::error&) {
    }
  }

  int src = ensure_md(xq->value, pd.src_desc());
  int acc = -1;
  if (chain.sum_node >= 0) {
    memory::desc want = pd.dst_desc();
    acc = sum_q ? sum_q->value : value_of(chain.sum_operand);
    if (!has_md(acc)) return false;
    acc = ensure_md(acc, want);
  }
  dnnl::memory weights = cached_weights(n.name + "/Wq", pd.weights_desc(),
                                        plain_md(wshape, memory::data_type::s8), *w->q);
  int b = -1;
  if (!bias.empty())
    b = add_constant(n.name + "#qbias", ir::Tensor::from_vector<float>({oc}, bias));
  int dst = define_typed(chain.output_name, pd.dst_desc(), out, dst_type);

  // JIT-compiled at the end of build(), with the other deferred work.
  PrimitiveStep& s = add_weighted_step(
      int8_label(g_, i, "QConv", chain, pd.impl_info_str(), xq->params.dtype, dst_type),
      dnnl::primitive(), pd, src, weights, b, dst);
  defer([&s, k = s.calls.size() - 1, pd] { s.calls[k].primitive = dnnl::convolution_forward(pd); });
  s.dst_value = dst;
  if (acc >= 0) {
    s.reads.push_back(acc);
    s.accumulate_src = acc;
    s.inplace_src = acc;
    s.inplace_dst = dst;
  }
  absorb_chain(fusion_, i, chain);
  return true;
}

}  // namespace qcv::runtime
