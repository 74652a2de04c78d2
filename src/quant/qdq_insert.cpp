// Writes QuantizeLinear/DequantizeLinear pairs for a plan: scales and zero points become
// initializers, weights are stored quantized (or kept float behind a Q for QAT), uses rewired.
#include <algorithm>

#include "quant/quant.h"

namespace qcv::quant {

namespace {

ir::Tensor scale_tensor(const QuantParams& p) {
  if (p.axis < 0) return ir::Tensor::scalar<float>(p.scale.at(0));
  return ir::Tensor::from_vector<float>({static_cast<int64_t>(p.scale.size())}, p.scale);
}

ir::Tensor zero_point_tensor(const QuantParams& p) {
  const ir::Shape shape =
      p.axis < 0 ? ir::Shape{} : ir::Shape{static_cast<int64_t>(p.zero_point.size())};
  ir::Tensor t(p.dtype, shape);
  for (size_t i = 0; i < p.zero_point.size(); ++i) {
    switch (p.dtype) {
      case ir::DType::Int8:
        t.data<int8_t>()[i] = static_cast<int8_t>(p.zero_point[i]);
        break;
      case ir::DType::UInt8:
        t.data<uint8_t>()[i] = static_cast<uint8_t>(p.zero_point[i]);
        break;
      case ir::DType::Int32:
        t.data<int32_t>()[i] = p.zero_point[i];
        break;
      default:
        fail("zero point dtype {} unsupported", ir::dtype_name(p.dtype));
    }
  }
  return t;
}

// int32 bias scale: s_in * s_w (per weight channel when the weight is per channel).
QuantParams bias_params(const QuantTarget& t, const ir::Tensor& bias,
                        const std::map<std::string, QuantParams>& params) {
  auto in = params.find(t.bias_input), w = params.find(t.bias_weight);
  if (in == params.end() || w == params.end())
    fail("QDQ insertion: bias '{}' needs the parameters of '{}' and '{}'", t.tensor, t.bias_input,
         t.bias_weight);
  QuantParams p;
  p.dtype = ir::DType::Int32;
  p.axis = t.axis;
  const size_t n = t.axis >= 0 ? static_cast<size_t>(bias.numel()) : 1;
  if (t.axis >= 0 && w->second.scale.size() != n)
    fail("QDQ insertion: bias '{}' has {} values, weight '{}' {} channel scales", t.tensor, n,
         t.bias_weight, w->second.scale.size());
  for (size_t c = 0; c < n; ++c) {
    const float s =
        in->second.scale.at(0) * w->second.scale.at(w->second.scale.size() == 1 ? 0 : c);
    p.scale.push_back(s > 0 ? s : 1.0f);
    p.zero_point.push_back(0);
  }
  return p;
}

class Inserter {
 public:
  explicit Inserter(ir::Graph& g) : g_(g), names_(g) {}

  // Adds Q (when `quantize_input` is set) and DQ; returns the DQ output name.
  std::string add_pair(const std::string& tensor, const std::string& q_input, const QuantParams& p,
                       bool quantize_input) {
    const std::string scale = add_initializer(tensor + "_scale", scale_tensor(p));
    const std::string zp = add_initializer(tensor + "_zero_point", zero_point_tensor(p));
    std::string dq_input = q_input;
    if (quantize_input) {
      ir::Node q;
      q.op = "QuantizeLinear";
      q.name = names_(tensor + "_QuantizeLinear");
      q.inputs = {q_input, scale, zp};
      q.outputs = {names_(tensor + "_quantized")};
      if (p.axis >= 0) q.attrs["axis"] = p.axis;
      dq_input = q.outputs[0];
      g_.nodes.push_back(q);
    }
    ir::Node dq;
    dq.op = "DequantizeLinear";
    dq.name = names_(tensor + "_DequantizeLinear");
    dq.inputs = {dq_input, scale, zp};
    dq.outputs = {names_(tensor + "_dequantized")};
    if (p.axis >= 0) dq.attrs["axis"] = p.axis;
    g_.nodes.push_back(dq);
    return dq.outputs[0];
  }

