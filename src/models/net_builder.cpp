#include "models/net_builder.h"

#include <cmath>

namespace qcv::models {

int64_t make_divisible(double value, int64_t divisor, int64_t min_value) {
  if (min_value <= 0) min_value = divisor;
  int64_t rounded = static_cast<int64_t>(value + divisor / 2.0) / divisor * divisor;
  rounded = std::max(min_value, rounded);
  if (rounded < 0.9 * value) rounded += divisor;  // never lose more than 10% of the channels
  return rounded;
}

NetBuilder::NetBuilder(const ModelSpec& spec, const std::string& graph_name)
    : init_weights_(spec.init_weights), rng_(spec.seed) {
  graph_.name = graph_name;
  ir::Value in = ir::make_value("input", ir::DType::Float32,
                                {-1, spec.in_channels, spec.resolution, spec.resolution});
  in.dim_names = {"N", "", "", ""};
  graph_.inputs.push_back(in);
  input_ = {"input", spec.in_channels};
}

// Marsaglia's polar method on mt19937_64's raw bits: unlike std::normal_distribution, the same
// bytes on every standard library (and no sin/cos: ResNet-152 has 60 M weights to draw).
float NetBuilder::normal() {
  if (has_spare_) {
    has_spare_ = false;
    return static_cast<float>(spare_);
  }
  double u, v, s;
  do {
    u = static_cast<double>(rng_() >> 11) * 0x1.0p-52 - 1.0;  // uniform in [-1, 1)
    v = static_cast<double>(rng_() >> 11) * 0x1.0p-52 - 1.0;
    s = u * u + v * v;
  } while (s >= 1.0 || s == 0.0);
  double scale = std::sqrt(-2.0 * std::log(s) / s);
  spare_ = v * scale;
  has_spare_ = true;
  return static_cast<float>(u * scale);
}

std::string NetBuilder::add_weight(const std::string& name, ir::Shape shape, float stddev) {
  if (graph_.initializers.count(name)) fail("model builder: weight '{}' defined twice", name);
  ir::Tensor t(ir::DType::Float32, std::move(shape));
  if (init_weights_) {
    float* p = t.data<float>();
    for (int64_t i = 0; i < t.numel(); ++i) p[i] = stddev * normal();
  }
  graph_.initializers[name] = t;
  return name;
}

std::string NetBuilder::add_constant(const std::string& name, ir::Shape shape, float value) {
  if (graph_.initializers.count(name)) fail("model builder: weight '{}' defined twice", name);
  ir::Tensor t(ir::DType::Float32, std::move(shape));
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = value;
  graph_.initializers[name] = t;
  return name;
}

std::string NetBuilder::scalar(float value) {
  std::string name = fmt::format("const.{:g}", value);
  if (!graph_.initializers.count(name)) graph_.initializers[name] = ir::Tensor::scalar(value);
  return name;
}

ir::Node& NetBuilder::add_node(const std::string& op, const std::string& name,
                               std::vector<std::string> inputs) {
  ir::Node n;
  n.name = name;
  n.op = op;
  n.inputs = std::move(inputs);
  n.outputs = {name};  // each node's output is named after the node
  graph_.nodes.push_back(std::move(n));
  return graph_.nodes.back();
}

Feature NetBuilder::conv(const Feature& x, const std::string& name, int64_t out_channels,
                         int64_t kernel, int64_t stride, int64_t groups, bool bias) {
  if (x.channels % groups != 0 || out_channels % groups != 0)
    fail("model builder: conv '{}' has {} -> {} channels, not divisible by group {}", name,
         x.channels, out_channels, groups);
  // PyTorch's kaiming_normal_(mode="fan_out", nonlinearity="relu").
  float stddev = std::sqrt(2.0f / static_cast<float>(out_channels * kernel * kernel));
  std::vector<std::string> inputs = {
      x.name,
      add_weight(name + ".weight", {out_channels, x.channels / groups, kernel, kernel}, stddev)};
  if (bias) inputs.push_back(add_constant(name + ".bias", {out_channels}, 0.0f));
  ir::Node& n = add_node("Conv", name, std::move(inputs));
  int64_t pad = kernel / 2;
  n.attrs["kernel_shape"] = std::vector<int64_t>{kernel, kernel};
  n.attrs["strides"] = std::vector<int64_t>{stride, stride};
  n.attrs["pads"] = std::vector<int64_t>{pad, pad, pad, pad};
  n.attrs["dilations"] = std::vector<int64_t>{1, 1};
  n.attrs["group"] = groups;
  return {name, out_channels};
}

Feature NetBuilder::classifier_conv(const Feature& x, const std::string& name,
                                    int64_t out_channels) {
  std::vector<std::string> inputs = {
      x.name, add_weight(name + ".weight", {out_channels, x.channels, 1, 1}, 0.01f),
      add_constant(name + ".bias", {out_channels}, 0.0f)};
  ir::Node& n = add_node("Conv", name, std::move(inputs));
  n.attrs["kernel_shape"] = std::vector<int64_t>{1, 1};
  return {name, out_channels};
}

Feature NetBuilder::batch_norm(const Feature& x, const std::string& name) {
  int64_t c = x.channels;
  ir::Node& n = add_node(
      "BatchNormalization", name,
      {x.name, add_constant(name + ".weight", {c}, 1.0f), add_constant(name + ".bias", {c}, 0.0f),
       add_constant(name + ".running_mean", {c}, 0.0f),
       add_constant(name + ".running_var", {c}, 1.0f)});
  n.attrs["epsilon"] = bn_epsilon_;
  n.attrs["momentum"] = 0.9f;  // ONNX convention: running = momentum * running + (1 - m) * batch
  return {name, c};
}

Feature NetBuilder::activation(const Feature& x, Act act, const std::string& name) {
  switch (act) {
    case Act::None:
      return x;
    case Act::Relu:
      add_node("Relu", name, {x.name});
      break;
    case Act::Relu6:
      add_node("Clip", name, {x.name, scalar(0.0f), scalar(6.0f)});
      break;
    case Act::HardSwish:
      add_node("HardSwish", name, {x.name});
      graph_.opset = std::max<int64_t>(graph_.opset, 14);  // HardSwish is an opset-14 op
      break;
  }
  return {name, x.channels};
}

Feature NetBuilder::conv_bn_act(const Feature& x, const std::string& name, int64_t out_channels,
                                int64_t kernel, int64_t stride, int64_t groups, Act act) {
  Feature y = conv(x, name + ".conv", out_channels, kernel, stride, groups);
  y = batch_norm(y, name + ".bn");
  return activation(y, act, name + ".act");
}

Feature NetBuilder::inverted_bottleneck(const Feature& x, const std::string& name,
                                        const InvertedBottleneck& block) {
  const bool expand = block.expanded != x.channels;
  if (block.fused && !expand && block.stride != 1)
    fail("model builder: fused block '{}' has no expansion conv to carry stride {}", name,
         block.stride);
  Feature y = x;
  if (block.fused) {
    if (expand)
      y = conv_bn_act(y, name + ".expand", block.expanded, block.kernel, block.stride, 1,
                      block.act);
  } else {
    if (expand) y = conv_bn_act(y, name + ".expand", block.expanded, 1, 1, 1, block.act);
    y = conv_bn_act(y, name + ".dw", y.channels, block.kernel, block.stride, y.channels, block.act);
  }
  y = conv_bn_act(y, name + ".project", block.out_channels, 1, 1, 1, Act::None);  // linear
  if (block.residual && block.stride == 1 && x.channels == block.out_channels)
    y = add(y, x, name + ".add");
  return y;
}

Feature NetBuilder::hard_sigmoid(const Feature& x, const std::string& name) {
  ir::Node& n = add_node("HardSigmoid", name, {x.name});
  n.attrs["alpha"] = 1.0f / 6.0f;
  n.attrs["beta"] = 0.5f;
  return {name, x.channels};
}

Feature NetBuilder::add(const Feature& a, const Feature& b, const std::string& name) {
  add_node("Add", name, {a.name, b.name});
  return {name, a.channels};
}

Feature NetBuilder::mul(const Feature& a, const Feature& b, const std::string& name) {
  add_node("Mul", name, {a.name, b.name});
  return {name, std::max(a.channels, b.channels)};
}

Feature NetBuilder::max_pool(const Feature& x, const std::string& name, int64_t kernel,
                             int64_t stride, int64_t pad) {
  ir::Node& n = add_node("MaxPool", name, {x.name});
  n.attrs["kernel_shape"] = std::vector<int64_t>{kernel, kernel};
  n.attrs["strides"] = std::vector<int64_t>{stride, stride};
  n.attrs["pads"] = std::vector<int64_t>{pad, pad, pad, pad};
  return {name, x.channels};
}

Feature NetBuilder::global_average_pool(const Feature& x, const std::string& name) {
  add_node("GlobalAveragePool", name, {x.name});
  return {name, x.channels};
}

Feature NetBuilder::flatten(const Feature& x, const std::string& name) {
  add_node("Flatten", name, {x.name}).attrs["axis"] = int64_t{1};
  return {name, x.channels};
}

Feature NetBuilder::dropout(const Feature& x, const std::string& name, float ratio) {
  if (ratio <= 0) return x;
  add_node("Dropout", name, {x.name, add_constant(name + ".ratio", {}, ratio)});
  return {name, x.channels};
}

Feature NetBuilder::linear(const Feature& x, const std::string& name, int64_t out_features) {
  ir::Node& n = add_node("Gemm", name,
                         {x.name, add_weight(name + ".weight", {out_features, x.channels}, 0.01f),
                          add_constant(name + ".bias", {out_features}, 0.0f)});
  n.attrs["transB"] = int64_t{1};
  return {name, out_features};
}

ir::Graph NetBuilder::finish(const Feature& logits) {
  if (graph_.nodes.empty() || graph_.nodes.back().outputs[0] != logits.name)
    fail("model builder: '{}' is not the last node's output", logits.name);
  graph_.nodes.back().outputs[0] = "logits";
  ir::Value out = ir::make_value("logits");
  out.dim_names = {"N", ""};
  graph_.outputs.push_back(out);
  ir::infer_shapes(graph_);
  return std::move(graph_);
}

}  // namespace qcv::models
