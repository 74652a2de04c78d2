// Cross-layer equalization (Nagel et al., "Data-Free Quantization", 2019): for conv1 -> act ->
// conv2 with a positive-homogeneous act (act(x / s) = act(x) / s for s > 0), output channel i of
// conv1 divided by s_i and input channel i of conv2 multiplied by s_i compute the same function;
// s_i = sqrt(r1_i / r2_i) gives both the per-channel weight range sqrt(r1_i * r2_i), so a
// per-tensor weight scale fits every channel.
#include <algorithm>
#include <cmath>
#include <optional>
#include <set>

#include "quant/conv_pairs.h"
#include "quant/quant.h"

namespace qcv::quant {

namespace {

class Equalizer {
 public:
  Equalizer(ir::Graph& g, const EqualizeOptions& o) : g_(g), o_(o) {}

  // The pair starting at conv node i, or a reason it is not one ("" when conv1's output does not
  // lead to a conv at all: nothing worth reporting).
  std::optional<ConvPair> match(int i, std::string& why) {
    std::optional<ConvPair> p = match_conv_pair(g_, i, why);
    if (p && p->clip >= 0 && o_.relu6 == Relu6Policy::Skip) {
      why = "Clip '" + g_.nodes[p->clip].name +
            "' between them is not positive-homogeneous (--cle-relu6 skip)";
      return std::nullopt;
    }
    return p;
  }

  // Scales one pair; returns max_i |log s_i| (0: already equal).
  double apply(ConvPair& p) {
    ir::Node& c1 = g_.nodes[p.conv1];
    ir::Node& c2 = g_.nodes[p.conv2];
    ir::Tensor& w1 = own(c1, 1);
    ir::Tensor& w2 = own(c2, 1);
    const int64_t channels = w1.dim(0);
    const bool depthwise = p.depthwise;
    const int64_t inner1 = w1.numel() / channels;
    const int64_t out2 = w2.dim(0), in2 = w2.dim(1), inner2 = w2.numel() / (out2 * in2);
    float* a = w1.data<float>();
    float* b = w2.data<float>();
    // Input channel i of conv2: row i of a depthwise weight, else column i of every row.
    const auto each_in2 = [&](int64_t i, auto f) {
      for (int64_t o = depthwise ? i : 0; o < (depthwise ? i + 1 : out2); ++o)
        for (int64_t j = 0; j < inner2; ++j) f(b[(o * in2 + (depthwise ? 0 : i)) * inner2 + j]);
    };
    std::vector<double> s(channels, 1.0);
    double moved = 0;
    for (int64_t i = 0; i < channels; ++i) {
      double r1 = 0, r2 = 0;
      for (int64_t j = 0; j < inner1; ++j) r1 = std::max(r1, std::fabs(double(a[i * inner1 + j])));
      each_in2(i, [&](float x) { r2 = std::max(r2, std::fabs(double(x))); });
      if (r1 > 0 && r2 > 0) s[i] = std::sqrt(r1 * r2) / r2;  // a dead channel stays as it is
      moved = std::max(moved, std::fabs(std::log(s[i])));
    }
    if (moved == 0) return 0;
    for (int64_t i = 0; i < channels; ++i) {
      for (int64_t j = 0; j < inner1; ++j) a[i * inner1 + j] = float(a[i * inner1 + j] / s[i]);
      each_in2(i, [&](float& x) { x = float(x * s[i]); });
    }
    if (!c1.input(2).empty()) {
      ir::Tensor& bias = own(c1, 2);
      for (int64_t i = 0; i < channels; ++i)
        bias.data<float>()[i] = float(bias.data<float>()[i] / s[i]);
    }
    if (p.clip >= 0) scale_clip(p, s);
    if (p.min >= 0) {
      ir::Node& m = g_.nodes[p.min];
      ir::Tensor& bound = own(m, min_bound_input(g_, p));
      for (int64_t i = 0; i < channels; ++i)
        bound.data<float>()[i] = float(bound.data<float>()[i] / s[i]);
    }
    return moved;
  }

  EqualizeReport run() {
    EqualizeReport report;
    std::set<std::pair<int, int>> counted;
    for (int round = 0; round < o_.max_rounds; ++round) {
      double moved = 0;
      // Node indices stay valid: a Clip turned into Relu -> Min appends the Min at the end.
      for (int i = 0; i < static_cast<int>(g_.nodes.size()); ++i) {
        if (g_.nodes[i].op != "Conv") continue;
        std::string why;
        std::optional<ConvPair> p = match(i, why);
        if (!p) {
          if (round == 0 && !why.empty())
            report.skipped.push_back("Conv '" + g_.nodes[i].name + "': " + why);
          continue;
        }
        if (counted.insert({p->conv1, p->conv2}).second) ++report.pairs;
        if (p->clip >= 0)
          ++(o_.relu6 == Relu6Policy::Relu ? report.clips_replaced : report.clips_made_per_channel);
        moved = std::max(moved, apply(*p));
      }
      report.rounds = round + 1;
      if (moved < o_.tolerance) break;
    }
    if (report.clips_made_per_channel > 0 || report.clips_replaced > 0) g_.sort();
    g_.value_info.clear();
    g_.prune_unused();
    return report;
  }

 private:
  // Clip(0, M) after scaling by 1/s: exactly Relu then min(x, M / s_i) per channel (relu6
  // PerChannelClip), or Relu alone (Relu6Policy::Relu: M dropped, the DFQ paper's choice).
  void scale_clip(ConvPair& p, const std::vector<double>& s) {
    ir::Node& clip = g_.nodes[p.clip];
    const std::string x = clip.inputs[0], y = clip.outputs[0];
    clip.op = "Relu";
    clip.inputs = {x};
    clip.attrs.clear();
    p.relu = p.clip;
    p.clip = -1;
    if (o_.relu6 == Relu6Policy::Relu || std::isinf(p.clip_max)) return;
    const int64_t channels = static_cast<int64_t>(s.size());
    const int64_t rank = g_.initializer(g_.nodes[p.conv1].input(1))->rank() - 1;
    ir::Shape shape(static_cast<size_t>(rank), 1);
    shape[0] = channels;
    ir::Tensor bound(ir::DType::Float32, shape);
    for (int64_t i = 0; i < channels; ++i) bound.data<float>()[i] = float(p.clip_max / s[i]);
    ir::Node m;
    m.op = "Min";
    m.name = g_.unique_name(clip.name + "_per_channel_max");
    const std::string relu_out = g_.unique_name(y + "_relu");
    m.inputs = {relu_out, g_.add_initializer(clip.name + "_max", bound)};
    m.outputs = {y};
    g_.nodes[p.relu].outputs = {relu_out};
    g_.nodes.push_back(m);
  }

  ir::Tensor& own(ir::Node& n, size_t k) { return owned_.own(n, k); }

  ir::Graph& g_;
  const EqualizeOptions& o_;
  OwnedInitializers owned_{g_, "_equalized"};
};

}  // namespace

Relu6Policy relu6_policy_by_name(const std::string& name) {
  if (name == "clip") return Relu6Policy::PerChannelClip;
  if (name == "relu") return Relu6Policy::Relu;
  if (name == "skip") return Relu6Policy::Skip;
  fail("unknown ReLU6 policy '{}' for cross-layer equalization (expected clip, relu or skip)",
       name);
}

EqualizeReport equalize_cross_layer(ir::Graph& graph, const EqualizeOptions& options) {
  return Equalizer(graph, options).run();
}

}  // namespace qcv::quant
