// ResNets. v1.5 as torchvision builds them (He et al. 2016, with the stride of a bottleneck on its
// 3x3 conv): 7x7 stem, max pool, four stages, pool -> fc. v2 (He et al. "Identity Mappings"):
// BN-ReLU before each conv, projection shortcuts read the pre-activated input, and a final
// BN-ReLU before pooling; strides on the first unit of a stage as in the authors' Torch code.
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

// Post-activation unit (v1.5): conv-BN-ReLU ..., conv-BN, add shortcut, ReLU.
Feature unit_v1(NetBuilder& b, const Feature& x, const std::string& name, int64_t width,
                int64_t out, int64_t stride, bool bottleneck) {
  Feature y = x;
  if (bottleneck) {
    y = b.activation(b.batch_norm(b.conv(y, name + ".conv1", width, 1), name + ".bn1"), Act::Relu,
                     name + ".relu1");
    y = b.activation(b.batch_norm(b.conv(y, name + ".conv2", width, 3, stride), name + ".bn2"),
                     Act::Relu, name + ".relu2");
    y = b.batch_norm(b.conv(y, name + ".conv3", out, 1), name + ".bn3");
  } else {
    y = b.activation(b.batch_norm(b.conv(y, name + ".conv1", width, 3, stride), name + ".bn1"),
                     Act::Relu, name + ".relu1");
    y = b.batch_norm(b.conv(y, name + ".conv2", out, 3), name + ".bn2");
  }
  Feature shortcut = x;
  if (stride != 1 || x.channels != out)
    shortcut =
        b.batch_norm(b.conv(x, name + ".downsample.0", out, 1, stride), name + ".downsample.1");
  return b.activation(b.add(y, shortcut, name + ".add"), Act::Relu, name + ".relu");
}

// Pre-activation unit (v2): BN-ReLU, conv, ..., add shortcut (no activation after the add).
Feature unit_v2(NetBuilder& b, const Feature& x, const std::string& name, int64_t width,
                int64_t out, int64_t stride, bool bottleneck) {
  Feature pre = b.activation(b.batch_norm(x, name + ".bn0"), Act::Relu, name + ".relu0");
  Feature y;
  if (bottleneck) {
    y = b.conv(pre, name + ".conv1", width, 1);
    y = b.activation(b.batch_norm(y, name + ".bn1"), Act::Relu, name + ".relu1");
    y = b.conv(y, name + ".conv2", width, 3, stride);
    y = b.activation(b.batch_norm(y, name + ".bn2"), Act::Relu, name + ".relu2");
    y = b.conv(y, name + ".conv3", out, 1);
  } else {
    y = b.conv(pre, name + ".conv1", width, 3, stride);
    y = b.activation(b.batch_norm(y, name + ".bn1"), Act::Relu, name + ".relu1");
    y = b.conv(y, name + ".conv2", out, 3);
  }
  Feature shortcut = x;
  if (stride != 1 || x.channels != out)
    shortcut = b.conv(pre, name + ".downsample.0", out, 1, stride);
  return b.add(y, shortcut, name + ".add");
}

}  // namespace

ir::Graph build_resnet(const ModelSpec& spec, int depth, bool preactivation) {
  auto it = tables().find(depth);
  if (it == tables().end()) fail("models: no ResNet of depth {}", depth);
  const ResNetTable& t = it->second;
  NetBuilder b(spec, fmt::format("resnet{}{}", depth, preactivation ? "_v2" : ""));
  auto width = [&](int64_t c) { return make_divisible(c * spec.width); };

  Feature x = b.conv(b.input(), "conv1", width(64), 7, 2);
  if (!preactivation) x = b.activation(b.batch_norm(x, "bn1"), Act::Relu, "relu");
  x = b.max_pool(x, "maxpool", 3, 2, 1);
  for (size_t stage = 0; stage < t.blocks_per_stage.size(); ++stage) {
    int64_t inner = width(kStageWidths[stage]);
    int64_t out = t.bottleneck ? inner * kBottleneckExpansion : inner;
    for (int unit = 0; unit < t.blocks_per_stage[stage]; ++unit) {
      std::string name = fmt::format("layer{}.{}", stage + 1, unit);
      int64_t stride = stage > 0 && unit == 0 ? 2 : 1;
      x = preactivation ? unit_v2(b, x, name, inner, out, stride, t.bottleneck)
                        : unit_v1(b, x, name, inner, out, stride, t.bottleneck);
    }
  }
  if (preactivation) x = b.activation(b.batch_norm(x, "post_bn"), Act::Relu, "post_relu");
  x = b.global_average_pool(x, "avgpool");
  x = b.flatten(x, "flatten");
  x = b.dropout(x, "dropout", spec.dropout);
  return b.finish(b.linear(x, "fc", spec.classes));
}

}  // namespace qcv::models
