// QDQ placement: one function reads a scheme's rules and selects the tensors to quantize. The
// selectors (data inputs, fused activation after an op, fused residual branch) are shared by PTQ
// and QAT, so both produce exactly the same graph structure.
#include <algorithm>

#include "quant/quant.h"

namespace qcv::quant {

namespace {

const std::set<std::string> kWeightOps = {"Conv", "Gemm", "MatMul"};

bool is_qdq_op(const std::string& op) { return op == "QuantizeLinear" || op == "DequantizeLinear"; }

// A float tensor computed at run time (a graph input or a node output, not an initializer).
bool is_float_activation(const ir::Graph& g, const std::string& name) {
  if (name.empty() || g.is_initializer(name)) return false;
  auto v = g.value_type(name);
  return v && v->dtype == ir::DType::Float32;
}

// Clip whose lower bound is exactly 0 (input 1 as an initializer, or the legacy attribute).
bool clip_min_is_zero(const ir::Graph& g, const ir::Node& n) {
  if (n.has_attr("min")) return n.attr_float("min", -1) == 0.0f;
  const ir::Tensor* lo = g.initializer(n.input(1));
  return lo && lo->numel() == 1 && lo->as_double(0) == 0.0;
}

// Per-channel axis of a weight: Conv [M, C/g, kh, kw] (depthwise too) -> 0; Gemm B -> the N axis
// (0 with transB, else 1); MatMul [K, N] -> 1.
int64_t weight_axis(const ir::Node& n, const ir::Tensor& w) {
  if (n.op == "Conv") return 0;
  if (n.op == "Gemm") return n.attr_int("transB", 0) ? 0 : 1;
  if (n.op == "MatMul" && w.rank() == 2) return 1;
  return -1;
}

class Planner {
 public:
  Planner(const ir::Graph& g, const QuantScheme& s, const Overrides& o) : g_(g), s_(s), o_(o) {}

  QuantPlan run() {
    if (s_.quantize_graph_inputs)
      for (const auto& in : g_.inputs)
        if (is_float_activation(g_, in.name)) add_all_consumers(in.name, "graph-input", -1);
    for (int i = 0; i < static_cast<int>(g_.nodes.size()); ++i) plan_node(i);
    for (int i = 0; i < static_cast<int>(g_.nodes.size()); ++i) plan_bias(i);
    return std::move(plan_);
  }

 private:
  bool excluded(int i) const { return o_.excluded(g_.nodes[i].name); }
  bool included(int i) const { return o_.included(g_.nodes[i].name); }

  QuantTarget& target(const std::string& tensor, TensorRole role, const std::string& rule) {
    auto it = index_.find(tensor);
    if (it != index_.end()) {
      QuantTarget& t = plan_.targets[it->second];
      if (t.rule.find(rule) == std::string::npos) t.rule += "+" + rule;
      return t;
    }
    index_[tensor] = plan_.targets.size();
    QuantTarget t;
    t.tensor = tensor;
    t.role = role;
    t.rule = rule;
    if (role == TensorRole::Activation) {
      t.dtype = s_.activation_dtype;
      t.symmetric = s_.activation_symmetric;
    } else {
      t.dtype = role == TensorRole::Bias ? ir::DType::Int32 : ir::DType::Int8;
      t.symmetric = true;
    }
    plan_.targets.push_back(t);
    return plan_.targets.back();
  }

  static void add_use(QuantTarget& t, Use u) {
    if (std::find(t.uses.begin(), t.uses.end(), u) == t.uses.end()) t.uses.push_back(u);
  }

  void add_input(int node, int input, const std::string& rule) {
    const std::string& name = g_.nodes[node].inputs[input];
    if (!is_float_activation(g_, name)) return;
    add_use(target(name, TensorRole::Activation, rule), {node, input});
  }

  // Every non-excluded reader of `tensor` reads its quantized version.
  void add_all_consumers(const std::string& tensor, const std::string& rule, int removable) {
    std::vector<Use> uses;
    for (int c : g_.consumers(tensor)) {
      if (excluded(c) || is_qdq_op(g_.nodes[c].op)) continue;
      const auto& ins = g_.nodes[c].inputs;
      for (size_t k = 0; k < ins.size(); ++k)
        if (ins[k] == tensor) uses.push_back({c, static_cast<int>(k)});
    }
    if (uses.empty()) return;  // e.g. a graph output: stays FP32
    QuantTarget& t = target(tensor, TensorRole::Activation, rule);
    for (const Use& u : uses) add_use(t, u);
    if (removable >= 0) t.removable_activation = removable;
  }

  void plan_node(int i) {
    const ir::Node& n = g_.nodes[i];
    if (is_qdq_op(n.op) || excluded(i)) return;
    const bool forced = included(i);
    const bool by_input = s_.input_ops.count(n.op) > 0;
    const bool by_output = s_.output_ops.count(n.op) > 0;
    if (by_input || forced) {
      for (size_t k = 0; k < n.inputs.size(); ++k)
        add_input(i, static_cast<int>(k), by_input ? "input:" + n.op : "include");
    }
    if (s_.residual_add_skip_conv_branch && n.op == "Add") plan_residual_add(i);
    if (kWeightOps.count(n.op) && (by_input || by_output || forced)) plan_weight(i);
    if (by_output) plan_output(i, "output:" + n.op);
  }

