// QAT preparation (the PTQ graph with trainable float weights) and its export (weights folded
// into int8 initializers, so that a QAT file and a PTQ file have the same form).
#include <algorithm>
#include <cmath>

#include "quant/quant.h"
#include "ref/ref.h"

namespace qcv::quant {
namespace {

// A DequantizeLinear reading `q`'s output with the same scale, zero point and axis.
bool same_params(const ir::Node& q, const ir::Node& dq) {
  return dq.op == "DequantizeLinear" && dq.inputs[0] == q.outputs[0] && dq.input(1) == q.input(1) &&
         dq.input(2) == q.input(2) && dq.attr_int("axis", 1) == q.attr_int("axis", 1);
}

// The integer tensor QuantizeLinear(x, scale, zero_point, axis) computes.
ir::Tensor quantize_initializer(const ir::Node& q, const ir::Tensor& x, const ir::Tensor& scale,
                                const ir::Tensor* zero_point) {
  const ir::DType qtype = zero_point ? zero_point->dtype() : ir::DType::UInt8;
  int32_t qmin = 0, qmax = 255;
  if (qtype == ir::DType::Int8)
    qmin = -128, qmax = 127;
  else if (qtype != ir::DType::UInt8)
    fail("QAT export: QuantizeLinear '{}': zero point must be int8 or uint8, got {}", q.name,
         ir::dtype_name(qtype));
  const int64_t channels = scale.numel();
  int64_t axis = q.attr_int("axis", 1);
  if (axis < 0) axis += static_cast<int64_t>(x.rank());
  if (channels > 1 && (axis < 0 || axis >= static_cast<int64_t>(x.rank()) ||
                       x.dim(static_cast<size_t>(axis)) != channels))
    fail("QAT export: QuantizeLinear '{}': {} scales do not match axis {} of shape {}", q.name,
         channels, axis, ir::shape_str(x.shape()));
  // Elements sharing a channel: `inner` consecutive ones, repeating every `inner * channels`.
  int64_t inner = 1;
  if (channels > 1)
    for (size_t d = static_cast<size_t>(axis) + 1; d < x.rank(); ++d) inner *= x.dim(d);
  const std::vector<float> s = scale.to_float_vector();
  const std::vector<int64_t> zp =
      zero_point ? zero_point->to_int64_vector() : std::vector<int64_t>(s.size(), 0);
  const std::vector<float> v = x.to_float_vector();
  ir::Tensor out(qtype, x.shape());
  for (int64_t i = 0; i < x.numel(); ++i) {
    const size_t c = channels > 1 ? static_cast<size_t>((i / inner) % channels) : 0;
    const int32_t value = ref::quantize_value(v[static_cast<size_t>(i)], s[c],
                                              static_cast<int32_t>(zp[c]), qmin, qmax);
    if (qtype == ir::DType::Int8)
      out.data<int8_t>()[i] = static_cast<int8_t>(value);
    else
      out.data<uint8_t>()[i] = static_cast<uint8_t>(value);
  }
  return out;
}

}  // namespace

PtqResult prepare_qat(ir::Graph graph, const Backend& backend, CalibrationData& data,
                      PtqOptions options, const std::string& batch_norm) {
  if (batch_norm != "fold" && batch_norm != "keep" && batch_norm != "fold-after")
    fail("QAT batch_norm '{}': expected fold, keep or fold-after", batch_norm);
  options.insert.fold_weights = false;
  const ir::Graph fp32 = batch_norm == "fold" ? ir::Graph() : graph;
  PtqResult r = quantize_ptq(std::move(graph), backend, data, options);
  if (batch_norm != "fold") {
    const int n = restore_batch_norm(r.graph, fp32, batch_norm == "fold-after");
    r.graph.metadata["qcv.qat.batch_norm"] = fmt::format("{} ({} restored)", batch_norm, n);
  }
  r.report.method += " (QAT init)";
  // For QAT range observers (train/qat_observers.h): how to refit activation ranges.
  r.graph.metadata["qcv.qat.activation_symmetric"] = options.scheme.activation_symmetric ? "1" : "0";
  return r;
}

int fold_weight_quantization(ir::Graph& graph) {
  int folded = 0;
  std::vector<size_t> removed;
  for (size_t i = 0; i < graph.nodes.size(); ++i) {
    const ir::Node& q = graph.nodes[i];
    if (q.op != "QuantizeLinear" || q.inputs.size() < 2) continue;
    const ir::Tensor* x = graph.initializer(q.inputs[0]);
    const ir::Tensor* scale = graph.initializer(q.inputs[1]);
    const ir::Tensor* zp =
        q.inputs.size() > 2 && !q.inputs[2].empty() ? graph.initializer(q.inputs[2]) : nullptr;
    if (!x || x->dtype() != ir::DType::Float32 || !scale) continue;
    if (q.inputs.size() > 2 && !q.inputs[2].empty() && !zp) continue;
    if (graph.is_graph_output(q.outputs[0])) continue;
    const std::vector<int> users = graph.consumers(q.outputs[0]);
    if (users.empty() || !std::all_of(users.begin(), users.end(), [&](int u) {
          return same_params(q, graph.nodes[static_cast<size_t>(u)]);
        }))
      continue;
    const std::string name =
        graph.add_initializer(q.inputs[0] + "_quantized", quantize_initializer(q, *x, *scale, zp));
    for (int u : users) graph.nodes[static_cast<size_t>(u)].inputs[0] = name;
    removed.push_back(i);
    ++folded;
  }
  for (auto it = removed.rbegin(); it != removed.rend(); ++it)
    graph.nodes.erase(graph.nodes.begin() + static_cast<std::ptrdiff_t>(*it));
  if (folded > 0) {
    graph.value_info.clear();
    graph.prune_unused();  // the float weights nobody reads any more
    ir::validate(graph);
    ir::infer_shapes(graph);
    validate_qdq(graph);
  }
  return folded;
}

}  // namespace qcv::quant

