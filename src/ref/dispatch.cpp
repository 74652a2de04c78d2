// One table from op name to reference kernel, and run_node: shape inference, then the kernel.
#include <algorithm>
#include <utility>

#include "ref/kernel.h"
#include "ref/ref.h"

namespace qcv::ref {
namespace detail {

const ir::Tensor& KernelArgs::in(size_t i) const {
  if (!has(i)) error(fmt::format("input {} is missing", i));
  return *inputs[i];
}

ir::Shape KernelArgs::out_shape(size_t i) const {
  if (i >= outputs.size() || !outputs[i].has_shape)
    error(fmt::format("shape of output {} is unknown", i));
  for (int64_t d : outputs[i].shape)
    if (d < 0)
      error(fmt::format("output {} has an unknown dimension: {}", i,
                        ir::shape_str(outputs[i].shape)));
  return outputs[i].shape;
}

ir::Tensor KernelArgs::make_output(size_t i) const {
  return ir::Tensor(outputs.at(i).dtype, out_shape(i));
}

void KernelArgs::error(const std::string& what) const {
  fail("node '{}' ({}): {}", node.name, node.op, what);
}

namespace {

struct KernelEntry {
  const char* op;
  Kernel kernel;
};

const std::vector<KernelEntry>& kernel_table() {
  static const std::vector<KernelEntry> table = {
      {"Conv", conv},
      {"BatchNormalization", batch_norm},
      {"Relu", relu},
      {"Clip", clip},
      {"HardSigmoid", hard_sigmoid},
      {"HardSwish", hard_swish},
      {"Sigmoid", sigmoid},
      {"Add", add},
      {"Sub", sub},
      {"Mul", mul},
      {"Div", div},
      {"GlobalAveragePool", global_average_pool},
      {"AveragePool", average_pool},
      {"MaxPool", max_pool},
      {"Gemm", gemm},
      {"MatMul", matmul},
      {"Flatten", reshape_like_inferred},
      {"Reshape", reshape_like_inferred},
      {"Squeeze", reshape_like_inferred},
      {"Unsqueeze", reshape_like_inferred},
      {"Shape", shape},
      {"Gather", gather},
      {"Concat", concat},
      {"Identity", identity},
      {"Dropout", dropout},
      {"Softmax", softmax},
      {"Cast", cast},
      {"Constant", constant},
      {"QuantizeLinear", quantize_linear},
      {"DequantizeLinear", dequantize_linear},
      // == family math: elementwise math, comparison, logic, variadic Min/Max/Sum/Mean, Where ==
      {"Neg", neg_kernel},
      {"Abs", abs_kernel},
      {"Sign", sign_kernel},
      {"Erf", erf_kernel},
      {"Sqrt", sqrt_kernel},
      {"Exp", exp_kernel},
      {"Log", log_kernel},
      {"Reciprocal", reciprocal_kernel},
      {"Floor", floor_kernel},
      {"Ceil", ceil_kernel},
      {"Round", round_kernel},
      {"Tanh", tanh_kernel},
      {"Sin", sin_kernel},
      {"Cos", cos_kernel},
      {"Tan", tan_kernel},
      {"Asin", asin_kernel},
      {"Acos", acos_kernel},
      {"Atan", atan_kernel},
      {"Sinh", sinh_kernel},
      {"Cosh", cosh_kernel},
      {"Asinh", asinh_kernel},
      {"Acosh", acosh_kernel},
      {"Atanh", atanh_kernel},
      {"IsNaN", is_nan_kernel},
      {"IsInf", is_inf_kernel},
      {"Not", logical_not_kernel},
      {"Softplus", softplus_kernel},
      {"Softsign", softsign_kernel},
      {"Elu", elu_kernel},
      {"Selu", selu_kernel},
      {"LeakyRelu", leaky_relu_kernel},
      {"ThresholdedRelu", thresholded_relu_kernel},
      {"Celu", celu_kernel},
      {"Shrink", shrink_kernel},
      {"PRelu", prelu_kernel},
      {"Pow", pow_kernel},
      {"Mod", mod_kernel},
      {"BitShift", bit_shift_kernel},
      {"Equal", equal_kernel},
      {"Less", less_kernel},
      {"Greater", greater_kernel},
      {"LessOrEqual", less_or_equal_kernel},
      {"GreaterOrEqual", greater_or_equal_kernel},
      {"And", and_kernel},
      {"Or", or_kernel},
      {"Xor", xor_kernel},
      {"Min", min_kernel},
      {"Max", max_kernel},
      {"Sum", sum_kernel},
      {"Mean", mean_kernel},
      {"Where", where_kernel},
      // == end math ==
      // == family tensor: data movement, indexing, shape ops: Pad, Transpose, Slice, Split, Tile, Expand, ... ==
      {"Pad", pad},
      {"Transpose", transpose},
      {"Slice", slice},
      {"CastLike", cast},
      {"ConstantOfShape", constant_of_shape},
      {"Size", size},
      {"Expand", expand},
      {"Tile", tile},
      {"Split", split},
      {"Range", range},
      {"OneHot", one_hot},
      {"GatherElements", gather_elements},
      {"GatherND", gather_nd},
      {"ScatterND", scatter_nd},
      {"ScatterElements", scatter_elements},
      {"Scatter", scatter_elements},
      {"Trilu", trilu},
      {"CumSum", cumsum},
      {"EyeLike", eye_like},
      {"NonZero", non_zero},
      {"Compress", compress},
      {"ReverseSequence", reverse_sequence},
      {"Unique", unique},
      // == end tensor ==
      // == family reduce: reductions, ArgMax/TopK, normalizations, Softmax family, losses, Einsum ==
      {"ReduceSum", reduce},
      {"ReduceMean", reduce},
      {"ReduceMax", reduce},
      {"ReduceMin", reduce},
      {"ReduceProd", reduce},
      {"ReduceL1", reduce},
      {"ReduceL2", reduce},
      {"ReduceLogSum", reduce},
      {"ReduceLogSumExp", reduce},
      {"ReduceSumSquare", reduce},
      {"ArgMax", arg_reduce},
      {"ArgMin", arg_reduce},
      {"TopK", top_k},
      {"Hardmax", hardmax},
      {"LogSoftmax", log_softmax},
      {"LRN", lrn},
      {"InstanceNormalization", instance_norm},
      {"LayerNormalization", layer_norm},
      {"LpNormalization", lp_norm},
      {"MeanVarianceNormalization", mean_variance_norm},
      {"GlobalMaxPool", global_max_pool},
      {"GlobalLpPool", global_lp_pool},
      {"NegativeLogLikelihoodLoss", nll_loss},
      {"SoftmaxCrossEntropyLoss", softmax_cross_entropy},
      {"Einsum", einsum},
      {"Det", det},
      // == end reduce ==
      // == family window: ConvTranspose, pooling variants, Resize/Upsample, DepthToSpace ==
      {"ConvTranspose", conv_transpose},
      {"LpPool", lp_pool},
      {"MaxUnpool", max_unpool},
      {"Resize", resize},
      {"GridSample", grid_sample},
      {"RoiAlign", roi_align},
      {"DepthToSpace", depth_to_space},
      {"SpaceToDepth", space_to_depth},
      // == end window ==
      // == family quant: integer and dynamic quantization ops ==
      {"ConvInteger", conv_integer},
      {"MatMulInteger", matmul_integer},
      {"DynamicQuantizeLinear", dynamic_quantize_linear},
      // == end quant ==
  };
  return table;
}

Kernel find_kernel(const std::string& op) {
  for (const KernelEntry& e : kernel_table())
    if (op == e.op) return e.kernel;
  return nullptr;
}

}  // namespace
}  // namespace detail

bool has_kernel(const std::string& op) { return detail::find_kernel(op) != nullptr; }

std::vector<ir::Tensor> run_node(const ir::Node& node,
                                 const std::vector<const ir::Tensor*>& inputs) {
  const ir::OpSchema* schema = ir::find_op(node.op);
  detail::Kernel kernel = detail::find_kernel(node.op);
  if (!schema || !kernel) fail("node '{}': no reference kernel for op '{}'", node.name, node.op);
  int nin = static_cast<int>(node.inputs.size()), nout = static_cast<int>(node.outputs.size());
  if (nin < schema->min_inputs || nin > schema->max_inputs)
    fail("node '{}' ({}): has {} inputs, expected {} to {}", node.name, node.op, nin,
         schema->min_inputs, schema->max_inputs);
  if (nout < schema->min_outputs || nout > schema->max_outputs)
    fail("node '{}' ({}): has {} outputs, expected {} to {}", node.name, node.op, nout,
         schema->min_outputs, schema->max_outputs);
  if (inputs.size() != node.inputs.size())
    fail("node '{}' ({}): given {} input tensors for {} inputs", node.name, node.op, inputs.size(),
         node.inputs.size());

  // An empty tensor counts as an omitted input, like an empty input name.
  std::vector<const ir::Tensor*> present(inputs.size(), nullptr);
  ir::InferContext ctx{node, {}, {}, {}};
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ir::Tensor* t = inputs[i];
    if (t && !t->empty() && !node.inputs[i].empty()) present[i] = t;
    if (!present[i]) {
      if (static_cast<int>(i) < schema->min_inputs)
        fail("node '{}' ({}): required input {} is missing", node.name, node.op, i);
      ctx.inputs.push_back(std::nullopt);
      ctx.constants.push_back(nullptr);
      continue;
    }
    ctx.inputs.push_back(ir::make_value(node.inputs[i], t->dtype(), t->shape()));
    ctx.constants.push_back(t);  // every input is known at run time: Reshape reads its shape here
  }
  ctx.outputs.resize(node.outputs.size());
  schema->infer(ctx);

  detail::KernelArgs args{node, present, ctx.outputs};
  std::vector<ir::Tensor> outs = kernel(args);
  if (outs.size() > node.outputs.size())
    fail("node '{}' ({}): kernel returned {} outputs for {}", node.name, node.op, outs.size(),
         node.outputs.size());
  outs.resize(node.outputs.size());
  return outs;
}

}  // namespace qcv::ref
