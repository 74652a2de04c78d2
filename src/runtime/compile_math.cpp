// oneDNN paths for the elementwise math family (float32 only; everything else runs the
// reference kernels): unary ops that oneDNN eltwise computes exactly as ONNX defines them,
// 2-input Min/Max/Sum/Mean as oneDNN binary, PRelu as oneDNN prelu, and the exporters'
// erf-Gelu chain as one gelu_erf eltwise.
#include <algorithm>
#include <cmath>
#include <set>

#include "runtime/compiler.h"
#include "runtime/dnnl_util.h"

namespace qcv::runtime {

using dnnl::algorithm;
using dnnl::memory;

namespace {

// A float32 one-element initializer, or nullopt.
std::optional<float> scalar_constant(const ir::Graph& g, const std::string& name) {
  const ir::Tensor* t = g.initializer(name);
  if (!t || t->dtype() != ir::DType::Float32 || t->numel() != 1) return std::nullopt;
  return t->data<float>()[0];
}

bool near(std::optional<float> v, double want) {
  return v && std::fabs(*v - want) <= 1e-5 * std::fabs(want);
}

// The eltwise operations that compute node n (float32), or nullopt. Only ops whose oneDNN
// definition is ONNX's (oneDNN's round is round-half-to-even like ONNX Round) and whose accuracy
// holds everywhere: not log or soft_relu, whose log is ~1e-6 off in absolute terms near 1 (ONNX's
// test_log_example wants log(1) = 0 within 1e-7).
std::optional<std::vector<EltOp>> math_eltwise_ops(const ir::Node& n, const ir::Graph& g) {
  auto one = [](algorithm alg, float alpha = 0.f, float beta = 0.f) {
    return std::vector<EltOp>{{alg, alpha, beta}};
  };
  if (n.op == "Abs") return one(algorithm::eltwise_abs);
  if (n.op == "Sqrt") return one(algorithm::eltwise_sqrt);
  if (n.op == "Exp") return one(algorithm::eltwise_exp);
  if (n.op == "Tanh") return one(algorithm::eltwise_tanh);
  if (n.op == "Round") return one(algorithm::eltwise_round);
  if (n.op == "Neg") return one(algorithm::eltwise_linear, -1.f, 0.f);
  if (n.op == "Reciprocal") return one(algorithm::eltwise_pow, 1.f, -1.f);
  if (n.op == "Elu") return one(algorithm::eltwise_elu, n.attr_float("alpha", 1.f));
  if (n.op == "LeakyRelu") return one(algorithm::eltwise_relu, n.attr_float("alpha", 0.01f));
  if (n.op == "Selu") {
    float alpha = n.attr_float("alpha", 1.67326319217681884765625f);
    float gamma = n.attr_float("gamma", 1.05070102214813232421875f);
    return std::vector<EltOp>{{algorithm::eltwise_elu, alpha, 0.f},
                              {algorithm::eltwise_linear, gamma, 0.f}};
  }
  if (n.op == "Pow") {
    // x ^ constant: oneDNN's pow(alpha * x^beta); only exponents where it agrees with std::pow
    // for negative bases too (integers) or where the base is meant to be non-negative (0.5).
    auto e = scalar_constant(g, n.input(1));
    if (!e || !(*e == std::round(*e) || *e == 0.5f) || std::fabs(*e) > 16) return std::nullopt;
    return one(algorithm::eltwise_pow, 1.f, *e);
  }
  return std::nullopt;
}

}  // namespace

std::optional<std::vector<EltOp>> math_activation_ops(const ir::Node& n, const ir::Graph& g) {
  if (n.op != "Elu" && n.op != "LeakyRelu" && n.op != "Selu" && n.op != "Tanh") return std::nullopt;
  return math_eltwise_ops(n, g);
}

GeluMatch match_gelu(const ir::Graph& g, int erf) {
  GeluMatch m;
  const ir::Node& e = g.nodes[erf];
  if (e.op != "Erf") return {};
  // Intermediate values are read by exactly one node and are no graph outputs.
  auto single_reader = [&](const std::string& v) -> int {
    std::vector<int> r = g.consumers(v);
    return r.size() == 1 && !g.is_graph_output(v) ? r[0] : -1;
  };
  auto other_input = [](const ir::Node& n, const std::string& v) -> const std::string& {
    return n.input(0) == v ? n.input(1) : n.input(0);
  };
  // x / sqrt(2) or x * (1 / sqrt(2)).
  const std::string& t = e.input(0);
  int d = g.producer(t);
  if (d < 0 || single_reader(t) != erf) return {};
  const ir::Node& scale = g.nodes[d];
  if (scale.op == "Div" && near(scalar_constant(g, scale.input(1)), std::sqrt(2.0))) {
    m.x = scale.input(0);
  } else if (scale.op == "Mul" && near(scalar_constant(g, scale.input(1)), std::sqrt(0.5))) {
    m.x = scale.input(0);
  } else if (scale.op == "Mul" && near(scalar_constant(g, scale.input(0)), std::sqrt(0.5))) {
    m.x = scale.input(1);
  } else {
    return {};
  }
  auto xt = g.value_type(m.x);
  if (!xt || xt->dtype != ir::DType::Float32 || !xt->has_shape) return {};
  m.nodes = {d, erf};
  // 1 + erf(.)
  int add = single_reader(e.outputs[0]);
  if (add < 0 || g.nodes[add].op != "Add" ||
      !near(scalar_constant(g, other_input(g.nodes[add], e.outputs[0])), 1.0))
    return {};
  m.nodes.push_back(add);
  // Then times x and times 0.5, in either order, or times (x * 0.5) computed beside.
  std::string cur = g.nodes[add].outputs[0];
  bool need_x = true, need_half = true;
  while (need_x || need_half) {
    int mul = single_reader(cur);
    if (mul < 0 || g.nodes[mul].op != "Mul" || g.nodes[mul].input(0) == g.nodes[mul].input(1))
      return {};
    const std::string& other = other_input(g.nodes[mul], cur);
    int h = g.producer(other);
    if (need_x && other == m.x) {
      need_x = false;
    } else if (need_half && near(scalar_constant(g, other), 0.5)) {
      need_half = false;
    } else if (need_x && need_half && h >= 0 && g.nodes[h].op == "Mul" &&
               single_reader(other) == mul &&
               ((g.nodes[h].input(0) == m.x &&
                 near(scalar_constant(g, g.nodes[h].input(1)), 0.5)) ||
                (g.nodes[h].input(1) == m.x &&
                 near(scalar_constant(g, g.nodes[h].input(0)), 0.5)))) {
      need_x = need_half = false;
      m.nodes.push_back(h);
    } else {
      return {};
    }
    m.nodes.push_back(mul);
    cur = g.nodes[mul].outputs[0];
  }
  m.output = cur;
  std::sort(m.nodes.begin(), m.nodes.end());
  return m;
}

void mark_gelu_chains(const ir::Graph& g, FusionPlan& f) {
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    GeluMatch m = match_gelu(g, static_cast<int>(i));
    if (m.nodes.empty()) continue;
    const int last = g.producer(m.output);
    bool free = true;
    for (int k : m.nodes)
      free = free && f.absorbed_by[k] < 0 && (k == last || f.chains[k].absorbed.empty());
    if (!free) continue;
    // The final Mul may have absorbed activations after it: they run on their own again.
    for (int r : f.chains[last].absorbed) f.absorbed_by[r] = -1;
    f.chains[last] = FusedChain{};
    f.chains[last].output = g.nodes[last].outputs[0];
    FusedChain& chain = f.chains[i];
    chain.output = m.output;
    for (int k : m.nodes) {
      if (k == static_cast<int>(i)) continue;
      f.absorbed_by[k] = static_cast<int>(i);
      if (k > static_cast<int>(i)) chain.absorbed.push_back(k);
    }
  }
}

