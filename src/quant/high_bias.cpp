// High-bias absorption (Nagel et al., "Data-Free Quantization", 2019, section 4.2) with c
// measured on the calibration data: for conv1 -> Relu [-> Min(bound)] -> conv2, when channel i's
// pre-activation x_i stays >= c_i >= 0, relu(x_i) = relu(x_i - c_i) + c_i (and min(x_i, B_i) =
// min(x_i - c_i, B_i - c_i) + c_i), so c_i leaves conv1's bias and enters conv2's bias through
// conv2's weights: the activation conv2 reads loses c_i of range, the FP32 function is unchanged.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <limits>

#include "quant/conv_pairs.h"
#include "quant/quant.h"

namespace qcv::quant {

namespace {

// Per-channel statistics of one pre-activation tensor [N, C, ...]: pass 1 the range, pass 2 a
// histogram of the values in [0, max_c] (values below 0 only counted).
struct ChannelStats {
  int64_t channels = 0;
  std::vector<float> min, max;
  std::vector<double> count, below;  // below: values < 0 (pass 2)
  std::vector<uint32_t> hist;        // channels x bins
  int bins = 0;

  void observe_range(const std::string& name, const ir::Tensor& t) {
    check(name, t);
    each(t, [&](int64_t c, float x) {
      min[c] = std::min(min[c], x);
      max[c] = std::max(max[c], x);
      count[c] += 1;
    });
  }

  void observe_histogram(const ir::Tensor& t) {
    each(t, [&](int64_t c, float x) {
      if (!(x >= 0)) {
        below[c] += 1;  // NaN too: never a reason to absorb
        return;
      }
      const double w = max[c] / bins;
      const int64_t b = w > 0 ? std::min<int64_t>(bins - 1, int64_t(x / w)) : 0;
      ++hist[c * bins + b];
    });
  }

  // The lower edge of the histogram bin holding the q-quantile (never above the quantile), raised
  // to the observed min (the quantile is never below it); 0 when the quantile is below 0.
  float quantile_floor(int64_t c, double q) const {
    if (count[c] == 0 || !(max[c] > 0)) return 0;
    const double cut = q * count[c];
    double seen = below[c];
    if (seen > cut) return 0;
    const double w = double(max[c]) / bins;
    for (int b = 0; b < bins; ++b) {
      seen += hist[c * bins + b];
      if (seen > cut) return std::max(0.0f, std::max(float(b * w), min[c]));
    }
    return std::max(0.0f, min[c]);
  }

 private:
  void check(const std::string& name, const ir::Tensor& t) {
    if (t.dtype() != ir::DType::Float32 || t.rank() < 2 || t.dim(1) != channels)
      fail("high-bias absorption: '{}' is {} {}, expected float32 with {} channels", name,
           ir::dtype_name(t.dtype()), ir::shape_str(t.shape()), channels);
  }
  template <class F>
  void each(const ir::Tensor& t, F f) {
    const int64_t inner = t.numel() / std::max<int64_t>(1, t.dim(0) * channels);
    const float* x = t.data<float>();
    for (int64_t n = 0; n < t.dim(0); ++n)
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t j = 0; j < inner; ++j) f(c, x[(n * channels + c) * inner + j]);
  }
};

bool padded(const ir::Node& conv) {
  if (conv.has_attr("auto_pad")) {
    const std::string a = conv.attr_string("auto_pad", "NOTSET");
    if (a == "SAME_UPPER" || a == "SAME_LOWER") return true;
  }
  for (int64_t p : conv.attr_ints("pads", {}))
    if (p != 0) return true;
  return false;
}

// The bias of a Conv as an owned tensor of `channels` values (added as zeros when absent).
ir::Tensor& own_bias(ir::Graph& g, OwnedInitializers& owned, ir::Node& conv, int64_t channels) {
  if (conv.input(2).empty()) {
    conv.inputs.resize(3);
    conv.inputs[2] =
        g.add_initializer(conv.name + "_bias", ir::Tensor(ir::DType::Float32, {channels}));
    std::fill_n(g.initializers.at(conv.inputs[2]).data<float>(), channels, 0.0f);
  }
  return owned.own(conv, 2);
}

}  // namespace

