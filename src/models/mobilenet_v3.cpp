// MobileNet V3 (Howard et al. 2019), Large and Small, as TF-slim's mobilenet_v3.py builds them:
// expansion sizes are factors of the (width-scaled) block input rounded with make_divisible(8),
// squeeze-excite after the depthwise conv (squeeze = make_divisible(expanded / 4), ReLU, hard
// sigmoid gate), and the head pool -> 1x1 conv (bias, no BN) -> dropout -> 1x1 conv logits.
// The minimalistic variants drop SE, hard-swish and 5x5 kernels: ReLU and 3x3 everywhere.
#include <algorithm>
#include <vector>

#include "models/families.h"
#include "models/net_builder.h"

namespace qcv::models {

namespace {

// One row of the paper's Tables 1 and 2 (channel counts at width 1.0).
struct BneckRow {
  int64_t kernel;
  int64_t expanded;  // "exp size"; the expansion factor is expanded / block input
  int64_t out_channels;
  bool squeeze_excite;
  bool hard_swish;  // else ReLU
  int64_t stride;
};

struct V3Table {
  const char* name;
  int64_t stem_channels;
  std::vector<BneckRow> blocks;
  int64_t last_conv;  // 1x1 conv before pooling (with BN)
  int64_t head_conv;  // 1x1 conv after pooling (bias, no BN)
};

const V3Table& table(V3Size size) {
  static const V3Table large = {"mobilenet_v3_large",
                                16,
                                {
                                    {3, 16, 16, false, false, 1},
                                    {3, 64, 24, false, false, 2},
                                    {3, 72, 24, false, false, 1},
                                    {5, 72, 40, true, false, 2},
                                    {5, 120, 40, true, false, 1},
                                    {5, 120, 40, true, false, 1},
                                    {3, 240, 80, false, true, 2},
                                    {3, 200, 80, false, true, 1},
                                    {3, 184, 80, false, true, 1},
                                    {3, 184, 80, false, true, 1},
                                    {3, 480, 112, true, true, 1},
                                    {3, 672, 112, true, true, 1},
                                    {5, 672, 160, true, true, 2},
                                    {5, 960, 160, true, true, 1},
                                    {5, 960, 160, true, true, 1},
                                },
                                960,
                                1280};
  static const V3Table small = {"mobilenet_v3_small",
                                16,
                                {
                                    {3, 16, 16, true, false, 2},
                                    {3, 72, 24, false, false, 2},
                                    {3, 88, 24, false, false, 1},
                                    {5, 96, 40, true, true, 2},
                                    {5, 240, 40, true, true, 1},
                                    {5, 240, 40, true, true, 1},
                                    {5, 120, 48, true, true, 1},
                                    {5, 144, 48, true, true, 1},
                                    {5, 288, 96, true, true, 2},
                                    {5, 576, 96, true, true, 1},
                                    {5, 576, 96, true, true, 1},
                                },
                                576,
                                1024};
  return size == V3Size::Large ? large : small;
}

}  // namespace

ir::Graph build_mobilenet_v3(const ModelSpec& spec, V3Size size, bool minimalistic) {
  const V3Table& t = table(size);
  NetBuilder b(spec, minimalistic ? std::string(t.name) + "_minimalistic" : t.name);
  const Act hard_swish = minimalistic ? Act::Relu : Act::HardSwish;
  auto width = [&](int64_t c) { return make_divisible(c * spec.width); };

  Feature x = b.conv_bn_act(b.input(), "features.0", width(t.stem_channels), 3, 2, 1, hard_swish);
  int64_t base_in = t.stem_channels;  // the block input at width 1.0, for expansion factors
  int index = 1;
  for (const BneckRow& row : t.blocks) {
    std::string name = fmt::format("features.{}", index++);
    Act act = row.hard_swish ? hard_swish : Act::Relu;
    int64_t kernel = minimalistic ? 3 : row.kernel;
    double factor = static_cast<double>(row.expanded) / static_cast<double>(base_in);
    int64_t expanded = make_divisible(x.channels * factor);
    int64_t out = width(row.out_channels);
    Feature block_in = x;
    if (expanded > x.channels)  // TF-slim skips the expansion conv when the factor is 1
      x = b.conv_bn_act(x, name + ".expand", expanded, 1, 1, 1, act);
    x = b.conv_bn_act(x, name + ".dw", x.channels, kernel, row.stride, x.channels, act);
    if (row.squeeze_excite && !minimalistic) {
      Feature s = b.global_average_pool(x, name + ".se.pool");
      s = b.conv(s, name + ".se.fc1", make_divisible(x.channels / 4.0), 1, 1, 1, true);
      s = b.activation(s, Act::Relu, name + ".se.relu");
      s = b.conv(s, name + ".se.fc2", x.channels, 1, 1, 1, true);
      s = b.hard_sigmoid(s, name + ".se.gate");
      x = b.mul(x, s, name + ".se.scale");
    }
    x = b.conv_bn_act(x, name + ".project", out, 1, 1, 1, Act::None);
    if (row.stride == 1 && block_in.channels == out) x = b.add(x, block_in, name + ".add");
    base_in = row.out_channels;
  }
  x = b.conv_bn_act(x, fmt::format("features.{}", index), width(t.last_conv), 1, 1, 1, hard_swish);
  x = b.global_average_pool(x, "pool");
  // The head conv keeps its width for multipliers below 1 (TF's finegrain_classification_mode
  // and Keras' MobileNetV3); it grows with larger ones.
  x = b.classifier_conv(x, "classifier.head",
                        make_divisible(t.head_conv * std::max(1.0f, spec.width)));
  x = b.activation(x, hard_swish, "classifier.head.act");
  x = b.dropout(x, "classifier.dropout", spec.dropout);
  x = b.classifier_conv(x, "classifier.conv", spec.classes);
  return b.finish(b.flatten(x, "classifier.flatten"));
}

}  // namespace qcv::models