bool PlanBuilder::build_eltwise_chain(const std::string& label, int x,
                                      const std::vector<EltOp>& ops, const std::string& output) {
  if (!has_md(x) || ops.empty()) return false;
  const memory::desc md = plan_->values[x].md;
  std::vector<PrimitiveCall> calls;
  std::string impl;
  for (const EltOp& e : ops) {
    dnnl::eltwise_forward::desc d(dnnl::prop_kind::forward_inference, e.alg, md, e.alpha, e.beta);
    dnnl::eltwise_forward::primitive_desc pd(d, attr_with({}), engine_);
    calls.push_back(call(dnnl::eltwise_forward(pd), pd));
    impl = pd.impl_info_str();
  }
  int dst = define(output, md, shape_of(x));
  for (size_t k = 0; k < calls.size(); ++k)
    calls[k].value_args = {{DNNL_ARG_SRC, k == 0 ? x : dst}, {DNNL_ARG_DST, dst}};
  PrimitiveStep& s = add_step(label + ": " + impl + ")");
  s.calls = calls;
  s.reads = {x};
  s.writes = {dst};
  s.inplace_src = x;
  s.inplace_dst = dst;
  return true;
}

bool PlanBuilder::build_gelu(int i) {
  GeluMatch m = match_gelu(g_, i);
  if (m.nodes.empty() || fusion_.chains[i].output != m.output) return false;
  bool done = false;
  try {
    int x = value_of(m.x);
    done = build_eltwise_chain(g_.nodes[i].name + " (Gelu", x,
                               {{algorithm::eltwise_gelu_erf, 0.f, 0.f}}, m.output);
  } catch (const dnnl::error&) {
    done = false;
  }
  // The chain's other nodes were skipped as absorbed: run all of them, in graph order.
  if (!done)
    for (int k : m.nodes) build_ref(k);
  return true;
}

