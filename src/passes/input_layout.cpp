// Image input layouts. Models from TensorFlow/Keras take NHWC images; qcv's data pipeline,
// calibration and trainer feed NCHW. Rather than teach every command two layouts, a model's NHWC
// input gets an NCHW interface here (a Transpose in front, which canonicalize() then cancels
// against the exporter's own NHWC->NCHW Transpose), and a written model gets its NHWC interface
// back the same way.
#include "passes/graph_edit.h"
#include "passes/passes.h"

namespace qcv::passes {
namespace {

// Input `index` keeps its name but gets `shape`; the model's nodes read it through a Transpose
// with `perm`.
void reinterface_input(ir::Graph& g, size_t index, const std::vector<int64_t>& perm) {
  ir::Value& in = g.inputs.at(index);
  if (!in.has_shape || in.shape.size() != 4)
    fail("graph input '{}': a layout change needs a 4-D input, got {}", in.name,
         in.has_shape ? ir::shape_str(in.shape) : "an unknown shape");
  const std::string name = in.name;
  const std::string inner = g.unique_name(name + "_layout");
  for (ir::Node& n : g.nodes)
    for (std::string& s : n.inputs)
      if (s == name) s = inner;
  for (ir::Value& out : g.outputs)
    if (out.name == name) fail("graph input '{}' is also a graph output", name);
  // The new outer shape: outer[perm[k]] = inner[k] for the Transpose outer -> inner.
  ir::Shape outer(4);
  std::vector<std::string> outer_names(in.dim_names.size());
  for (size_t k = 0; k < 4; ++k) {
    outer[perm[k]] = in.shape[k];
    if (!in.dim_names.empty()) outer_names[perm[k]] = in.dim_names[k];
  }
  // Transpose(outer, perm_t) = inner  <=>  inner[k] = outer[perm_t[k]]  <=>  perm_t = perm.
  g.nodes.insert(g.nodes.begin(), ir::Node{g.unique_name(name + "_to_model_layout"), "Transpose",
                                           {name}, {inner}, {{"perm", perm}}});
  in.shape = outer;
  in.dim_names = outer_names;
}

}  // namespace

InputLayout detect_input_layout(const ir::Value& input) {
  if (!input.has_shape || input.shape.size() != 4) return InputLayout::NCHW;
  const int64_t c_first = input.shape[1], c_last = input.shape[3];
  const bool last_is_channels = c_last == 1 || c_last == 3;
  const bool first_is_channels = c_first == 1 || c_first == 3;
  return last_is_channels && !first_is_channels ? InputLayout::NHWC : InputLayout::NCHW;
}

void make_input_nchw(ir::Graph& g, size_t index) {
  // Model reads NHWC: inner[k] = outer[perm[k]] with outer NCHW -> perm (0,2,3,1).
  reinterface_input(g, index, {0, 2, 3, 1});
  canonicalize(g);
}

void make_input_nhwc(ir::Graph& g, size_t index) {
  reinterface_input(g, index, {0, 3, 1, 2});
  canonicalize(g);
}

}  // namespace qcv::passes
