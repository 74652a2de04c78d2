#include "onnx/legacy_tensor.h"

#include <map>

namespace qcv::onnx::detail {
namespace {

std::string node_ref(const ir::Node& n) { return fmt::format("node '{}' ({})", n.name, n.op); }

std::string int64_input(ir::Graph& g, const ir::Node& n, const std::string& suffix,
                        const std::vector<int64_t>& v) {
  return g.add_initializer(n.name + suffix,
                           ir::Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v));
}

// Pad-1 (`paddings`) and Pad-2 (`pads`, `value`) -> Pad-11 inputs (pads, constant_value).
void pad_attributes_to_inputs(ir::Graph& g, ir::Node& n) {
  const char* key = n.has_attr("pads") ? "pads" : n.has_attr("paddings") ? "paddings" : nullptr;
  if (!key) fail("{}: Pad before opset 11 needs a pads attribute", node_ref(n));
  if (n.inputs.size() != 1) fail("{}: Pad before opset 11 takes one input", node_ref(n));
  n.inputs.push_back(int64_input(g, n, "_pads", n.attr_ints(key)));
  float value = n.attr_float("value", 0.0f);
  // The kernel converts this float to the input's dtype, as Pad-2 does.
  if (value != 0.0f)
    n.inputs.push_back(g.add_initializer(n.name + "_value", ir::Tensor::scalar(value)));
  n.attrs.erase("pads");
  n.attrs.erase("paddings");
  n.attrs.erase("value");
}

// Slice-1: starts/ends/axes attributes -> inputs.
void slice_attributes_to_inputs(ir::Graph& g, ir::Node& n) {
  if (!n.has_attr("starts") || !n.has_attr("ends"))
    fail("{}: Slice before opset 10 needs starts and ends attributes", node_ref(n));
  if (n.inputs.size() != 1) fail("{}: Slice before opset 10 takes one input", node_ref(n));
  n.inputs.push_back(int64_input(g, n, "_starts", n.attr_ints("starts")));
  n.inputs.push_back(int64_input(g, n, "_ends", n.attr_ints("ends")));
  if (n.has_attr("axes")) n.inputs.push_back(int64_input(g, n, "_axes", n.attr_ints("axes")));
  n.attrs.erase("starts");
  n.attrs.erase("ends");
  n.attrs.erase("axes");
}

// ONNX TensorProto.DataType names, as Cast-1..5 spells `to`.
int64_t dtype_number(const ir::Node& n, const std::string& name) {
  static const std::map<std::string, int64_t> numbers = {
      {"FLOAT", 1},   {"UINT8", 2},   {"INT8", 3},    {"UINT16", 4},   {"INT16", 5},
      {"INT32", 6},   {"INT64", 7},   {"STRING", 8},  {"BOOL", 9},     {"FLOAT16", 10},
      {"DOUBLE", 11}, {"UINT32", 12}, {"UINT64", 13}, {"BFLOAT16", 16}};
  auto it = numbers.find(name);
  if (it == numbers.end()) fail("{}: unknown type name '{}' in `to`", node_ref(n), name);
  return it->second;
}

}  // namespace

bool upgrade_tensor_node(ir::Graph& g, ir::Node& n, int64_t opset) {
  if (n.op == "Pad") {
    if (opset < 11) pad_attributes_to_inputs(g, n);
  } else if (n.op == "Slice") {
    if (opset < 10) slice_attributes_to_inputs(g, n);
  } else if (n.op == "Split") {
    // Split-1 may carry the sizes as a second input; Split-2..11 as the `split` attribute.
    if (n.has_attr("split")) {
      if (n.inputs.size() > 1 && !n.inputs[1].empty())
        fail("{}: has both a split attribute and a split input", node_ref(n));
      n.inputs.resize(1);
      n.inputs.push_back(int64_input(g, n, "_split", n.attr_ints("split")));
      n.attrs.erase("split");
    }
  } else if (n.op == "Scatter") {
    n.op = "ScatterElements";  // Scatter-9/10 is ScatterElements-11 renamed
  } else if (n.op == "Concat") {
    if (opset < 4 && !n.has_attr("axis")) n.attrs["axis"] = int64_t{1};
  } else if (n.op == "Reshape") {
    if (n.has_attr("shape")) {  // Reshape-1: the target as an attribute
      if (n.inputs.size() != 1)
        fail("{}: has both a shape attribute and a shape input", node_ref(n));
      n.inputs.push_back(int64_input(g, n, "_shape", n.attr_ints("shape")));
      n.attrs.erase("shape");
    }
  } else if (n.op == "Cast") {
    auto to = n.attrs.find("to");
    if (to != n.attrs.end())
      if (auto* name = std::get_if<std::string>(&to->second)) to->second = dtype_number(n, *name);
  } else {
    return false;
  }
  n.attrs.erase("consumed_inputs");  // an old memory hint (Reshape-1...)
  return true;
}

}  // namespace qcv::onnx::detail
