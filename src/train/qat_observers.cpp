#include "train/qat_observers.h"

#include <algorithm>
#include <cmath>

#include "quant/quant.h"

namespace qcv::train {
namespace {

const ir::Tensor* initializer_of(const ir::Graph& g, const ir::Node& n, size_t i) {
  return i < n.inputs.size() && !n.inputs[i].empty() ? g.initializer(n.inputs[i]) : nullptr;
}

// A QuantizeLinear with initializer scale and zero point whose readers are DequantizeLinear
// nodes with the same ones: a fake-quant pair whose parameters an observer may rewrite.
bool observable_pair(const ir::Graph& g, const ir::Node& q) {
  if (q.op != "QuantizeLinear" || !initializer_of(g, q, 1) || !initializer_of(g, q, 2))
    return false;
  if (g.is_graph_output(q.outputs[0])) return false;
  const std::vector<int> users = g.consumers(q.outputs[0]);
  if (users.empty()) return false;
  for (int u : users) {
    const ir::Node& dq = g.nodes[static_cast<size_t>(u)];
    if (dq.op != "DequantizeLinear" || dq.input(1) != q.input(1) || dq.input(2) != q.input(2))
      return false;
  }
  return true;
}

void qrange(ir::DType dtype, float& qmin, float& qmax) {
  qmin = dtype == ir::DType::Int8 ? -128.f : 0.f;
  qmax = dtype == ir::DType::Int8 ? 127.f : 255.f;
}

}  // namespace

bool activations_symmetric(const ir::Graph& graph) {
  auto it = graph.metadata.find("qcv.qat.activation_symmetric");
  if (it != graph.metadata.end()) return it->second == "1";
  for (const ir::Node& n : graph.nodes) {
    if (!observable_pair(graph, n) || initializer_of(graph, n, 0)) continue;
    const ir::Tensor& zp = *initializer_of(graph, n, 2);
    if (zp.dtype() != ir::DType::Int8) return false;
    for (int64_t v : zp.to_int64_vector())
      if (v != 0) return false;
  }
  return true;
}

RangeObservers::RangeObservers(const ir::Graph& graph, RangeObserverOptions options)
    : options_(options) {
  if (!(options_.decay >= 0 && options_.decay < 1))
    fail("QAT range observers: decay must be in [0, 1), got {}", options_.decay);
  for (const ir::Node& n : graph.nodes) {
    if (!observable_pair(graph, n)) continue;
    const ir::Tensor* x = initializer_of(graph, n, 0);
    Observer o;
    o.weight = x && x->dtype() == ir::DType::Float32;
    o.dtype = initializer_of(graph, n, 2)->dtype();
    if (o.dtype != ir::DType::Int8 && o.dtype != ir::DType::UInt8) continue;
    if (o.weight && (!options_.track_weights || o.dtype != ir::DType::Int8)) continue;
    const bool activations = options_.track_activations || options_.refit_mismatched;
    if (!o.weight && (!activations || initializer_of(graph, n, 1)->numel() != 1))
      continue;  // activations: per-tensor only
    observers_[n.name] = o;
    buffers_.insert(n.inputs[1]);
    buffers_.insert(n.inputs[2]);
  }
}

void RangeObservers::install(TorchGraphOptions& module_options) {
  module_options.extra_buffers.insert(buffers_.begin(), buffers_.end());
  module_options.around_step = [this](OpContext& c, OpExecutor run) { return step(c, run); };
}

std::vector<at::Tensor> RangeObservers::step(OpContext& c, OpExecutor run) {
  if (c.node.op == "QuantizeLinear") {
    auto it = observers_.find(c.node.name);
    if (it != observers_.end()) {
      at::NoGradGuard no_grad;
      if (it->second.weight)
        track_weight(it->second, c);
      else if (c.training && options_.refit_mismatched && !it->second.checked)
        refit_if_mismatched(it->second, c, it->first);
      if (!it->second.weight && c.training && !frozen_ && options_.track_activations)
        observe_activation(it->second, c);
    }
  }
  return run(c);
}

// The range the pair's current parameters represent (calibration or checkpoint).
void RangeObservers::start(Observer& o, OpContext& c) const {
  if (o.started) return;
  float qmin, qmax;
  qrange(o.dtype, qmin, qmax);
  const float s = c.input(1).item<float>(), zp = c.input(2).to(at::kFloat).item<float>();
  o.min = (qmin - zp) * s;
  o.max = (qmax - zp) * s;
  if (options_.symmetric_activations) o.min = -127.f * s, o.max = 127.f * s;
  o.started = true;
}

namespace {

void set_range(at::Tensor& scale, at::Tensor& zero_point, float min, float max, ir::DType dtype,
               bool symmetric) {
  const quant::QuantParams p = quant::params_for_range(min, max, dtype, symmetric);
  scale.fill_(p.scale.at(0));
  zero_point.fill_(p.zero_point.at(0));
}

}  // namespace

void RangeObservers::refit_if_mismatched(Observer& o, OpContext& c, const std::string& name) {
  o.checked = true;
  start(o, c);
  const auto [lo_t, hi_t] = at::aminmax(c.input(0).detach());
  const float lo = lo_t.item<float>(), hi = hi_t.item<float>();
  if (!std::isfinite(lo) || !std::isfinite(hi)) return;  // the trainer reports the divergence
  const double batch = std::max(std::abs(lo), std::abs(hi));
  const double calibrated = std::max(std::abs(o.min), std::abs(o.max));
  const double r = options_.refit_ratio;
  if (batch == 0 || (batch <= r * calibrated && batch * r >= calibrated)) return;
  o.min = lo;
  o.max = hi;
  at::Tensor scale = c.input(1), zero_point = c.input(2);
  set_range(scale, zero_point, o.min, o.max, o.dtype, options_.symmetric_activations);
  refitted_.push_back(name);
}

void RangeObservers::observe_activation(Observer& o, OpContext& c) {
  start(o, c);
  const at::Tensor x = c.input(0).detach();
  const auto [lo, hi] = at::aminmax(x);
  const double d = options_.decay;
  o.min = static_cast<float>(d * o.min + (1 - d) * lo.item<double>());
  o.max = static_cast<float>(d * o.max + (1 - d) * hi.item<double>());
  at::Tensor scale = c.input(1), zero_point = c.input(2);
  set_range(scale, zero_point, o.min, o.max, o.dtype, options_.symmetric_activations);
}

void RangeObservers::track_weight(const Observer& o, OpContext& c) {
  (void)o;
  at::Tensor scale = c.input(1);
  const at::Tensor w = c.input(0).detach();
  at::Tensor amax;
  if (scale.numel() > 1) {
    const int64_t axis = normalize_axis(c, c.node.attr_int("axis", 1), w.dim());
    amax = w.transpose(0, axis).reshape({w.size(axis), -1}).abs().amax(1);
  } else {
    amax = w.abs().max();
  }
  // quant::weight_params' rule: abs-max / 127, scale 1 for an all-zero channel.
  at::Tensor s = at::where(amax > 0, amax / 127.0, at::ones_like(amax));
  scale.copy_(s.reshape(scale.sizes()).to(scale.scalar_type()));
}

std::pair<float, float> RangeObservers::range(const std::string& node) const {
  auto it = observers_.find(node);
  if (it == observers_.end() || it->second.weight)
    fail("QAT range observers: no activation observer on node '{}'", node);
  return {it->second.min, it->second.max};
}

size_t RangeObservers::activations() const {
  size_t n = 0;
  for (const auto& [name, o] : observers_) n += o.weight ? 0 : 1;
  return n;
}

}  // namespace qcv::train
