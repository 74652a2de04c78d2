// fold_batch_norm: y = (conv(x) - mean) * scale / sqrt(var + eps) + B is a conv with per-output-
// channel scaled weights and a shifted bias. The same holds for Gemm, whose output columns are the
// BN channels. Weights are never changed in place (an initializer may be shared): the folded
// weights and bias are new initializers and the old ones are left to dead-code elimination.
#include <cmath>

#include "passes/graph_edit.h"
#include "passes/passes.h"

namespace qcv::passes {
namespace {

const ir::Tensor* float_initializer(const ir::Graph& g, const std::string& name) {
  const ir::Tensor* t = g.initializer(name);
  return t && t->dtype() == ir::DType::Float32 ? t : nullptr;
}

}  // namespace

std::optional<ChannelAffine> batch_norm_affine(const ir::Graph& g, const ir::Node& bn,
                                               int64_t channels) {
  if (bn.attr_int("training_mode", 0) != 0) return std::nullopt;
  const ir::Tensor* p[4];
  for (size_t i = 0; i < 4; ++i) {
    p[i] = float_initializer(g, bn.input(i + 1));
    if (!p[i] || p[i]->numel() != channels) return std::nullopt;
  }
  const float* scale = p[0]->data<float>();
  const float* bias = p[1]->data<float>();
  const float* mean = p[2]->data<float>();
  const float* var = p[3]->data<float>();
  double eps = bn.attr_float("epsilon", 1e-5f);
  ChannelAffine a;
  for (int64_t c = 0; c < channels; ++c) {
    double f = scale[c] / std::sqrt(static_cast<double>(var[c]) + eps);
    a.factor.push_back(f);
    a.shift.push_back(bias[c] - mean[c] * f);
  }
  return a;
}

namespace {

// New bias b' = b * factor + shift, from an optional per-channel bias (all zeros when absent).
ir::Tensor folded_bias(const ir::Tensor* bias, double bias_scale, const ChannelAffine& a) {
  int64_t channels = static_cast<int64_t>(a.factor.size());
  ir::Tensor out(ir::DType::Float32, {channels});
  float* o = out.data<float>();
  for (int64_t c = 0; c < channels; ++c) {
    double b = 0;
    if (bias) b = bias_scale * bias->data<float>()[bias->numel() == 1 ? 0 : c];
    o[c] = static_cast<float>(b * a.factor[c] + a.shift[c]);
  }
  return out;
}

// Conv weights [M, C/group, k...]: output channel m is the outermost block.
bool fold_into_conv(ir::Graph& g, ir::Node& conv, const ir::Node& bn) {
  const ir::Tensor* w = float_initializer(g, conv.input(1));
  if (!w || w->rank() < 3) return false;
  const ir::Tensor* b = nullptr;
  if (!conv.input(2).empty() && !(b = float_initializer(g, conv.input(2)))) return false;
  int64_t channels = w->dim(0);
  if (b && b->numel() != channels) return false;
  auto affine = batch_norm_affine(g, bn, channels);
  if (!affine) return false;

  ir::Tensor scaled(ir::DType::Float32, w->shape());
  int64_t block = w->numel() / channels;
  float* dst = scaled.data<float>();  // typed once: a checked access per element was 8% of load
  const float* src = w->data<float>();
  for (int64_t m = 0; m < channels; ++m)
    for (int64_t k = 0; k < block; ++k)
      dst[m * block + k] = static_cast<float>(src[m * block + k] * affine->factor[m]);
  ir::Tensor bias = folded_bias(b, 1.0, *affine);
  conv.inputs.resize(3);
  conv.inputs[1] = g.add_initializer(conv.name + "_bn_weight", scaled);
  conv.inputs[2] = g.add_initializer(conv.name + "_bn_bias", bias);
  return true;
}

// Gemm Y = alpha * A' B' + beta * C with B [K, N] (or [N, K] when transB): column n of Y is the
// BN channel n, so column n of B' scales by factor[n] and C becomes beta * C * factor + shift.
bool fold_into_gemm(ir::Graph& g, ir::Node& gemm, const ir::Node& bn) {
  const ir::Tensor* w = float_initializer(g, gemm.input(1));
  if (!w || w->rank() != 2) return false;
  bool trans_b = gemm.attr_int("transB", 0) != 0;
  int64_t channels = trans_b ? w->dim(0) : w->dim(1);
  const ir::Tensor* c = nullptr;
  if (!gemm.input(2).empty()) {
    c = float_initializer(g, gemm.input(2));
    // Only a per-column (or scalar) C stays a per-column bias after folding.
    bool per_column = c && (c->numel() == 1 || (c->numel() == channels && c->rank() >= 1 &&
                                                c->dim(c->rank() - 1) == channels));
    if (!per_column) return false;
  }
  auto affine = batch_norm_affine(g, bn, channels);
  if (!affine) return false;

  ir::Tensor scaled(ir::DType::Float32, w->shape());
  int64_t rows = w->dim(0), cols = w->dim(1);
  float* dst = scaled.data<float>();
  const float* src = w->data<float>();
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t k = 0; k < cols; ++k)
      dst[r * cols + k] = static_cast<float>(src[r * cols + k] * affine->factor[trans_b ? r : k]);
  ir::Tensor bias = folded_bias(c, gemm.attr_float("beta", 1.0f), *affine);
  gemm.attrs["beta"] = 1.0f;
  gemm.inputs.resize(3);
  gemm.inputs[1] = g.add_initializer(gemm.name + "_bn_weight", scaled);
  gemm.inputs[2] = g.add_initializer(gemm.name + "_bn_bias", bias);
  return true;
}

// Folds the BN at node index i into its producer when the pattern matches.
bool try_fold(ir::Graph& g, size_t i) {
  const ir::Node bn = g.nodes[i];
  if (bn.op != "BatchNormalization" || bn.outputs.empty()) return false;
  // The training-only outputs (running mean/var) must be unused.
  for (size_t k = 1; k < bn.outputs.size(); ++k)
    if (is_read(g, bn.outputs[k])) return false;
  const std::string& x = bn.input(0);
  int p = g.producer(x);
  if (p < 0 || count_reads(g, x) != 1) return false;  // also rejects a graph output
  ir::Node& producer = g.nodes[p];
  if (producer.outputs.size() != 1) return false;
  bool folded = (producer.op == "Conv" && fold_into_conv(g, producer, bn)) ||
                (producer.op == "Gemm" && fold_into_gemm(g, producer, bn));
  if (!folded) return false;
  // The producer now computes the BN's output and takes over its name, which its readers (an
  // activation, a graph output) use.
  g.value_info.erase(x);
  producer.outputs[0] = bn.outputs[0];
  std::vector<bool> remove(g.nodes.size(), false);
  remove[i] = true;
  erase_nodes(g, remove);
  return true;
}

}  // namespace

