// QAT preparation (the PTQ graph with trainable float weights) and its export (weights folded
// into int8 initializers, so that a QAT file and a PTQ file have the same form).
#include <algorithm>

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
                      PtqOptions options) {
  options.insert.fold_weights = false;
  PtqResult r = quantize_ptq(std::move(graph), backend, data, options);
  r.report.method += " (QAT init)";
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
