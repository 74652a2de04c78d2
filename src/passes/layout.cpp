// Layout passes for imported models: a zero constant Pad folds into the Conv/AveragePool after
// it (Keras' ZeroPadding2D before a stride-2 conv), and Transpose pairs compose (tf2onnx writes
// NHWC<->NCHW pairs around ops it could not convert; they often cancel).
#include <numeric>
#include <optional>

#include "passes/graph_edit.h"
#include "passes/passes.h"

namespace qcv::passes {
namespace {

// pads [begin..., end...] of a constant-mode zero Pad on a 4-D or 3-D/5-D tensor, when they
// touch only the spatial axes and are non-negative; nullopt otherwise.
std::optional<std::vector<int64_t>> zero_spatial_pads(const ir::Graph& g, const ir::Node& pad) {
  if (pad.attr_string("mode", "constant") != "constant") return std::nullopt;
  if (pad.inputs.size() < 2 || pad.inputs.size() > 3) return std::nullopt;  // no axes input
  const ir::Tensor* pads = g.initializer(pad.inputs[1]);
  if (!pads) return std::nullopt;
  if (pad.inputs.size() == 3 && !pad.inputs[2].empty()) {
    const ir::Tensor* value = g.initializer(pad.inputs[2]);
    if (!value || value->numel() != 1 || value->as_double(0) != 0.0) return std::nullopt;
  }
  std::vector<int64_t> p = pads->to_int64_vector();
  const size_t rank = p.size() / 2;
  if (rank < 3 || p.size() != 2 * rank) return std::nullopt;
  for (size_t i = 0; i < p.size(); ++i) {
    const size_t axis = i % rank;
    if (p[i] < 0 || (axis < 2 && p[i] != 0)) return std::nullopt;
  }
  return p;
}

// Whether node n can take extra zero padding in its `pads` attribute with the same result.
bool takes_zero_pads(const ir::Node& n) {
  if (n.attr_string("auto_pad", "NOTSET") != "NOTSET") return false;
  if (n.op == "Conv") return true;
  // Zero padding counted in the average is what count_include_pad=1 computes.
  return n.op == "AveragePool" && n.attr_int("count_include_pad", 0) == 1;
}

}  // namespace

bool fold_pad_into_window(ir::Graph& g) {
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const ir::Node& pad = g.nodes[i];
    if (pad.op != "Pad" || pad.outputs.size() != 1) continue;
    auto p = zero_spatial_pads(g, pad);
    if (!p) continue;
    const std::string out = pad.outputs[0];
    if (g.is_graph_output(out)) continue;
    std::vector<size_t> readers;
    bool all_fold = true;
    for (size_t k = 0; k < g.nodes.size(); ++k)
      for (size_t s = 0; s < g.nodes[k].inputs.size(); ++s)
        if (g.nodes[k].inputs[s] == out) {
          all_fold = all_fold && s == 0 && takes_zero_pads(g.nodes[k]);
          readers.push_back(k);
        }
    if (readers.empty() || !all_fold) continue;
    const size_t rank = p->size() / 2, spatial = rank - 2;
    for (size_t k : readers) {
      ir::Node& n = g.nodes[k];
      std::vector<int64_t> pads = n.attr_ints("pads", std::vector<int64_t>(2 * spatial, 0));
      if (pads.size() != 2 * spatial) continue;
      for (size_t d = 0; d < spatial; ++d) {
        pads[d] += (*p)[2 + d];
        pads[spatial + d] += (*p)[rank + 2 + d];
      }
      n.attrs["pads"] = pads;
      n.inputs[0] = pad.inputs[0];
    }
    changed = true;  // the Pad is now unread: dead-code elimination removes it
  }
  return changed;
}

bool cancel_transposes(ir::Graph& g) {
  bool changed = false;
  for (ir::Node& second : g.nodes) {
    if (second.op != "Transpose") continue;
    const int p = g.producer(second.inputs[0]);
    if (p < 0 || g.nodes[p].op != "Transpose") continue;
    const ir::Node& first = g.nodes[p];
    auto type = g.value_type(first.inputs[0]);
    if (!type || !type->has_shape) continue;
    const size_t rank = type->shape.size();
    auto perm_of = [rank](const ir::Node& t) {
      std::vector<int64_t> reversed(rank);
      std::iota(reversed.rbegin(), reversed.rend(), 0);
      return t.attr_ints("perm", reversed);
    };
    std::vector<int64_t> a = perm_of(first), b = perm_of(second);
    if (a.size() != rank || b.size() != rank) continue;
    // out[k] = mid[b[k]] = in[a[b[k]]]
    std::vector<int64_t> composed(rank);
    for (size_t k = 0; k < rank; ++k) composed[k] = a[b[k]];
    second.inputs[0] = first.inputs[0];
    second.attrs["perm"] = composed;
    changed = true;  // an identity Transpose is removed by remove_identity_transposes below
  }
  // An identity permutation passes its input through.
  for (size_t i = 0; i < g.nodes.size();) {
    const ir::Node& n = g.nodes[i];
    bool identity = false;
    if (n.op == "Transpose" && n.has_attr("perm")) {
      std::vector<int64_t> perm = n.attr_ints("perm");
      identity = true;
      for (size_t k = 0; k < perm.size(); ++k) identity = identity && perm[k] == int64_t(k);
    }
    if (identity && bypass_node(g, i, n.inputs[0])) {
      changed = true;
      continue;
    }
    ++i;
  }
  return changed;
}

}  // namespace qcv::passes
