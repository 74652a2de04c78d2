#include "train/qat_batch_norm.h"

#include <cmath>

namespace qcv::train {
namespace {

bool float_initializer(const ir::Graph& g, const std::string& name) {
  const ir::Tensor* t = name.empty() ? nullptr : g.initializer(name);
  return t && t->dtype() == ir::DType::Float32;
}

// Shapes a per-output-channel vector to broadcast against a conv weight ([C, 1, ...]) or a conv
// output ([1, C, 1, ...]).
at::Tensor per_channel(const at::Tensor& v, int64_t rank, int64_t dim) {
  std::vector<int64_t> shape(static_cast<size_t>(rank), 1);
  shape[static_cast<size_t>(dim)] = v.numel();
  return v.reshape(shape);
}

}  // namespace

BatchNormFolding::BatchNormFolding(const ir::Graph& g) {
  for (const ir::Node& conv : g.nodes) {
    if (conv.op != "Conv" || conv.outputs.size() != 1 || g.is_graph_output(conv.outputs[0]))
      continue;
    const std::vector<int> users = g.consumers(conv.outputs[0]);
    if (users.size() != 1) continue;
    const ir::Node& bn = g.nodes[static_cast<size_t>(users[0])];
    if (bn.op != "BatchNormalization" || bn.input(0) != conv.outputs[0]) continue;
    bool params = true;
    for (size_t i = 1; i < 5; ++i) params = params && float_initializer(g, bn.input(i));
    if (!params) continue;
    Fold f;
    f.conv = conv.name;
    f.bn = bn.name;
    f.gamma = bn.input(1);
    f.running_var = bn.input(4);
    f.epsilon = bn.attr_float("epsilon", 1e-5f);
    const std::string& w = conv.input(1);
    if (!float_initializer(g, w)) {  // behind DequantizeLinear <- QuantizeLinear(initializer)?
      const int dq = g.producer(w);
      if (dq < 0 || g.nodes[static_cast<size_t>(dq)].op != "DequantizeLinear") continue;
      const int q = g.producer(g.nodes[static_cast<size_t>(dq)].input(0));
      if (q < 0) continue;
      const ir::Node& qn = g.nodes[static_cast<size_t>(q)];
      if (qn.op != "QuantizeLinear" || !float_initializer(g, qn.input(0))) continue;
      if (qn.attr_int("axis", 1) != 0 && g.initializer(qn.input(1))->numel() > 1) continue;
      if (g.consumers(qn.outputs[0]).size() != 1 || g.consumers(w).size() != 1) continue;
      f.weight_quantize = qn.name;
      by_quantize_[qn.name] = conv.name;
    }
    by_bn_[bn.name] = conv.name;
    convs_[conv.name] = f;
  }
}

void BatchNormFolding::bind(const TorchGraph& module) {
  std::map<std::string, at::Tensor> state;
  for (const NamedTensor& t : module.state()) state[t.name] = t.tensor;
  for (auto& [name, f] : convs_) {
    if (!state.count(f.gamma) || !state.count(f.running_var))
      fail("QAT BN folding: BN '{}' has no trainable scale '{}' or running variance '{}'", f.bn,
           f.gamma, f.running_var);
    f.gamma_t = state[f.gamma];
    f.var_t = state[f.running_var];
  }
}

at::Tensor BatchNormFolding::factor(const Fold& f) const {
  if (!f.gamma_t.defined()) fail("QAT BN folding: conv '{}' used before bind()", f.conv);
  // A zero gamma (zero-init residual BNs) would divide by zero: such a channel folds with 1
  // (the BN's gamma still zeroes it), which is what the exported fold computes too.
  const at::Tensor f_raw = f.gamma_t / at::sqrt(f.var_t.detach() + f.epsilon);
  return at::where(f_raw.abs() > 1e-12, f_raw, at::ones_like(f_raw));
}

std::vector<at::Tensor> BatchNormFolding::step(
    OpContext& c, const std::function<std::vector<at::Tensor>(OpContext&)>& next) {
  const std::string& name = c.node.name;
  if (c.node.op == "QuantizeLinear") {
    auto it = by_quantize_.find(name);
    if (it != by_quantize_.end()) {  // fake-quantize the folded weight
      const at::Tensor& w = c.input(0);
      c.in[0] = w * per_channel(factor(convs_.at(it->second)), w.dim(), 0);
    }
    return next(c);
  }
  if (c.node.op == "BatchNormalization") {
    if (frozen_ && by_bn_.count(name)) c.training = false;
    return next(c);
  }
  auto it = c.node.op == "Conv" ? convs_.find(name) : convs_.end();
  if (it == convs_.end()) return next(c);
  const at::Tensor f = factor(it->second);
  const at::Tensor w = c.input(1);
  if (it->second.weight_quantize.empty()) c.in[1] = w * per_channel(f, w.dim(), 0);
  at::Tensor bias = c.has(2) ? c.in[2] : at::Tensor();
  if (c.in.size() > 2) c.in[2] = at::Tensor();
  std::vector<at::Tensor> out = next(c);
  // conv(x, W f) / f = conv(x, W): the BN then sees the unfolded conv's output, its statistics.
  at::Tensor y = out.at(0) / per_channel(f, out[0].dim(), 1);
  if (bias.defined()) y = y + per_channel(bias, out[0].dim(), 1);
  out[0] = y;
  return out;
}

}  // namespace qcv::train