bool PlanBuilder::build_math_binary(int i) {
  const ir::Node& n = g_.nodes[i];
  if (n.inputs.size() != 2) return false;
  int a = value_of(n.inputs[0]), b = value_of(n.inputs[1]);
  if (!has_md(a) || !has_md(b)) return false;
  ir::Shape out = out_shape(n);
  if (out.empty() || out.size() > 6) return false;
  // oneDNN broadcasts only its second source; all four ops are commutative.
  if (shape_of(a) != out) {
    if (shape_of(b) != out) return false;
    std::swap(a, b);
  }
  if (shape_of(b).size() < out.size()) {
    ir::Shape s = shape_of(b);
    s.insert(s.begin(), out.size() - s.size(), 1);
    b = view(ensure_plain(b), s, plan_->values[b].name + "#padded");
  }
  // (With a NaN input oneDNN's min/max may return the other operand where the reference
  // kernel, like numpy, returns NaN; finite inputs agree exactly.)
  algorithm alg = n.op == "Min"   ? algorithm::binary_min
                  : n.op == "Max" ? algorithm::binary_max
                                  : algorithm::binary_add;
  std::vector<PostOp> post;
  if (n.op == "Mean") post.push_back({false, {algorithm::eltwise_linear, 0.5f, 0.f}});
  // Same shape: the first source's layout for both; broadcast: plain layouts.
  if (shape_of(b) == out) {
    b = ensure_md(b, plan_->values[a].md);
  } else {
    a = ensure_plain(a);
    b = ensure_plain(b);
  }
  const memory::desc md0 = plan_->values[a].md;
  dnnl::binary::desc d(alg, md0, plan_->values[b].md, md0);
  dnnl::binary::primitive_desc pd(d, attr_with(post), engine_);
  int dst = define(n.outputs[0], pd.dst_desc(), out);
  PrimitiveStep& s =
      add_call_step(n.name + " (" + n.op + ": " + pd.impl_info_str() + ")", dnnl::binary(pd), pd,
                    {{DNNL_ARG_SRC_0, a}, {DNNL_ARG_SRC_1, b}}, DNNL_ARG_DST, dst);
  s.inplace_src = a;
  s.inplace_dst = dst;
  return true;
}

// PRelu with the slope broadcast to X (oneDNN takes slope dims equal to X's or 1).
bool PlanBuilder::build_prelu(int i) {
  const ir::Node& n = g_.nodes[i];
  int x = value_of(n.inputs[0]), w = value_of(n.inputs[1]);
  if (!has_md(x) || !has_md(w)) return false;
  const ir::Shape xs = shape_of(x);  // a copy: view() and define() grow the value list
  if (xs.empty() || xs.size() > 6 || shape_of(w).size() > xs.size()) return false;
  ir::Shape ws = shape_of(w);
  ws.insert(ws.begin(), xs.size() - ws.size(), 1);
  for (size_t k = 0; k < xs.size(); ++k)
    if (ws[k] != 1 && ws[k] != xs[k]) return false;
  w = view(ensure_plain(w), ws, plan_->values[w].name + "#padded");
  const memory::desc md = plan_->values[x].md;
  dnnl::prelu_forward::desc d(dnnl::prop_kind::forward_inference, md, plan_->values[w].md);
  dnnl::prelu_forward::primitive_desc pd(d, attr_with({}), engine_);
  int dst = define(n.outputs[0], pd.dst_desc(), xs);
  add_call_step(n.name + " (PRelu: " + pd.impl_info_str() + ")", dnnl::prelu_forward(pd), pd,
                {{DNNL_ARG_SRC, x}, {DNNL_ARG_WEIGHTS, w}}, DNNL_ARG_DST, dst);
  return true;
}

bool PlanBuilder::build_math(int i) {
  const ir::Node& n = g_.nodes[i];
  if (n.op == "PRelu") return build_prelu(i);
  if (n.op == "Erf") return build_gelu(i);
  if (n.op == "Min" || n.op == "Max" || n.op == "Sum" || n.op == "Mean")
    return build_math_binary(i);
  auto ops = math_eltwise_ops(n, g_);
  if (!ops) return false;
  return build_eltwise_chain(n.name + " (" + n.op, value_of(n.inputs[0]), *ops, n.outputs[0]);
}

}  // namespace qcv::runtime