HighBiasReport absorb_high_biases(ir::Graph& graph, const Backend& backend, CalibrationData& data,
                                  const HighBiasOptions& options,
                                  const CalibrationOptions& progress) {
  if (!(options.quantile >= 0 && options.quantile < 1))
    fail("high-bias absorption: quantile {} is not in [0, 1)", options.quantile);
  HighBiasReport report;
  std::vector<ConvPair> pairs;
  for (int i = 0; i < static_cast<int>(graph.nodes.size()); ++i) {
    std::string why;
    std::optional<ConvPair> p = match_conv_pair(graph, i, why);
    const std::string name = "Conv '" + graph.nodes[i].name + "'";
    if (!p) {
      if (!why.empty()) report.skipped.push_back(name + ": " + why);
      continue;
    }
    if (p->clip >= 0) {
      report.skipped.push_back(name + ": Clip '" + graph.nodes[p->clip].name +
                               "' (ReLU6) would need a per-channel bound (--cle with "
                               "--cle-relu6 clip or relu makes the pair absorbable)");
      continue;
    }
    if (p->relu < 0) continue;  // no lower bound to move
    if (!options.padded_second_conv && padded(graph.nodes[p->conv2])) {
      report.skipped.push_back(name + ": Conv '" + graph.nodes[p->conv2].name +
                               "' pads its input (the padding would not see c)");
      continue;
    }
    pairs.push_back(*p);
  }
  if (pairs.empty()) return report;

  std::map<std::string, ChannelStats> stats;
  std::vector<std::string> observed;
  for (const ConvPair& p : pairs) {
    const ir::Node& c1 = graph.nodes[p.conv1];
    ChannelStats& s = stats[c1.outputs[0]];
    s.channels = graph.initializer(c1.inputs[1])->dim(0);
    s.min.assign(s.channels, std::numeric_limits<float>::infinity());
    s.max.assign(s.channels, -std::numeric_limits<float>::infinity());
    s.count.assign(s.channels, 0.0);
    s.below.assign(s.channels, 0.0);
    s.bins = options.bins;
    observed.push_back(c1.outputs[0]);
  }
  const auto say = [&](const std::string& line) { report_progress(progress, line); };
  for (int pass = 1; pass <= 2; ++pass) {
    say(fmt::format("high-bias absorption pass {}/2: {} pre-activations over {} batches", pass,
                    observed.size(), data.num_batches()));
    if (pass == 2)
      for (auto& [name, s] : stats) s.hist.assign(size_t(s.channels) * size_t(s.bins), 0);
    Runner run = backend(graph, observed, [&](const std::string& name, const ir::Tensor& t) {
      auto it = stats.find(name);
      if (it == stats.end())
        fail("high-bias absorption: backend observed '{}', which was not asked", name);
      if (pass == 1)
        it->second.observe_range(name, t);
      else
        it->second.observe_histogram(t);
    });
    run_every_batch(data, "high-bias absorption", run);
  }

  OwnedInitializers owned(graph, "_absorbed");
  for (const ConvPair& p : pairs) {
    ir::Node& c1 = graph.nodes[p.conv1];
    const ChannelStats& s = stats.at(c1.outputs[0]);
    const int64_t channels = s.channels;
    std::vector<float> c(channels, 0.0f);
    const float* bound = nullptr;
    if (p.min >= 0)
      bound =
          graph.initializer(graph.nodes[p.min].inputs[min_bound_input(graph, p)])->data<float>();
    bool any = false;
    for (int64_t i = 0; i < channels; ++i) {
      c[i] = s.quantile_floor(i, options.quantile);
      // Above the bound the channel is constant: moving more than B_i changes nothing further.
      if (bound) c[i] = std::min(c[i], std::max(0.0f, bound[i]));
      any = any || c[i] > 0;
    }
    if (!any) continue;
    ++report.pairs;
    float* b1 = own_bias(graph, owned, c1, channels).data<float>();
    for (int64_t i = 0; i < channels; ++i) b1[i] -= c[i];
    if (bound) {
      ir::Node& m = graph.nodes[p.min];
      float* b = owned.own(m, min_bound_input(graph, p)).data<float>();
      for (int64_t i = 0; i < channels; ++i) b[i] -= c[i];
    }
    // conv2's bias gains W2 . c: every tap of input channel i reads c_i more.
    ir::Node& c2 = graph.nodes[p.conv2];
    const ir::Tensor& w2 = *graph.initializer(c2.inputs[1]);
    const int64_t out2 = w2.dim(0), in2 = w2.dim(1), taps = w2.numel() / (out2 * in2);
    std::vector<double> shift(out2, 0.0);
    const float* w = w2.data<float>();
    for (int64_t o = 0; o < out2; ++o)
      for (int64_t k = 0; k < in2; ++k) {
        const int64_t i = p.depthwise ? o : k;
        for (int64_t j = 0; j < taps; ++j) shift[o] += double(w[(o * in2 + k) * taps + j]) * c[i];
      }
    float* b2 = own_bias(graph, owned, c2, out2).data<float>();
    for (int64_t o = 0; o < out2; ++o) b2[o] = float(b2[o] + shift[o]);
    for (int64_t i = 0; i < channels; ++i) report.channels += c[i] > 0;
    report.absorbed.push_back({c1.name, c2.name, std::move(c)});
  }
  graph.value_info.clear();
  graph.prune_unused();
  say(fmt::format("high-bias absorption: {} pairs, {} channels shifted", report.pairs,
                  report.channels));
  return report;
}

}  // namespace qcv::quant