bool batch_norm_to_depthwise_conv(ir::Graph& g) {
  bool changed = false;
  for (ir::Node& bn : g.nodes) {
    if (bn.op != "BatchNormalization" || bn.inputs.size() != 5) continue;
    bool extra_read = false;
    for (size_t k = 1; k < bn.outputs.size(); ++k) extra_read = extra_read || is_read(g, bn.outputs[k]);
    const auto x = g.value_type(bn.input(0));
    if (extra_read || !x || !x->has_shape || x->shape.size() != 4 || x->shape[1] <= 0) continue;
    const int64_t channels = x->shape[1];
    const auto affine = batch_norm_affine(g, bn, channels);
    if (!affine) continue;
    ir::Tensor w(ir::DType::Float32, {channels, 1, 1, 1}), b(ir::DType::Float32, {channels});
    for (int64_t c = 0; c < channels; ++c) {
      w.data<float>()[c] = static_cast<float>(affine->factor[c]);
      b.data<float>()[c] = static_cast<float>(affine->shift[c]);
    }
    ir::Node conv;
    conv.name = bn.name;
    conv.op = "Conv";
    conv.inputs = {bn.input(0), g.add_initializer(bn.name + "_weight", w),
                   g.add_initializer(bn.name + "_bias", b)};
    conv.outputs = {bn.outputs[0]};
    conv.attrs["group"] = channels;
    conv.attrs["kernel_shape"] = std::vector<int64_t>{1, 1};
    bn = conv;
    changed = true;
  }
  if (changed) g.value_info.clear();
  return changed;
}

bool fold_batch_norm(ir::Graph& g) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size();) {
    if (try_fold(g, i)) {
      changed = true;  // the BN at i is gone: the next node now sits at i
      continue;
    }
    ++i;
  }
  return changed;
}

}  // namespace qcv::passes
