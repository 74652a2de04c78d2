// ResNets in four layouts (ResNetStyle), one code path:
// - Torchvision: v1.5 as torchvision builds them (He et al. 2016, with the stride of a bottleneck
//   on its 3x3 conv): 7x7 stem, max pool, four stages, pool -> fc; convs without bias.
// - TorchV2 (He et al. "Identity Mappings"): BN-ReLU before each conv, projection shortcuts read
//   the pre-activated input, and a final BN-ReLU before pooling; strides on the first unit of a
//   stage as in the authors' Torch code.
// - Keras: keras.applications' ResNet50/101/152, the original Caffe layout: the stride on the
//   FIRST 1x1 conv of a stage's first bottleneck, every conv with a bias, BN epsilon 1.001e-5.
// - KerasV2: keras.applications' ResNet50V2/101V2/152V2: pre-activation; the stride on the LAST
//   unit of stages 1-3, in its 3x3 conv, whose shortcut is a 1x1 stride-2 max pool of the unit's
//   input; the first unit's projection shortcut reads the pre-activated input; the bottleneck's
//   1x1 and 3x3 convs have no bias, its last 1x1, the shortcut and the stem convs have one; BN
//   epsilon 1.001e-5. One difference from Keras, without effect on MACs or params: Keras pads
//   the stem's max pool with zeros (ZeroPadding2D; the stem is not ReLU'd in V2), ONNX MaxPool
//   pads with -inf, and the zoo's ops have no Pad (the training backend and the TFLite export
//   do not take one): the pool's border outputs differ where a whole window is negative.
// Keras pads its 7x7 stem and 3x3 convs explicitly (ZeroPadding2D then "valid"): symmetric pads
// 3 and 1, as here. Node names are torchvision's for all four (layer2.0.conv1, ...).
#include <map>
#include <vector>

#include "models/families.h"
#include "models/net_builder.h"

