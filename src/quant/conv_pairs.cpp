// The conv -> activation -> conv matcher shared by cross-layer equalization and high-bias
// absorption.
#include "quant/conv_pairs.h"

#include <cmath>

namespace qcv::quant {

namespace {

const ir::Tensor* float_initializer(const ir::Graph& g, const std::string& name) {
  const ir::Tensor* t = g.initializer(name);
  return t && t->dtype() == ir::DType::Float32 ? t : nullptr;
}

// A scalar bound of a Clip (attribute or initializer input); nullopt when absent or not constant.
std::optional<float> clip_bound(const ir::Graph& g, const ir::Node& n, size_t input,
                                const char* attr) {
  if (n.has_attr(attr)) return n.attr_float(attr, 0);
  if (n.input(input).empty()) return std::nullopt;
  const ir::Tensor* t = float_initializer(g, n.input(input));
  if (!t || t->numel() != 1) return std::nullopt;
  return static_cast<float>(t->as_double(0));
}

// The only reader of `value`, or -1 (several readers, none, or a graph output).
int only_reader(const ir::Graph& g, const std::string& value) {
  const std::vector<int> r = g.consumers(value);
  return r.size() == 1 && !g.is_graph_output(value) ? r[0] : -1;
}

// `v` is min(x, bound) with a constant bound of shape [C, 1, ...] (one value per channel).
bool is_channel_bound(const ir::Graph& g, const ir::Node& m, const std::string& v,
                      int64_t channels) {
  if (m.inputs.size() != 2) return false;
  const std::string& other = m.inputs[0] == v ? m.inputs[1] : m.inputs[0];
  const ir::Tensor* t = float_initializer(g, other);
  return t && t->numel() == channels && t->rank() >= 1 && t->dim(0) == channels;
}

}  // namespace

std::optional<ConvPair> match_conv_pair(const ir::Graph& g, int i, std::string& why) {
  ConvPair p;
  p.conv1 = i;
  const ir::Node& c1 = g.nodes[i];
  if (c1.op != "Conv") return std::nullopt;
  const ir::Tensor* w1 = float_initializer(g, c1.input(1));
  if (!w1 || w1->rank() < 3) return std::nullopt;
  if (!c1.input(2).empty() && !float_initializer(g, c1.input(2))) return std::nullopt;
  std::string v = c1.outputs[0];
  int k = only_reader(g, v);
  if (k >= 0 && g.nodes[k].op == "Relu") {
    p.relu = k;
    v = g.nodes[k].outputs[0];
    k = only_reader(g, v);
    if (k >= 0 && g.nodes[k].op == "Min" && is_channel_bound(g, g.nodes[k], v, w1->dim(0))) {
      p.min = k;
      v = g.nodes[k].outputs[0];
      k = only_reader(g, v);
    }
  } else if (k >= 0 && g.nodes[k].op == "Clip") {
    const ir::Node& clip = g.nodes[k];
    const auto lo = clip_bound(g, clip, 1, "min"), hi = clip_bound(g, clip, 2, "max");
    const int next = only_reader(g, clip.outputs[0]);
    if (next < 0 || g.nodes[next].op != "Conv") return std::nullopt;
    if (!lo || *lo != 0.0f || (hi && !(*hi > 0))) {
      why = "Clip '" + clip.name + "' is not Clip(0, M): not positive-homogeneous";
      return std::nullopt;
    }
    p.clip = k;
    p.clip_max = hi ? *hi : INFINITY;
    v = clip.outputs[0];
    k = next;
  }
  if (k < 0 || g.nodes[k].op != "Conv" || g.nodes[k].inputs[0] != v) return std::nullopt;
  p.conv2 = k;
  const ir::Node& c2 = g.nodes[k];
  const ir::Tensor* w2 = float_initializer(g, c2.input(1));
  const int64_t channels = w1->dim(0);
  if (!w2 || w2->rank() != w1->rank()) {
    why = "Conv '" + c2.name + "' has no constant weight";
    return std::nullopt;
  }
  const int64_t group = c2.attr_int("group", 1);
  const bool plain = group == 1 && w2->dim(1) == channels;
  p.depthwise = group == channels && w2->dim(0) == channels && w2->dim(1) == 1;
  if (!plain && !p.depthwise) {
    why = "Conv '" + c2.name + "' is grouped (group " + std::to_string(group) + ")";
    return std::nullopt;
  }
  return p;
}

size_t min_bound_input(const ir::Graph& g, const ConvPair& p) {
  return g.nodes[p.min].inputs[0] == g.nodes[p.relu].outputs[0] ? 1 : 0;
}

ir::Tensor& OwnedInitializers::own(ir::Node& n, size_t k) {
  std::string& name = n.inputs[k];
  if (!owned_.count(name)) {
    name = g_.add_initializer(name + suffix_, g_.initializers.at(name).clone());
    owned_.insert(name);
  }
  return g_.initializers.at(name);
}

}  // namespace qcv::quant
