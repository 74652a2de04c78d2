#include "runtime/fusion.h"

#include <algorithm>
#include <cfloat>
#include <cmath>
#include <functional>
#include <map>

namespace qcv::runtime {

using dnnl::algorithm;

std::optional<std::vector<EltOp>> activation_ops(const ir::Node& n, const ir::Graph& g) {
  if (n.op == "Relu") return std::vector<EltOp>{{algorithm::eltwise_relu, 0.f, 0.f}};
  if (n.op == "Sigmoid") return std::vector<EltOp>{{algorithm::eltwise_logistic, 0.f, 0.f}};
  if (n.op == "HardSwish") return std::vector<EltOp>{{algorithm::eltwise_hardswish, 0.f, 0.f}};
  if (n.op == "HardSigmoid") {
    float alpha = n.attr_float("alpha", 0.2f), beta = n.attr_float("beta", 0.5f);
    return std::vector<EltOp>{{algorithm::eltwise_linear, alpha, beta},
                              {algorithm::eltwise_clip, 0.f, 1.f}};
  }
  if (n.op == "Clip") {
    float bounds[2] = {-FLT_MAX, FLT_MAX};
    for (size_t i = 1; i < 3; ++i) {
      const std::string& name = n.input(i);
      if (name.empty()) continue;
      const ir::Tensor* t = g.initializer(name);
      if (!t || t->numel() != 1 || t->dtype() != ir::DType::Float32) return std::nullopt;
      bounds[i - 1] = t->data<float>()[0];
    }
    if (bounds[0] == 0.f && bounds[1] < FLT_MAX)
      return std::vector<EltOp>{{algorithm::eltwise_bounded_relu, bounds[1], 0.f}};
    return std::vector<EltOp>{{algorithm::eltwise_clip, bounds[0], bounds[1]}};
  }
  return math_activation_ops(n, g);  // family math: Elu, LeakyRelu, Selu, Tanh
}

std::optional<HardSwishPair> hard_swish_pair(const ir::Graph& g, const std::string& x) {
  std::vector<int> readers = g.consumers(x);
  if (readers.size() != 2 || g.is_graph_output(x)) return std::nullopt;
  for (int k = 0; k < 2; ++k) {
    const ir::Node& h = g.nodes[readers[k]];
    const ir::Node& m = g.nodes[readers[1 - k]];
    if (h.op != "HardSigmoid" || m.op != "Mul" || m.inputs.size() != 2) continue;
    if (std::fabs(h.attr_float("alpha", 0.2f) - 1.f / 6) > 1e-6f ||
        h.attr_float("beta", 0.5f) != 0.5f)
      continue;
    const std::string& hs = h.outputs[0];
    const bool reads = (m.inputs[0] == x && m.inputs[1] == hs) || (m.inputs[0] == hs && m.inputs[1] == x);
    if (!reads || g.consumers(hs).size() != 1 || g.is_graph_output(hs)) continue;
    return HardSwishPair{readers[k], readers[1 - k]};
  }
  return std::nullopt;
}

static bool is_float(const ir::Graph& g, const std::string& v) {
  auto t = g.value_type(v);
  return t && t->dtype == ir::DType::Float32 && t->has_shape;
}

bool gemm_as_inner_product(const ir::Node& n, const ir::Graph& g) {
  if (n.op != "Gemm" || n.attr_int("transA", 0) != 0) return false;
  auto a = g.value_type(n.input(0));
  const ir::Tensor* b = g.initializer(n.input(1));
  if (!a || a->dtype != ir::DType::Float32 || a->shape.size() != 2) return false;
  if (!b || b->dtype() != ir::DType::Float32 || b->rank() != 2) return false;
  int64_t outputs = n.attr_int("transB", 0) ? b->dim(0) : b->dim(1);
  if (n.input(2).empty()) return true;
  const ir::Tensor* c = g.initializer(n.input(2));
  if (!c || c->dtype() != ir::DType::Float32 || c->numel() != outputs) return false;
  return c->rank() == 1 || (c->rank() == 2 && c->dim(0) == 1);
}

// Anchors whose primitive takes post-ops: Conv and inner-product Gemm always, binary ops for
// activations only.
static bool can_anchor(const ir::Node& n, const ir::Graph& g) {
  if (n.op == "Conv") return g.is_initializer(n.input(1)) && is_float(g, n.outputs[0]);
  if (n.op == "Gemm") return gemm_as_inner_product(n, g);
  if (n.op == "Add" || n.op == "Sub" || n.op == "Mul" || n.op == "Div")
    return is_float(g, n.outputs[0]);
  return false;
}

FusionPlan plan_fusion(const ir::Graph& g) {
  FusionPlan f;
  size_t count = g.nodes.size();
  f.chains.resize(count);
  f.absorbed_by.assign(count, -1);
  f.flatten_into_gemm.assign(count, false);
  for (size_t i = 0; i < count; ++i) {
    const ir::Node& anchor = g.nodes[i];
    FusedChain& chain = f.chains[i];
    chain.output = anchor.outputs[0];
    if (f.absorbed_by[i] >= 0 || !can_anchor(anchor, g)) continue;
    bool allow_sum = anchor.op == "Conv";
    for (;;) {
      const std::string& cur = chain.output;
      if (auto hs = hard_swish_pair(g, cur)) {
        if (f.absorbed_by[hs->hard_sigmoid] >= 0 || f.absorbed_by[hs->mul] >= 0) break;
        chain.post_ops.push_back({false, {algorithm::eltwise_hardswish, 0.f, 0.f}});
        for (int r : {hs->hard_sigmoid, hs->mul}) {
          chain.absorbed.push_back(r);
          f.absorbed_by[r] = static_cast<int>(i);
        }
        chain.output = g.nodes[hs->mul].outputs[0];
        continue;
      }
      std::vector<int> readers = g.consumers(cur);
      if (g.is_graph_output(cur) || readers.size() != 1) break;
      int r = readers[0];
      const ir::Node& next = g.nodes[r];
      if (auto ops = activation_ops(next, g)) {
        for (const EltOp& e : *ops) chain.post_ops.push_back({false, e});
      } else if (allow_sum && next.op == "Add" && next.input(0) != next.input(1)) {
        const std::string& other = next.input(0) == cur ? next.input(1) : next.input(0);
        auto ot = g.value_type(other), ct = g.value_type(cur);
        int producer = g.producer(other);
        if (!is_float(g, other) || !ct || ot->shape != ct->shape) break;
        if (producer >= static_cast<int>(i)) break;  // must be computed before the anchor
        chain.post_ops.push_back({true, {}});
        chain.sum_operand = other;
        allow_sum = false;
      } else {
        break;
      }
      chain.absorbed.push_back(r);
      f.absorbed_by[r] = static_cast<int>(i);
      chain.output = next.outputs[0];
    }
  }
  for (size_t i = 0; i < count; ++i) {
    const ir::Node& n = g.nodes[i];
    if (n.op != "Flatten" || n.attr_int("axis", 1) != 1 || g.is_graph_output(n.outputs[0]))
      continue;
    auto in = g.value_type(n.inputs[0]);
    std::vector<int> readers = g.consumers(n.outputs[0]);
    if (!in || !in->has_shape || in->shape.size() != 4 || readers.size() != 1) continue;
    const ir::Node& gemm = g.nodes[readers[0]];
    if (gemm.input(0) == n.outputs[0] && gemm_as_inner_product(gemm, g))
      f.flatten_into_gemm[i] = true;
  }
  mark_gelu_chains(g, f);  // family math (compile_math.cpp)
  return f;
}

// A Conv output (maybe through activations) read by one node only: a sum post-op candidate.
static bool conv_branch(const ir::Graph& g, const std::string& v) {
  for (std::string cur = v;;) {
    int p = g.producer(cur);
    if (p < 0 || g.consumers(cur).size() != 1) return false;
    const ir::Node& n = g.nodes[p];
    if (n.op == "Conv") return true;
    if (!activation_ops(n, g)) return false;
    cur = n.inputs[0];
  }
}

void order_for_residual_fusion(ir::Graph& g) {
  const size_t count = g.nodes.size();
  std::map<std::string, int> producer;
  for (size_t i = 0; i < count; ++i)
    for (const std::string& out : g.nodes[i].outputs) producer[out] = static_cast<int>(i);
  std::vector<bool> seen(count, false);
  std::vector<int> order;
  {
    const ir::Graph::Frozen frozen(g);  // conv_branch's lookups in O(1)
    // Depth-first, inputs before their reader: a post-order is a topological order. An explicit
    // stack (node, inputs still to visit), so that a 100,000-node chain cannot overflow it.
    std::vector<std::pair<int, std::vector<std::string>>> stack;
    auto push = [&](int i) {
      if (seen[i]) return;
      seen[i] = true;
      std::vector<std::string> inputs = g.nodes[i].inputs;
      if (g.nodes[i].op == "Add" && inputs.size() == 2 && conv_branch(g, inputs[0]) &&
          !conv_branch(g, inputs[1]))
        std::swap(inputs[0], inputs[1]);
      std::reverse(inputs.begin(), inputs.end());  // popped from the back: first input first
      stack.emplace_back(i, std::move(inputs));
    };
    auto visit = [&](int start) {
      push(start);
      while (!stack.empty()) {
        auto& [i, pending] = stack.back();
        if (pending.empty()) {
          order.push_back(i);
          stack.pop_back();
          continue;
        }
        std::string in = std::move(pending.back());
        pending.pop_back();
        auto it = producer.find(in);
        if (!in.empty() && it != producer.end()) push(it->second);
      }
    };
    for (const ir::Value& out : g.outputs) {
      auto it = producer.find(out.name);
      if (it != producer.end()) visit(it->second);
    }
    for (size_t i = 0; i < count; ++i) visit(static_cast<int>(i));
  }
  std::vector<ir::Node> nodes;
  nodes.reserve(count);
  for (int i : order) nodes.push_back(std::move(g.nodes[i]));
  g.nodes = std::move(nodes);
}

}  // namespace qcv::runtime
