// NetBuilder: emits IR nodes and initialized weights for the zoo's building blocks (conv-BN-act,
// pooling, classifier...). Every family builder (mobilenet_v1.cpp, resnet.cpp, ...) is a data
// table plus a loop over it calling these.
#pragma once
#include <cstdint>
#include <random>
#include <string>

#include "ir/ir.h"
#include "models/models.h"

namespace qcv::models {

// A tensor in flight: its value name and channel count.
struct Feature {
  std::string name;
  int64_t channels = 0;
};

enum class Act { None, Relu, Relu6, HardSwish };

// MobileNet channel rounding (TF's _make_divisible): nearest multiple of `divisor`, at least
// `min_value` (default divisor), and never more than 10% below `value`.
int64_t make_divisible(double value, int64_t divisor = 8, int64_t min_value = 0);

// An inverted bottleneck: name.expand (1x1 conv-BN-act to `expanded` channels, omitted when
// `expanded` equals the input's), name.dw (kxk depthwise conv-BN-act carrying the stride),
// name.project (linear 1x1 conv-BN), and name.add when `residual` and the stride is 1 and the
// channels are kept. fused: name.expand is one full kxk conv carrying the stride and there is no
// depthwise conv (MobileNet EdgeTPU's early stages, where a full conv runs faster on the TPU).
struct InvertedBottleneck {
  int64_t expanded = 0;
  int64_t out_channels = 0;
  int64_t kernel = 3;
  int64_t stride = 1;
  Act act = Act::Relu6;
  bool fused = false;
  bool residual = true;
};

class NetBuilder {
 public:
  // Creates the graph input "input" [N, in_channels, R, R] with N symbolic.
  NetBuilder(const ModelSpec& spec, const std::string& graph_name);

  Feature input() const { return input_; }

  // Conv (no bias unless `bias`) with "same" symmetric padding k/2; He normal fan_out weights.
  Feature conv(const Feature& x, const std::string& name, int64_t out_channels, int64_t kernel,
               int64_t stride = 1, int64_t groups = 1, bool bias = false);
  // 1x1 conv with bias and N(0, 0.01) weights: the TF-style classifier / head layers.
  Feature classifier_conv(const Feature& x, const std::string& name, int64_t out_channels);
  Feature batch_norm(const Feature& x, const std::string& name);
  // The epsilon of the BatchNormalization nodes made from now on (PyTorch's 1e-5 by default).
  void set_batch_norm_epsilon(float epsilon) { bn_epsilon_ = epsilon; }
  Feature activation(const Feature& x, Act act, const std::string& name);
  // name.conv -> name.bn -> name.act (the act node omitted for Act::None).
  Feature conv_bn_act(const Feature& x, const std::string& name, int64_t out_channels,
                      int64_t kernel, int64_t stride, int64_t groups, Act act);
  // An inverted bottleneck (MobileNet V2, EdgeTPU; see InvertedBottleneck).
  Feature inverted_bottleneck(const Feature& x, const std::string& name,
                              const InvertedBottleneck& block);

  Feature hard_sigmoid(const Feature& x, const std::string& name);  // relu6(x + 3) / 6
  Feature add(const Feature& a, const Feature& b, const std::string& name);
  Feature mul(const Feature& a, const Feature& b, const std::string& name);
  Feature max_pool(const Feature& x, const std::string& name, int64_t kernel, int64_t stride,
                   int64_t pad);
  Feature global_average_pool(const Feature& x, const std::string& name);
  Feature flatten(const Feature& x, const std::string& name);
  // Only emitted when ratio > 0; returns x otherwise.
  Feature dropout(const Feature& x, const std::string& name, float ratio);
  // Gemm with transB=1 (PyTorch Linear layout [out, in]), bias, N(0, 0.01) weights.
  Feature linear(const Feature& x, const std::string& name, int64_t out_features);

  // Renames the last node's output to "logits", declares it as the graph output, infers shapes.
  ir::Graph finish(const Feature& logits);

 private:
  ir::Node& add_node(const std::string& op, const std::string& name,
                     std::vector<std::string> inputs);
  std::string add_weight(const std::string& name, ir::Shape shape, float stddev);
  std::string add_constant(const std::string& name, ir::Shape shape, float value);
  std::string scalar(float value);  // a shared scalar initializer ("const.6")
  float normal();

  ir::Graph graph_;
  Feature input_;
  bool init_weights_;
  float bn_epsilon_ = 1e-5f;  // PyTorch's default (TF uses 1e-3, Keras' ResNets 1.001e-5)
  std::mt19937_64 rng_;
  bool has_spare_ = false;  // the polar method gives normals in pairs
  double spare_ = 0;
};

}  // namespace qcv::models