namespace qcv::quant {
namespace {

const ir::Tensor* float_init(const ir::Graph& g, const std::string& name) {
  const ir::Tensor* t = name.empty() ? nullptr : g.initializer(name);
  return t && t->dtype() == ir::DType::Float32 ? t : nullptr;
}

// The QuantizeLinear of the fake-quant pair feeding `conv`'s weight, or -1.
int weight_quantize_of(const ir::Graph& g, const ir::Node& conv) {
  const int dq = g.producer(conv.input(1));
  if (dq < 0 || g.nodes[static_cast<size_t>(dq)].op != "DequantizeLinear") return -1;
  const int q = g.producer(g.nodes[static_cast<size_t>(dq)].input(0));
  if (q < 0 || g.nodes[static_cast<size_t>(q)].op != "QuantizeLinear") return -1;
  return float_init(g, g.nodes[static_cast<size_t>(q)].input(0)) ? q : -1;
}

void set_weight_scale(ir::Graph& g, const ir::Node& q, const ir::Tensor& w) {
  ir::Tensor& scale = g.initializers.at(q.input(1));
  const QuantParams p = weight_params(w, scale.numel() > 1 ? q.attr_int("axis", 1) : -1);
  for (size_t i = 0; i < p.scale.size(); ++i) scale.data<float>()[i] = p.scale[i];
}

void finish(ir::Graph& g) {
  g.value_info.clear();
  g.prune_unused();
  ir::validate(g);
  ir::infer_shapes(g);
  validate_qdq(g);
}

}  // namespace

int restore_batch_norm(ir::Graph& qat, const ir::Graph& fp32, bool weights_see_folding) {
  int restored = 0;
  for (const ir::Node& conv : fp32.nodes) {
    if (conv.op != "Conv" || fp32.is_graph_output(conv.outputs[0])) continue;
    const std::vector<int> users = fp32.consumers(conv.outputs[0]);
    if (users.size() != 1) continue;
    const ir::Node& bn = fp32.nodes[static_cast<size_t>(users[0])];
    if (bn.op != "BatchNormalization" || bn.input(0) != conv.outputs[0]) continue;
    bool constant = float_init(fp32, conv.input(1)) &&
                    (conv.input(2).empty() || float_init(fp32, conv.input(2)));
    for (size_t i = 1; i < 5; ++i) constant = constant && float_init(fp32, bn.input(i));
    if (!constant) continue;
    // The folded conv of the QAT graph: same name, its weight behind a fake-quant pair.
    auto it = std::find_if(qat.nodes.begin(), qat.nodes.end(),
                           [&](const ir::Node& n) { return n.op == "Conv" && n.name == conv.name; });
    if (it == qat.nodes.end()) continue;
    const int q = weight_quantize_of(qat, *it);
    if (q < 0) continue;
    const ir::Tensor& w = *fp32.initializer(conv.input(1));
    ir::Node& qn = qat.nodes[static_cast<size_t>(q)];
    qn.inputs[0] = qat.add_initializer(conv.input(1), w);
    // keep: the fake quantization sees W itself; else W * gamma / sigma, which the PTQ scales
    // (computed on the folded weights) already fit.
    if (!weights_see_folding) set_weight_scale(qat, qn, w);
    ir::Node& c = *it;
    if (conv.input(2).empty())
      c.inputs.resize(2);
    else
      c.inputs[2] = qat.add_initializer(conv.input(2), *fp32.initializer(conv.input(2)));
    ir::Node norm = bn;
    norm.inputs[0] = qat.unique_name(c.name + "_conv_out");
    for (size_t i = 1; i < 5; ++i)
      norm.inputs[i] = qat.add_initializer(bn.input(i), *fp32.initializer(bn.input(i)));
    norm.outputs = {c.outputs[0]};
    c.outputs[0] = norm.inputs[0];
    qat.nodes.push_back(norm);
    ++restored;
  }
  if (restored > 0) finish(qat);
  return restored;
}

int fold_qat_batch_norm(ir::Graph& g) {
  int folded = 0;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node bn = g.nodes[i];
    if (bn.op != "BatchNormalization" || bn.attr_int("training_mode", 0) != 0) continue;
    const int p = g.producer(bn.input(0));
    if (p < 0 || g.nodes[static_cast<size_t>(p)].op != "Conv") continue;
    if (g.consumers(bn.input(0)).size() != 1 || g.is_graph_output(bn.input(0))) continue;
    const int q = weight_quantize_of(g, g.nodes[static_cast<size_t>(p)]);
    if (q < 0) continue;
    const ir::Tensor* w = float_init(g, g.nodes[static_cast<size_t>(q)].input(0));
    const int64_t channels = w->dim(0);
    const ir::Tensor* params[4];
    bool ok = true;
    for (size_t k = 0; k < 4; ++k) {
      params[k] = float_init(g, bn.input(k + 1));
      ok = ok && params[k] && params[k]->numel() == channels;
    }
    ir::Node& conv = g.nodes[static_cast<size_t>(p)];
    const ir::Tensor* bias = conv.inputs.size() > 2 ? float_init(g, conv.input(2)) : nullptr;
    if (!ok || (conv.inputs.size() > 2 && !conv.input(2).empty() && !bias)) continue;
    const double eps = bn.attr_float("epsilon", 1e-5f);
    ir::Tensor w2(ir::DType::Float32, w->shape()), b2(ir::DType::Float32, {channels});
    const int64_t block = w->numel() / channels;
    for (int64_t m = 0; m < channels; ++m) {
      const double f = params[0]->data<float>()[m] / std::sqrt(params[3]->data<float>()[m] + eps);
      for (int64_t k = 0; k < block; ++k)
        w2.data<float>()[m * block + k] = static_cast<float>(w->data<float>()[m * block + k] * f);
      const double b = bias ? bias->data<float>()[m] : 0.0;
      b2.data<float>()[m] = static_cast<float>(params[1]->data<float>()[m] +
                                               (b - params[2]->data<float>()[m]) * f);
    }
    ir::Node& qn = g.nodes[static_cast<size_t>(q)];
    qn.inputs[0] = g.add_initializer(conv.name + "_bn_weight", w2);
    set_weight_scale(g, qn, w2);
    conv.inputs.resize(3);
    conv.inputs[2] = g.add_initializer(conv.name + "_bn_bias", b2);
    conv.outputs[0] = bn.outputs[0];
    g.nodes.erase(g.nodes.begin() + static_cast<std::ptrdiff_t>(i));
    --i;
    ++folded;
  }
  if (folded > 0) finish(g);
  return folded;
}

}  // namespace qcv::quant