  std::string add_initializer(const std::string& prefix, ir::Tensor t) {
    const std::string name = names_(prefix);
    g_.initializers[name] = std::move(t);
    return name;
  }

  void rewire(const QuantTarget& t, const std::string& dq_out) {
    for (const Use& u : t.uses) {
      if (u.node < 0 || u.node >= static_cast<int>(g_.nodes.size()))
        fail("QDQ insertion: target '{}' names node {} of {}", t.tensor, u.node, g_.nodes.size());
      auto& ins = g_.nodes[u.node].inputs;
      if (u.input < 0 || u.input >= static_cast<int>(ins.size()) || ins[u.input] != t.tensor)
        fail("QDQ insertion: node '{}' input {} is not '{}'", g_.nodes[u.node].name, u.input,
             t.tensor);
      ins[u.input] = dq_out;
    }
  }

  ir::Graph& g_;
  ir::NameGenerator names_;  // every name this pass adds
};

}  // namespace

std::map<std::string, QuantParams> insert_qdq(ir::Graph& graph, const QuantPlan& plan,
                                              std::map<std::string, QuantParams> params,
                                              const InsertOptions& options) {
  Inserter ins(graph);
  std::vector<int> removed;
  const size_t original_nodes = graph.nodes.size();
  // Weights first: bias parameters need them.
  for (const auto& t : plan.targets) {
    if (t.role != TensorRole::Weight || params.count(t.tensor)) continue;
    const ir::Tensor* w = graph.initializer(t.tensor);
    if (!w) fail("QDQ insertion: weight '{}' is not an initializer", t.tensor);
    params[t.tensor] = weight_params(*w, t.axis, t.bits);
  }
  for (const auto& t : plan.targets) {
    if (t.role == TensorRole::Activation) {
      auto it = params.find(t.tensor);
      if (it == params.end()) fail("QDQ insertion: no calibrated parameters for '{}'", t.tensor);
      std::string q_input = t.tensor;
      const int a = t.removable_activation;
      // Drop the Relu only when every reader of its output reads the DQ (the plan said so).
      if (a >= 0 && a < static_cast<int>(original_nodes) &&
          t.uses.size() == graph.consumers(t.tensor).size() && !graph.is_graph_output(t.tensor)) {
        q_input = graph.nodes[a].inputs[0];
        removed.push_back(a);
      }
      ins.rewire(t, ins.add_pair(t.tensor, q_input, it->second, true));
      continue;
    }
    const ir::Tensor* x = graph.initializer(t.tensor);
    if (!x || x->dtype() != ir::DType::Float32)
      fail("QDQ insertion: {} '{}' is not a float32 initializer", role_name(t.role), t.tensor);
    if (t.role == TensorRole::Bias) params[t.tensor] = bias_params(t, *x, params);
    const QuantParams& p = params.at(t.tensor);
    std::string dq_out;
    if (options.fold_weights || t.role == TensorRole::Bias) {
      const std::string q = ins.add_initializer(t.tensor + "_quantized", quantize_constant(*x, p));
      dq_out = ins.add_pair(t.tensor, q, p, false);
    } else {
      dq_out = ins.add_pair(t.tensor, t.tensor, p, true);
    }
    ins.rewire(t, dq_out);
  }
  std::sort(removed.rbegin(), removed.rend());
  removed.erase(std::unique(removed.begin(), removed.end()), removed.end());
  for (int a : removed) {
    const std::string out = graph.nodes[a].outputs[0];
    if (!graph.consumers(out).empty())
      fail("QDQ insertion: removed activation '{}' still read", out);
    graph.nodes.erase(graph.nodes.begin() + a);
  }
  graph.value_info.clear();
  graph.sort();
  graph.prune_unused();
  return params;
}

}  // namespace qcv::quant