namespace qcv::models {

namespace {

struct ResNetTable {
  bool bottleneck;
  std::vector<int> blocks_per_stage;
};

const std::map<int, ResNetTable>& tables() {
  static const std::map<int, ResNetTable> t = {
      {18, {false, {2, 2, 2, 2}}},  {34, {false, {3, 4, 6, 3}}},  {50, {true, {3, 4, 6, 3}}},
      {101, {true, {3, 4, 23, 3}}}, {152, {true, {3, 8, 36, 3}}},
  };
  return t;
}

constexpr int64_t kStageWidths[] = {64, 128, 256, 512};
constexpr int64_t kBottleneckExpansion = 4;

// A style as the choices the code makes.
struct Layout {
  bool preactivation = false;
  bool conv_bias = false;            // Keras: convs keep their bias (see the v2 exceptions)
  bool stride_on_first_1x1 = false;  // Keras v1: in a bottleneck's conv1, not its conv2
  bool stride_on_last_unit = false;  // Keras v2: the last unit of a stage strides, not the first
  bool pooled_shortcut = false;      // Keras v2: a stride with the channels kept: MaxPool 1x1
  float bn_epsilon = 1e-5f;
};

Layout layout_of(ResNetStyle style) {
  Layout l;
  l.preactivation = style == ResNetStyle::TorchV2 || style == ResNetStyle::KerasV2;
  if (style == ResNetStyle::Keras || style == ResNetStyle::KerasV2) {
    l.conv_bias = true;
    l.bn_epsilon = 1.001e-5f;
    l.stride_on_first_1x1 = style == ResNetStyle::Keras;
    l.stride_on_last_unit = l.pooled_shortcut = style == ResNetStyle::KerasV2;
  }
  return l;
}

const char* suffix(ResNetStyle style) {
  switch (style) {
    case ResNetStyle::Torchvision:
      return "";
    case ResNetStyle::TorchV2:
      return "_v2";
    case ResNetStyle::Keras:
      return "_keras";
    case ResNetStyle::KerasV2:
      return "_v2_keras";
  }
  return "";
}

// Post-activation unit (v1): conv-BN-ReLU ..., conv-BN, add shortcut, ReLU.
Feature unit_v1(NetBuilder& b, const Feature& x, const std::string& name, int64_t width,
                int64_t out, int64_t stride, bool bottleneck, const Layout& l) {
  const bool bias = l.conv_bias;
  auto conv_bn = [&](const Feature& in, const char* conv, const char* bn, int64_t channels,
                     int64_t kernel, int64_t s) {
    return b.batch_norm(b.conv(in, name + conv, channels, kernel, s, 1, bias), name + bn);
  };
  Feature y = x;
  if (bottleneck) {
    const int64_t first = l.stride_on_first_1x1 ? stride : 1;
    y = b.activation(conv_bn(y, ".conv1", ".bn1", width, 1, first), Act::Relu, name + ".relu1");
    y = b.activation(conv_bn(y, ".conv2", ".bn2", width, 3, stride / first), Act::Relu,
                     name + ".relu2");
    y = conv_bn(y, ".conv3", ".bn3", out, 1, 1);
  } else {
    y = b.activation(conv_bn(y, ".conv1", ".bn1", width, 3, stride), Act::Relu, name + ".relu1");
    y = conv_bn(y, ".conv2", ".bn2", out, 3, 1);
  }
  Feature shortcut = x;
  if (stride != 1 || x.channels != out)
    shortcut = conv_bn(x, ".downsample.0", ".downsample.1", out, 1, stride);
  return b.activation(b.add(y, shortcut, name + ".add"), Act::Relu, name + ".relu");
}

// Pre-activation unit (v2): BN-ReLU, conv, ..., add shortcut (no activation after the add).
Feature unit_v2(NetBuilder& b, const Feature& x, const std::string& name, int64_t width,
                int64_t out, int64_t stride, bool bottleneck, const Layout& l) {
  Feature pre = b.activation(b.batch_norm(x, name + ".bn0"), Act::Relu, name + ".relu0");
  Feature y;
  if (bottleneck) {
    y = b.conv(pre, name + ".conv1", width, 1);
    y = b.activation(b.batch_norm(y, name + ".bn1"), Act::Relu, name + ".relu1");
    y = b.conv(y, name + ".conv2", width, 3, stride);
    y = b.activation(b.batch_norm(y, name + ".bn2"), Act::Relu, name + ".relu2");
    y = b.conv(y, name + ".conv3", out, 1, 1, 1, l.conv_bias);
  } else {
    y = b.conv(pre, name + ".conv1", width, 3, stride);
    y = b.activation(b.batch_norm(y, name + ".bn1"), Act::Relu, name + ".relu1");
    y = b.conv(y, name + ".conv2", out, 3, 1, 1, l.conv_bias);
  }
  Feature shortcut = x;
  if (x.channels != out || (stride != 1 && !l.pooled_shortcut))
    shortcut = b.conv(pre, name + ".downsample.0", out, 1, stride, 1, l.conv_bias);
  else if (stride != 1)
    shortcut = b.max_pool(x, name + ".downsample.pool", 1, stride, 0);
  return b.add(y, shortcut, name + ".add");
}

}  // namespace

ir::Graph build_resnet(const ModelSpec& spec, int depth, ResNetStyle style) {
  auto it = tables().find(depth);
  if (it == tables().end()) fail("models: no ResNet of depth {}", depth);
  const ResNetTable& t = it->second;
  const Layout l = layout_of(style);
  if (!t.bottleneck && (style == ResNetStyle::Keras || style == ResNetStyle::KerasV2))
    fail("models: keras.applications has no ResNet of depth {} (50, 101, 152)", depth);
  NetBuilder b(spec, fmt::format("resnet{}{}", depth, suffix(style)));
  b.set_batch_norm_epsilon(l.bn_epsilon);
  auto width = [&](int64_t c) { return make_divisible(c * spec.width); };

  Feature x = b.conv(b.input(), "conv1", width(64), 7, 2, 1, l.conv_bias);
  if (!l.preactivation) x = b.activation(b.batch_norm(x, "bn1"), Act::Relu, "relu");
  x = b.max_pool(x, "maxpool", 3, 2, 1);
  const size_t stages = t.blocks_per_stage.size();
  for (size_t stage = 0; stage < stages; ++stage) {
    int64_t inner = width(kStageWidths[stage]);
    int64_t out = t.bottleneck ? inner * kBottleneckExpansion : inner;
    const int units = t.blocks_per_stage[stage];
    for (int unit = 0; unit < units; ++unit) {
      std::string name = fmt::format("layer{}.{}", stage + 1, unit);
      bool strides =
          l.stride_on_last_unit ? stage + 1 < stages && unit == units - 1 : stage > 0 && unit == 0;
      int64_t stride = strides ? 2 : 1;
      x = l.preactivation ? unit_v2(b, x, name, inner, out, stride, t.bottleneck, l)
                          : unit_v1(b, x, name, inner, out, stride, t.bottleneck, l);
    }
  }
  if (l.preactivation) x = b.activation(b.batch_norm(x, "post_bn"), Act::Relu, "post_relu");
  x = b.global_average_pool(x, "avgpool");
  x = b.flatten(x, "flatten");
  x = b.dropout(x, "dropout", spec.dropout);
  return b.finish(b.linear(x, "fc", spec.classes));
}

}  // namespace qcv::models
