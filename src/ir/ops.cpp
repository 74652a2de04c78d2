#include "ir/ops.h"

#include <unordered_set>

#include "ir/shape_inference.h"

namespace qcv::ir {

// Semantics are those of each op's newest version up to opset 17 (the importer rewrites older
// forms: Clip's attributes, Squeeze's axes attribute, Softmax's axis, ...). Counts: min/max inputs, min/max outputs.
const std::vector<OpSchema>& all_ops() {
  static const std::vector<OpSchema> ops = {
      {"Conv", 2, 3, 1, 1, infer::conv},
      {"BatchNormalization", 5, 5, 1, 3, infer::batch_norm},
      {"Relu", 1, 1, 1, 1, infer::float_unary},
      {"Clip", 1, 3, 1, 1, infer::clip},
      {"HardSigmoid", 1, 1, 1, 1, infer::float_unary},
      {"HardSwish", 1, 1, 1, 1, infer::float_unary},
      {"Sigmoid", 1, 1, 1, 1, infer::float_unary},
      {"Add", 2, 2, 1, 1, infer::elementwise_binary},
      {"Sub", 2, 2, 1, 1, infer::elementwise_binary},
      {"Mul", 2, 2, 1, 1, infer::elementwise_binary},
      {"Div", 2, 2, 1, 1, infer::elementwise_binary},
      {"GlobalAveragePool", 1, 1, 1, 1, infer::global_pool},
      {"AveragePool", 1, 1, 1, 1, infer::pool},
      {"MaxPool", 1, 1, 1, 2, infer::pool},
      {"Gemm", 2, 3, 1, 1, infer::gemm},
      {"MatMul", 2, 2, 1, 1, infer::matmul},
      {"Flatten", 1, 1, 1, 1, infer::flatten},
      {"Reshape", 2, 2, 1, 1, infer::reshape},
      {"Squeeze", 1, 2, 1, 1, infer::squeeze},
      {"Unsqueeze", 1, 2, 1, 1, infer::unsqueeze},
      {"Shape", 1, 1, 1, 1, infer::shape_op},
      {"Gather", 2, 2, 1, 1, infer::gather},
      {"Concat", 1, 1 << 20, 1, 1, infer::concat},
      {"Identity", 1, 1, 1, 1, infer::same_as_input},
      {"Dropout", 1, 3, 1, 2, infer::dropout},
      {"Softmax", 1, 1, 1, 1, infer::softmax},
      {"Cast", 1, 1, 1, 1, infer::cast},
      {"Constant", 0, 0, 1, 1, infer::constant},
      {"QuantizeLinear", 2, 3, 1, 1, infer::quantize_linear},
      {"DequantizeLinear", 2, 3, 1, 1, infer::dequantize_linear},
      // == family math: elementwise math, comparison, logic, variadic Min/Max/Sum/Mean, Where ==
      // == end math ==
      // == family tensor: data movement, indexing, shape ops: Pad, Transpose, Slice, Split, Tile, Expand, ... ==
      // == end tensor ==
      // == family reduce: reductions, ArgMax/TopK, normalizations, Softmax family, losses, Einsum ==
      // == end reduce ==
      // == family window: ConvTranspose, pooling variants, Resize/Upsample, DepthToSpace ==
      {"ConvTranspose", 2, 3, 1, 1, infer::conv_transpose},
      {"GlobalMaxPool", 1, 1, 1, 1, infer::global_pool},
      {"LpPool", 1, 1, 1, 1, infer::lp_pool},
      {"GlobalLpPool", 1, 1, 1, 1, infer::global_pool},
      {"MaxUnpool", 2, 3, 1, 1, infer::max_unpool},
      {"Resize", 1, 4, 1, 1, infer::resize},
      {"GridSample", 2, 2, 1, 1, infer::grid_sample},
      {"RoiAlign", 3, 3, 1, 1, infer::roi_align},
      {"DepthToSpace", 1, 1, 1, 1, infer::depth_space},
      {"SpaceToDepth", 1, 1, 1, 1, infer::depth_space},
      // == end window ==
      // == family quant: integer and dynamic quantization ops ==
      // == end quant ==
  };
  return ops;
}

const OpSchema* find_op(std::string_view op_type) {
  for (const OpSchema& s : all_ops())
    if (op_type == s.name) return &s;
  return nullptr;
}

void validate(Graph& g) {
  std::unordered_set<std::string> node_names;
  for (const Node& n : g.nodes) {
    const OpSchema* s = find_op(n.op);
    if (!s) fail("node '{}': unsupported op '{}'", n.name, n.op);
    if (!n.name.empty() && !node_names.insert(n.name).second)
      fail("node '{}' ({}): duplicate node name", n.name, n.op);
    int nin = static_cast<int>(n.inputs.size()), nout = static_cast<int>(n.outputs.size());
    if (nin < s->min_inputs || nin > s->max_inputs)
      fail("node '{}' ({}): has {} inputs, expected {} to {}", n.name, n.op, nin, s->min_inputs,
           s->max_inputs);
    if (nout < s->min_outputs || nout > s->max_outputs)
      fail("node '{}' ({}): has {} outputs, expected {} to {}", n.name, n.op, nout, s->min_outputs,
           s->max_outputs);
    for (int i = 0; i < s->min_inputs; ++i)
      if (n.inputs[i].empty()) fail("node '{}' ({}): required input {} is empty", n.name, n.op, i);
    if (n.outputs[0].empty()) fail("node '{}' ({}): output 0 has no name", n.name, n.op);
  }
  for (const Value& v : g.inputs)
    if (g.is_initializer(v.name)) fail("graph input '{}' is also an initializer", v.name);
  g.sort();  // throws on cycles, dangling inputs and values produced twice
  for (const Value& v : g.outputs)
    if (g.producer(v.name) < 0 && !g.input_value(v.name) && !g.is_initializer(v.name))
      fail("graph output '{}' is not produced by any node", v.name);
}

void infer_shapes(Graph& g) {
  validate(g);
  g.value_info.clear();
  for (const Node& n : g.nodes) {
    InferContext c{n, {}, {}, {}};
    for (const std::string& in : n.inputs) {
      if (in.empty()) {
        c.inputs.push_back(std::nullopt);
        c.constants.push_back(nullptr);
        continue;
      }
      auto t = g.value_type(in);
      if (!t || t->dtype == DType::Undefined)
        fail("node '{}' ({}): type of input '{}' is unknown", n.name, n.op, in);
      c.inputs.push_back(t);
      c.constants.push_back(g.initializer(in));
    }
    c.outputs.resize(n.outputs.size());
    find_op(n.op)->infer(c);
    for (size_t i = 0; i < n.outputs.size(); ++i) {
      if (n.outputs[i].empty()) continue;
      Value v = c.outputs[i];
      v.name = n.outputs[i];
      v.dim_names.clear();
      g.value_info[v.name] = v;
    }
  }
  for (Value& out : g.outputs) {
    Value inferred = *g.value_type(out.name);
    if (out.dim_names.size() == inferred.shape.size()) inferred.dim_names = out.dim_names;
    inferred.name = out.name;
    out = inferred;
  }
}

}  // namespace qcv::ir
