#include "onnx/legacy_ops.h"
#include "onnx/legacy_tensor.h"

#include <algorithm>
#include <limits>

namespace qcv::onnx::detail {

namespace {

std::string node_ref(const ir::Node& n) { return fmt::format("node '{}' ({})", n.name, n.op); }

// Clip-6..10 keeps its bounds in attributes; Clip-11+ takes them as optional inputs.
void clip_bounds_to_inputs(ir::Graph& g, ir::Node& n) {
  bool has_min = n.has_attr("min"), has_max = n.has_attr("max");
  if (!has_min && !has_max) return;
  std::string min_name, max_name;
  if (has_min)
    min_name = g.add_initializer(n.name + "_min", ir::Tensor::scalar(n.attr_float("min", 0)));
  if (has_max)
    max_name = g.add_initializer(n.name + "_max", ir::Tensor::scalar(n.attr_float("max", 0)));
  n.attrs.erase("min");
  n.attrs.erase("max");
  n.inputs.resize(1);
  n.inputs.push_back(min_name);  // "" = omitted optional input
  if (has_max) n.inputs.push_back(max_name);
}

// Squeeze/Unsqueeze before opset 13 take `axes` as an attribute; 13+ as an int64 input.
void axes_to_input(ir::Graph& g, ir::Node& n) {
  if (!n.has_attr("axes")) return;
  if (n.inputs.size() > 1) fail("{}: has both an axes attribute and an axes input", node_ref(n));
  std::vector<int64_t> axes = n.attr_ints("axes");
  auto count = static_cast<int64_t>(axes.size());
  n.inputs.push_back(
      g.add_initializer(n.name + "_axes", ir::Tensor::from_vector<int64_t>({count}, axes)));
  n.attrs.erase("axes");
}

void check_batch_norm(ir::Node& n) {
  if (n.attr_int("spatial", 1) != 1)
    fail("{}: attribute spatial=0 (per-activation statistics) is not supported", node_ref(n));
  // Harmless in inference: is_test (always true for us), consumed_inputs (an old memory hint).
  // training_mode=1 stays: the reference kernel normalizes with the batch statistics.
  n.attrs.erase("spatial");
  n.attrs.erase("is_test");
  n.attrs.erase("consumed_inputs");
  if (n.attr_int("training_mode", 0) == 0) n.attrs.erase("training_mode");
}

// Upsample (1: height_scale/width_scale, 7: scales attribute, 9: scales input) and Resize-10
// (X, scales) are Resize-11+ with asymmetric coordinates and floor rounding for nearest:
// rewritten into that form.
void upsample_to_resize(ir::Graph& g, ir::Node& n) {
  std::string scales;
  if (n.has_attr("height_scale") || n.has_attr("width_scale")) {  // Upsample-1 (experimental)
    std::vector<float> values = {1, 1, n.attr_float("height_scale", 1), n.attr_float("width_scale", 1)};
    scales = g.add_initializer(n.name + "_scales", ir::Tensor::from_vector<float>({4}, values));
  } else if (n.has_attr("scales")) {
    if (n.inputs.size() != 1) fail("{}: has both a scales attribute and a scales input", node_ref(n));
    std::vector<float> values = n.attr_floats("scales", {});
    auto count = static_cast<int64_t>(values.size());
    scales = g.add_initializer(n.name + "_scales", ir::Tensor::from_vector<float>({count}, values));
  } else {
    if (n.inputs.size() != 2) fail("{}: expected inputs X and scales", node_ref(n));
    scales = n.inputs[1];
  }
  std::string mode = n.attr_string("mode", "nearest");
  if (mode == "bilinear") mode = "linear";  // Upsample-7's name for 2-D linear
  if (mode != "nearest" && mode != "linear")
    fail("{}: unsupported mode '{}'", node_ref(n), mode);
  n.op = "Resize";
  n.inputs = {n.inputs[0], "", scales};
  n.attrs.clear();
  n.attrs["mode"] = mode;
  n.attrs["coordinate_transformation_mode"] = std::string("asymmetric");
  n.attrs["nearest_mode"] = std::string("floor");
}

// LpPool-1/GlobalLpPool-1 take p as a float; 2+ as an int.
void lp_norm_to_int(ir::Node& n) {
  auto it = n.attrs.find("p");
  if (it == n.attrs.end() || !std::holds_alternative<float>(it->second)) return;
  float p = std::get<float>(it->second);
  if (!(p >= 1) || p != static_cast<float>(static_cast<int64_t>(p)))
    fail("{}: attribute p={} is not supported (only positive integers)", node_ref(n), p);
  it->second = static_cast<int64_t>(p);
}

}  // namespace

void upgrade_node_forms(ir::Graph& g, int64_t opset) {
  // Indices, not references: adding initializers does not move nodes, but keep it obviously safe.
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    // legacy_math.cpp: consumed_inputs, and pre-opset-7 broadcast/axis. When it inserts a
    // Reshape before node i, go on with the node (now at i + 1).
    bool upgrade_math_node(ir::Graph & g, size_t i, int64_t opset);
    if (upgrade_math_node(g, i, opset)) continue;
    ir::Node& n = g.nodes[i];
    if (n.op == "Clip" && opset < 11)
      clip_bounds_to_inputs(g, n);
    else if ((n.op == "Squeeze" || n.op == "Unsqueeze") && opset < 13)
      axes_to_input(g, n);
    else if (n.op == "BatchNormalization")
      check_batch_norm(n);
    else if (n.op == "Dropout") {
      n.attrs.erase("is_test");  // ratio is kept; IR Dropout is the identity at inference
    }
    // == family math: elementwise math, comparison, logic, variadic Min/Max/Sum/Mean, Where ==
    // (upgrade_math_node above: it may insert nodes, so it runs before `n` is taken)
    // == end math ==
    // == family tensor: data movement, indexing, shape ops: Pad, Transpose, Slice, Split, Tile, Expand, ... ==
    else if (upgrade_tensor_node(g, n, opset)) {
    }  // Pad, Slice, Split, Scatter, Concat, Reshape, Cast: legacy_tensor.cpp
    // == end tensor ==
    // == family reduce: reductions, ArgMax/TopK, normalizations, Softmax family, losses, Einsum ==
    else if (n.op == "ReduceSum" && opset < 13)
      axes_to_input(g, n);  // the other Reduce* keep the attribute: their form up to opset 17
    else if (n.op == "TopK" && n.has_attr("k")) {  // TopK-1: k is an attribute, later an input
      n.inputs.push_back(g.add_initializer(
          n.name + "_k", ir::Tensor::from_vector<int64_t>({1}, {n.attr_int("k")})));
      n.attrs.erase("k");
    } else if (n.op == "InstanceNormalization") {
      n.attrs.erase("consumed_inputs");  // InstanceNormalization-1's memory hint
    }
    // == end reduce ==
    // == family window: ConvTranspose, pooling variants, Resize/Upsample, DepthToSpace ==
    else if (n.op == "Upsample" || (n.op == "Resize" && opset < 11))
      upsample_to_resize(g, n);
    else if (n.op == "LpPool" || n.op == "GlobalLpPool")
      lp_norm_to_int(n);
    else if (n.op == "RoiAlign" && opset < 16 && !n.has_attr("coordinate_transformation_mode"))
      n.attrs["coordinate_transformation_mode"] = std::string("output_half_pixel");  // RoiAlign-10
    // == end window ==
    // == family quant: integer and dynamic quantization ops ==
    // == end quant ==
  }
}

