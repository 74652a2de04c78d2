#include "ir/ops.h"

#include <algorithm>
#include <unordered_set>

#include "ir/limits.h"
#include "ir/shape_inference.h"

namespace qcv::ir {

// Semantics are those of each op's newest version up to opset 17 (the importer rewrites older
// forms: Clip's attributes, Squeeze's axes attribute, Softmax's axis, ...). Counts: min/max inputs, min/max outputs.
const std::vector<OpSchema>& all_ops() {
  static const std::vector<OpSchema> ops = {
      {"Conv", 2, 3, 1, 1, infer::conv},
      {"BatchNormalization", 5, 5, 1, 3, infer::batch_norm},
      {"Relu", 1, 1, 1, 1, infer::numeric_unary},
      {"Clip", 1, 3, 1, 1, infer::numeric_clip},
      {"HardSigmoid", 1, 1, 1, 1, infer::floating_unary},
      {"HardSwish", 1, 1, 1, 1, infer::floating_unary},
      {"Sigmoid", 1, 1, 1, 1, infer::floating_unary},
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
      {"Neg", 1, 1, 1, 1, infer::numeric_unary},
      {"Abs", 1, 1, 1, 1, infer::numeric_unary},
      {"Sqrt", 1, 1, 1, 1, infer::floating_unary},
      {"Exp", 1, 1, 1, 1, infer::floating_unary},
      {"Log", 1, 1, 1, 1, infer::floating_unary},
      {"Reciprocal", 1, 1, 1, 1, infer::floating_unary},
      {"Floor", 1, 1, 1, 1, infer::floating_unary},
      {"Ceil", 1, 1, 1, 1, infer::floating_unary},
      {"Round", 1, 1, 1, 1, infer::floating_unary},
      {"Sign", 1, 1, 1, 1, infer::numeric_unary},
      {"Tanh", 1, 1, 1, 1, infer::floating_unary},
      {"Erf", 1, 1, 1, 1, infer::numeric_unary},
      {"Sin", 1, 1, 1, 1, infer::floating_unary},
      {"Cos", 1, 1, 1, 1, infer::floating_unary},
      {"Tan", 1, 1, 1, 1, infer::floating_unary},
      {"Asin", 1, 1, 1, 1, infer::floating_unary},
      {"Acos", 1, 1, 1, 1, infer::floating_unary},
      {"Atan", 1, 1, 1, 1, infer::floating_unary},
      {"Sinh", 1, 1, 1, 1, infer::floating_unary},
      {"Cosh", 1, 1, 1, 1, infer::floating_unary},
      {"Asinh", 1, 1, 1, 1, infer::floating_unary},
      {"Acosh", 1, 1, 1, 1, infer::floating_unary},
      {"Atanh", 1, 1, 1, 1, infer::floating_unary},
      {"IsNaN", 1, 1, 1, 1, infer::float_predicate},
      {"IsInf", 1, 1, 1, 1, infer::float_predicate},
      {"Not", 1, 1, 1, 1, infer::bool_unary},
      {"Softplus", 1, 1, 1, 1, infer::floating_unary},
      {"Softsign", 1, 1, 1, 1, infer::floating_unary},
      {"Elu", 1, 1, 1, 1, infer::floating_unary},
      {"Selu", 1, 1, 1, 1, infer::floating_unary},
      {"LeakyRelu", 1, 1, 1, 1, infer::floating_unary},
      {"ThresholdedRelu", 1, 1, 1, 1, infer::floating_unary},
      {"Celu", 1, 1, 1, 1, infer::floating_unary},
      {"Shrink", 1, 1, 1, 1, infer::numeric_unary},
      {"PRelu", 2, 2, 1, 1, infer::prelu},
      {"Pow", 2, 2, 1, 1, infer::pow},
      {"Mod", 2, 2, 1, 1, infer::numeric_binary},
      {"BitShift", 2, 2, 1, 1, infer::bit_shift},
      {"Equal", 2, 2, 1, 1, infer::comparison},
      {"Less", 2, 2, 1, 1, infer::comparison},
      {"Greater", 2, 2, 1, 1, infer::comparison},
      {"LessOrEqual", 2, 2, 1, 1, infer::comparison},
      {"GreaterOrEqual", 2, 2, 1, 1, infer::comparison},
      {"And", 2, 2, 1, 1, infer::logic_binary},
      {"Or", 2, 2, 1, 1, infer::logic_binary},
      {"Xor", 2, 2, 1, 1, infer::logic_binary},
      {"Min", 1, 1 << 20, 1, 1, infer::variadic},
      {"Max", 1, 1 << 20, 1, 1, infer::variadic},
      {"Sum", 1, 1 << 20, 1, 1, infer::variadic},
      {"Mean", 1, 1 << 20, 1, 1, infer::variadic},
      {"Where", 3, 3, 1, 1, infer::where},
      // == end math ==
      // == family tensor: data movement, indexing, shape ops: Pad, Transpose, Slice, Split, Tile, Expand, ... ==
      {"Pad", 2, 3, 1, 1, infer::pad},
      {"Transpose", 1, 1, 1, 1, infer::transpose},
      {"Slice", 3, 5, 1, 1, infer::slice},
      {"CastLike", 2, 2, 1, 1, infer::cast_like},
      {"ConstantOfShape", 1, 1, 1, 1, infer::constant_of_shape},
      {"Size", 1, 1, 1, 1, infer::size},
      {"Expand", 2, 2, 1, 1, infer::expand},
      {"Tile", 2, 3, 1, 1, infer::tile},  // 3 inputs: Tile-1's (input, tiles, axis)
      {"Split", 1, 2, 1, 1 << 20, infer::split},
      {"Range", 3, 3, 1, 1, infer::range},
      {"OneHot", 3, 3, 1, 1, infer::one_hot},
      {"GatherElements", 2, 2, 1, 1, infer::gather_elements},
      {"GatherND", 2, 2, 1, 1, infer::gather_nd},
      {"ScatterND", 3, 3, 1, 1, infer::scatter},
      {"ScatterElements", 3, 3, 1, 1, infer::scatter},
      {"Scatter", 3, 3, 1, 1, infer::scatter},  // opset 9-10; the importer renames it
      {"Trilu", 1, 2, 1, 1, infer::trilu},
      {"CumSum", 2, 2, 1, 1, infer::cumsum},
      {"EyeLike", 1, 1, 1, 1, infer::eye_like},
      {"NonZero", 1, 1, 1, 1, infer::non_zero},
      {"Compress", 2, 2, 1, 1, infer::compress},
      {"ReverseSequence", 2, 2, 1, 1, infer::reverse_sequence},
      {"Unique", 1, 1, 1, 4, infer::unique},
      // == end tensor ==
      // == family reduce: reductions, ArgMax/TopK, normalizations, Softmax family, losses, Einsum ==
      {"ReduceSum", 1, 2, 1, 1, infer::reduce},  // axes: an input (opset 13)
      {"ReduceMean", 1, 1, 1, 1, infer::reduce},  // the others: an attribute (up to opset 17)
      {"ReduceMax", 1, 1, 1, 1, infer::reduce},
      {"ReduceMin", 1, 1, 1, 1, infer::reduce},
      {"ReduceProd", 1, 1, 1, 1, infer::reduce},
      {"ReduceL1", 1, 1, 1, 1, infer::reduce},
      {"ReduceL2", 1, 1, 1, 1, infer::reduce},
      {"ReduceLogSum", 1, 1, 1, 1, infer::reduce},
      {"ReduceLogSumExp", 1, 1, 1, 1, infer::reduce},
      {"ReduceSumSquare", 1, 1, 1, 1, infer::reduce},
      {"ArgMax", 1, 1, 1, 1, infer::arg_reduce},
      {"ArgMin", 1, 1, 1, 1, infer::arg_reduce},
      {"TopK", 2, 2, 2, 2, infer::top_k},
      {"Hardmax", 1, 1, 1, 1, infer::softmax_like},
      {"LogSoftmax", 1, 1, 1, 1, infer::softmax_like},
      {"LRN", 1, 1, 1, 1, infer::float_same_shape},
      {"LpNormalization", 1, 1, 1, 1, infer::float_same_shape},
      {"MeanVarianceNormalization", 1, 1, 1, 1, infer::float_same_shape},
      {"InstanceNormalization", 3, 3, 1, 1, infer::instance_norm},
      {"LayerNormalization", 2, 3, 1, 3, infer::layer_norm},
      {"GlobalMaxPool", 1, 1, 1, 1, infer::global_pool},
      {"GlobalLpPool", 1, 1, 1, 1, infer::global_pool},
      {"SoftmaxCrossEntropyLoss", 2, 3, 1, 2, infer::loss},
      {"NegativeLogLikelihoodLoss", 2, 3, 1, 1, infer::loss},
      {"Einsum", 1, 1 << 20, 1, 1, infer::einsum},
      {"Det", 1, 1, 1, 1, infer::det},
      // == end reduce ==
      // == family window: ConvTranspose, pooling variants, Resize/Upsample, DepthToSpace ==
      {"ConvTranspose", 2, 3, 1, 1, infer::conv_transpose},
      {"LpPool", 1, 1, 1, 1, infer::lp_pool},
      {"MaxUnpool", 2, 3, 1, 1, infer::max_unpool},
      {"Resize", 1, 4, 1, 1, infer::resize},
      {"GridSample", 2, 2, 1, 1, infer::grid_sample},
      {"RoiAlign", 3, 3, 1, 1, infer::roi_align},
      {"DepthToSpace", 1, 1, 1, 1, infer::depth_space},
      {"SpaceToDepth", 1, 1, 1, 1, infer::depth_space},
      // == end window ==
      // == family quant: integer and dynamic quantization ops ==
      {"ConvInteger", 2, 4, 1, 1, infer::conv_integer},
      {"MatMulInteger", 2, 4, 1, 1, infer::matmul_integer},
      {"DynamicQuantizeLinear", 1, 1, 3, 3, infer::dynamic_quantize_linear},
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
  std::unordered_set<std::string> input_names;
  for (const Value& v : g.inputs) {
    if (g.is_initializer(v.name)) fail("graph input '{}' is also an initializer", v.name);
    if (!input_names.insert(v.name).second) fail("graph input '{}' appears twice", v.name);
  }
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
      // A shape no allocation could hold (a wrapped or exabyte product) stops here, naming the
      // node, rather than as a failed allocation at run time. Unknown dims count as 1.
      Shape known;
      for (int64_t d : v.shape) known.push_back(d < 0 ? 1 : d);
      limits::checked_tensor_bytes(known, std::max<size_t>(dtype_size(v.dtype), 1),
                                   fmt::format("node '{}' ({}): output '{}'", n.name, n.op,
                                               n.outputs[i]));
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
