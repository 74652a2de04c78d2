// Empirical bias correction (Nagel et al., "Data-Free Quantization", 2019, section 4.2 with
// calibration data): quantizing W shifts the mean of y = W x by (W - dq(q(W))) E[x]; adding that
// shift to the bias restores the FP32 mean per output channel. E[x] is the per-element mean of
// the layer's FP32 input over the calibration data, so the one pass observing every input is
// enough (conv is linear: E[conv(x, dW)] = conv(E[x], dW), the padding included).
#include <cstdio>

#include "quant/quant.h"
#include "ref/ref.h"

namespace qcv::quant {

namespace {

// Per-element sum over the batch axis, in double.
struct MeanInput {
  ir::Shape shape;  // [1, ...]
  std::vector<double> sum;
  int64_t count = 0;

  void add(const std::string& name, const ir::Tensor& t) {
    if (t.dtype() != ir::DType::Float32 || t.rank() < 2)
      fail("bias correction: input '{}' is {} {}, expected float32 with a batch axis", name,
           ir::dtype_name(t.dtype()), ir::shape_str(t.shape()));
    const int64_t per_item = t.numel() / std::max<int64_t>(1, t.dim(0));
    if (sum.empty()) {
      shape = t.shape();
      shape[0] = 1;
      sum.assign(static_cast<size_t>(per_item), 0.0);
    } else if (static_cast<int64_t>(sum.size()) != per_item) {
      fail("bias correction: input '{}' changed shape between batches", name);
    }
    const float* x = t.data<float>();
    for (int64_t n = 0; n < t.dim(0); ++n)
      for (int64_t i = 0; i < per_item; ++i) sum[i] += x[n * per_item + i];
    count += t.dim(0);
  }

  ir::Tensor mean() const {
    ir::Tensor m(ir::DType::Float32, shape);
    for (size_t i = 0; i < sum.size(); ++i)
      m.data<float>()[i] = static_cast<float>(sum[i] / static_cast<double>(count));
    return m;
  }
};

// Mean over everything but axis 1 (output channels of Conv [1, M, ...] and Gemm [1, N]).
std::vector<double> channel_means(const ir::Tensor& y) {
  const int64_t channels = y.dim(1), inner = y.numel() / std::max<int64_t>(1, channels);
  std::vector<double> m(static_cast<size_t>(channels), 0.0);
  for (int64_t c = 0; c < channels; ++c) {
    for (int64_t j = 0; j < inner; ++j) m[c] += y.data<float>()[c * inner + j];
    m[c] /= static_cast<double>(inner);
  }
  return m;
}

}  // namespace

int correct_bias(ir::Graph& graph, const QuantPlan& plan, const Backend& backend,
                 CalibrationData& data, const CalibrationOptions& options) {
  // The layers: a Conv or Gemm (not transA) reading a quantized weight as input 1.
  struct Layer {
    int node;
    const QuantTarget* weight;
  };
  std::vector<Layer> layers;
  std::map<std::string, MeanInput> inputs;
  for (const auto& t : plan.targets) {
    if (t.role != TensorRole::Weight) continue;
    for (const Use& u : t.uses) {
      const ir::Node& n = graph.nodes.at(u.node);
      if (u.input != 1 || (n.op != "Conv" && n.op != "Gemm")) continue;
      if (n.op == "Gemm" && n.attr_int("transA", 0) != 0) continue;
      layers.push_back({u.node, &t});
      inputs[n.inputs[0]];
    }
  }
  if (layers.empty()) return 0;

  std::vector<std::string> observed;
  for (const auto& [name, m] : inputs) observed.push_back(name);
  Runner run = backend(graph, observed, [&](const std::string& name, const ir::Tensor& t) {
    auto it = inputs.find(name);
    if (it == inputs.end())
      fail("bias correction: backend observed '{}', which was not asked", name);
    it->second.add(name, t);
  });
  const auto say = [&](const std::string& line) { report_progress(options, line); };
  say(fmt::format("bias correction: mean inputs of {} layers over {} batches", layers.size(),
                  data.num_batches()));
  run_every_batch(data, "bias correction", run);

  int corrected = 0;
  for (const Layer& l : layers) {
    ir::Node& n = graph.nodes[l.node];
    const MeanInput& in = inputs.at(n.inputs[0]);
    if (in.count == 0)
      fail("bias correction: input '{}' of '{}' never observed", n.inputs[0], n.name);
    const ir::Tensor& w = *graph.initializer(n.inputs[1]);
    const QuantParams p = weight_params(w, l.weight->axis, l.weight->bits);
    const ir::Tensor wq = dequantize_constant(quantize_constant(w, p), p);
    ir::Tensor dw(ir::DType::Float32, w.shape());
    for (int64_t i = 0; i < w.numel(); ++i)
      dw.data<float>()[i] = w.data<float>()[i] - wq.data<float>()[i];
    // The layer's own op on (E[x], dW), no bias: the mean output shift per channel.
    ir::Node shift = n;
    shift.inputs.resize(2);
    const ir::Tensor mean_x = in.mean();
    const std::vector<double> delta = channel_means(ref::run_node(shift, {&mean_x, &dw}).at(0));
    const int64_t channels = static_cast<int64_t>(delta.size());
    ir::Tensor bias(ir::DType::Float32, {channels});
    const ir::Tensor* old = n.input(2).empty() ? nullptr : graph.initializer(n.input(2));
    if (!n.input(2).empty() && (!old || old->dtype() != ir::DType::Float32 ||
                                (old->numel() != channels && old->numel() != 1)))
      continue;  // a computed or broadcast-shaped bias: left alone
    // Gemm adds beta * C.
    const double beta = n.op == "Gemm" ? n.attr_float("beta", 1.0f) : 1.0;
    if (beta == 0) continue;
    for (int64_t c = 0; c < channels; ++c)
      bias.data<float>()[c] = static_cast<float>(
          (old ? old->data<float>()[old->numel() == 1 ? 0 : c] : 0.0) + delta[c] / beta);
    const std::string name = graph.add_initializer(n.name + "_bias_corrected", bias);
    if (n.inputs.size() < 3) n.inputs.resize(3);
    n.inputs[2] = name;
    ++corrected;
  }
  graph.prune_unused();
  say(fmt::format("bias correction: {} biases corrected", corrected));
  return corrected;
}

}  // namespace qcv::quant