bool rewritten_at_import(const std::string& op) { return op == "Upsample"; }

bool upgrade_softmax(ir::Graph& g, int64_t opset) {
  if (opset >= 13) return false;
  bool changed = false;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    const std::string op = g.nodes[i].op;
    if (op != "Softmax" && op != "LogSoftmax" && op != "Hardmax") continue;
    changed = true;
    ir::Node& n = g.nodes[i];
    int64_t axis = n.attr_int("axis", 1);
    auto x = g.value_type(n.inputs.at(0));
    if (x && x->has_shape) {
      auto rank = static_cast<int64_t>(x->shape.size());
      if (axis < 0) axis += rank;
      if (axis < 0 || axis >= std::max<int64_t>(rank, 1))
        fail("{}: axis {} out of range for input rank {}", node_ref(n), n.attr_int("axis", 1),
             rank);
      if (axis >= rank - 1) {  // the 2-D coercion is then a no-op
        n.attrs["axis"] = std::max<int64_t>(rank - 1, 0);
        continue;
      }
    } else if (axis < 0) {
      fail("{}: negative axis {} with an input of unknown rank", node_ref(n), axis);
    }
    // The op over the flattened trailing dims: Flatten(axis) -> Softmax(-1) -> Reshape to x's
    // shape. Each new node enters the graph before the next unique_name() so that names never
    // collide.
    const std::string base = n.name, input = n.inputs[0], output = n.outputs.at(0);
    std::string flat = g.unique_name(base + "_flat");
    g.nodes[i] =
        ir::Node{g.unique_name(base + "_flatten"), "Flatten", {input}, {flat}, {{"axis", axis}}};
    std::string soft = g.unique_name(base + "_2d");
    g.nodes.insert(g.nodes.begin() + ++i,
                   ir::Node{base, op, {flat}, {soft}, {{"axis", int64_t{-1}}}});
    std::string shape;
    if (x && x->has_shape && std::count(x->shape.begin(), x->shape.end(), -1) <= 1) {
      // A constant target (-1 for the one unknown dim) keeps the output shape known.
      auto rank = static_cast<int64_t>(x->shape.size());
      shape =
          g.add_initializer(base + "_shape", ir::Tensor::from_vector<int64_t>({rank}, x->shape));
    } else {
      shape = g.unique_name(base + "_shape");
      g.nodes.insert(g.nodes.begin() + ++i,
                     ir::Node{g.unique_name(base + "_shape_of"), "Shape", {input}, {shape}, {}});
    }
    g.nodes.insert(
        g.nodes.begin() + ++i,
        ir::Node{g.unique_name(base + "_reshape"), "Reshape", {soft, shape}, {output}, {}});
  }
  return changed;
}

}  // namespace qcv::onnx::detail