  // TensorRT fuses one conv branch of a residual Add into that conv; every other input is
  // quantized so that the Add runs between INT8 tensors.
  void plan_residual_add(int i) {
    const ir::Node& n = g_.nodes[i];
    if (n.inputs.size() != 2) return;
    for (const auto& in : n.inputs)
      if (!is_float_activation(g_, in)) return;  // a bias Add, not a residual one
    int fused = -1;
    for (int k = 0; k < 2 && fused < 0; ++k) {
      const int p = g_.producer(n.inputs[k]);
      if (p >= 0 && g_.nodes[p].op == "Conv" && g_.consumers(n.inputs[k]).size() == 1 &&
          !g_.is_graph_output(n.inputs[k]))
        fused = k;
    }
    for (int k = 0; k < 2; ++k)
      if (k != fused) add_input(i, k, "residual-add");
  }

  void plan_weight(int i) {
    const ir::Node& n = g_.nodes[i];
    const ir::Tensor* w = g_.initializer(n.input(1));
    if (!w || w->dtype() != ir::DType::Float32) return;
    QuantTarget& t = target(n.inputs[1], TensorRole::Weight, "weight:" + n.op);
    t.axis = s_.weight_per_channel || o_.per_channel(n.name) ? weight_axis(n, *w) : -1;
    t.bits = s_.weight_bits;
    add_use(t, {i, 1});
  }

  // The op's output, or the output of the activation fused after it (its only reader).
  void plan_output(int i, const std::string& rule) {
    const ir::Node& n = g_.nodes[i];
    if (n.outputs.empty()) return;
    std::string tensor = n.outputs[0];
    if (!is_float_activation(g_, tensor)) return;
    const std::vector<int> readers = g_.consumers(tensor);
    int removable = -1;
    std::string why = rule;
    if (readers.size() == 1 && !g_.is_graph_output(tensor)) {
      const int a = readers[0];
      const ir::Node& act = g_.nodes[a];
      if (s_.fused_activations.count(act.op) && !excluded(a) && act.inputs[0] == tensor) {
        tensor = act.outputs[0];
        why += "+" + act.op;
        const bool relu_like = act.op == "Relu" || (act.op == "Clip" && clip_min_is_zero(g_, act));
        if (s_.remove_relu_before_q && !s_.activation_symmetric && relu_like &&
            !g_.is_graph_output(tensor))
          removable = a;
      }
    }
    add_all_consumers(tensor, why, removable);
    const auto fixed = s_.fixed_output_ranges.find(n.op);
    auto it = index_.find(tensor);
    if (fixed != s_.fixed_output_ranges.end() && tensor == n.outputs[0] && it != index_.end()) {
      QuantTarget& t = plan_.targets[it->second];
      t.has_fixed_range = true;
      t.fixed_min = fixed->second.first;
      t.fixed_max = fixed->second.second;
    }
  }

  // int32 bias where the scheme says so, when both the input and the weight are quantized.
  void plan_bias(int i) {
    const ir::Node& n = g_.nodes[i];
    if (!s_.bias_int32 || (n.op != "Conv" && n.op != "Gemm") || n.input(2).empty()) return;
    const ir::Tensor* b = g_.initializer(n.input(2));
    if (!b || b->dtype() != ir::DType::Float32 || b->rank() != 1) return;
    const QuantTarget* in = plan_.find(n.inputs[0]);
    const QuantTarget* w = plan_.find(n.inputs[1]);
    if (!in || !w || w->role != TensorRole::Weight) return;
    if (std::find(in->uses.begin(), in->uses.end(), Use{i, 0}) == in->uses.end()) return;
    if (std::find(w->uses.begin(), w->uses.end(), Use{i, 1}) == w->uses.end()) return;
    const std::string in_name = in->tensor, w_name = w->tensor;
    const int64_t axis = w->axis >= 0 ? 0 : -1;
    if (index_.count(n.inputs[2])) return;  // a shared bias: keep the first node's scale
    QuantTarget& t = target(n.inputs[2], TensorRole::Bias, "bias:" + n.op);
    t.bias_input = in_name;
    t.bias_weight = w_name;
    t.axis = axis;
    add_use(t, {i, 2});
  }

  const ir::Graph& g_;
  const QuantScheme& s_;
  const Overrides& o_;
  QuantPlan plan_;
  std::map<std::string, size_t> index_;
};

}  // namespace

const QuantTarget* QuantPlan::find(const std::string& tensor) const {
  for (const auto& t : targets)
    if (t.tensor == tensor) return &t;
  return nullptr;
}

std::vector<std::string> QuantPlan::activation_tensors() const {
  std::vector<std::string> out;
  for (const auto& t : targets)
    if (t.role == TensorRole::Activation) out.push_back(t.tensor);
  return out;
}

QuantPlan plan_quantization(const ir::Graph& graph, const QuantScheme& scheme,
                            const Overrides& overrides) {
  return Planner(graph, scheme, overrides).run();
}

}  // namespace qcv::quant
