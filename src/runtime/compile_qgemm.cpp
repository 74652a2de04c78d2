// The INT8 action for DequantizeLinear -> Gemm -> [activations] -> [QuantizeLinear]: a oneDNN
// int8 inner product with the int8 weights of the file.
#include "runtime/compiler.h"
#include "runtime/dnnl_util.h"
#include "runtime/qchain.h"

namespace qcv::runtime {

using dnnl::memory;

bool PlanBuilder::build_qgemm(int i) {
  if (!int8_sums_exact()) return false;  // FP32 on the dequantized values instead (dnnl_util.h)
  const ir::Node& n = g_.nodes[i];
  if (n.attr_int("transA", 0) != 0) return false;
  auto xq = as_int8(n.input(0));
  if (!xq || shape_of(xq->value).size() != 2) return false;
  const bool trans_b = n.attr_int("transB", 0) != 0;
  auto w = quantized_weight(g_, g_.producer(n.input(1)), trans_b ? 0 : 1);
  if (!w || w->q->rank() != 2) return false;
  const float alpha = n.attr_float("alpha", 1.f), beta = n.attr_float("beta", 1.f);
  if (!n.input(2).empty() && beta != 1.f) return false;
  const int64_t outputs = trans_b ? w->q->dim(0) : w->q->dim(1);
  const int64_t k = trans_b ? w->q->dim(1) : w->q->dim(0);
  const ir::Shape in = shape_of(xq->value), out = out_shape(n);
  if (in[1] != k) return false;

  std::vector<float> acc_scale(outputs);
  for (int64_t o = 0; o < outputs; ++o)
    acc_scale[o] = alpha * xq->params.scale[0] * w->params.scale[w->params.per_tensor() ? 0 : o];
  std::vector<float> bias;
  if (n.input(2).size() && g_.initializer(n.input(2)) &&
      g_.initializer(n.input(2))->numel() != outputs)
    return false;  // a broadcast matrix C
  if (!accumulator_bias(g_, n.input(2), acc_scale, bias)) return false;

  // oneDNN 2.6's inner product takes no source zero point: sum((x - zp) w) = sum(x w) - zp sum(w)
  // joins the bias (exact: no padding here).
  QParams x = xq->params;
  if (x.zero_point[0] != 0) {
    if (bias.empty()) bias.assign(outputs, 0.f);
    const int8_t* bp = w->q->data<int8_t>();
    for (int64_t o = 0; o < outputs; ++o) {
      int64_t sum = 0;
      for (int64_t j = 0; j < k; ++j) sum += trans_b ? bp[o * k + j] : bp[j * outputs + o];
      bias[o] -= static_cast<float>(static_cast<int64_t>(x.zero_point[0]) * sum);
    }
    x.zero_point[0] = 0;
  }
  QChain chain = follow_chain(g_, fusion_, i, [](const std::string&) { return false; });
  dnnl::primitive_attr attr = int8_attr(acc_scale, x, chain, std::nullopt, 0);
  const ir::DType dst_type = chain.output ? chain.output->dtype : ir::DType::Float32;
  memory::desc w_any({outputs, k}, memory::data_type::s8, memory::format_tag::any);
  memory::desc b_md = bias.empty() ? memory::desc() : plain_md({outputs});
  dnnl::inner_product_forward::desc d(dnnl::prop_kind::forward_inference,
                                      plan_->values[xq->value].md, w_any, b_md,
                                      plain_md(out, dnnl_type(dst_type)));
  dnnl::inner_product_forward::primitive_desc pd(d, attr, engine_);
  Int8LayerSize size;
  size.inputs = k;
  size.outputs = outputs;
  size.positions = out[0];
  size.macs = static_cast<double>(k) * static_cast<double>(outputs) * static_cast<double>(out[0]);
  avoid_amx_when_small(pd, size);
  int src = ensure_md(xq->value, pd.src_desc());

  dnnl::memory weights = cache_.find(n.name + "/Wq", pd.weights_desc());
  if (!weights) {
    // Weights as [outputs, k]: the file's int8 numbers, transposed when B is [k, outputs].
    ir::Tensor wt(ir::DType::Int8, {outputs, k});
    const int8_t* bp = w->q->data<int8_t>();
    int8_t* wp = wt.data<int8_t>();
    for (int64_t o = 0; o < outputs; ++o)
      for (int64_t j = 0; j < k; ++j) wp[o * k + j] = trans_b ? bp[o * k + j] : bp[j * outputs + o];
    weights = cached_weights(n.name + "/Wq", pd.weights_desc(),
                             plain_md({outputs, k}, memory::data_type::s8), wt);
  }
  int b = -1;
  if (!bias.empty())
    b = add_constant(n.name + "#qbias", ir::Tensor::from_vector<float>({outputs}, bias));
  int dst = define_typed(chain.output_name, pd.dst_desc(), out, dst_type);
  add_weighted_step(
      int8_label(g_, i, "QGemm", chain, pd.impl_info_str(), xq->params.dtype, dst_type),
      dnnl::inner_product_forward(pd), pd, src, weights, b, dst);
  absorb_chain(fusion_, i, chain);
  return true;
}

}  // namespace qcv::runtime
