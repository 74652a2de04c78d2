// MobileNet V2 (Sandler et al. 2018): inverted residual blocks with linear bottlenecks, ReLU6,
// channel counts rounded with make_divisible(8) as TF-slim's mobilenet_v2.py and torchvision do.
#include <algorithm>

#include "models/families.h"
#include "models/net_builder.h"

namespace qcv::models {

namespace {

// One row of the paper's Table 2: n repeats of a block expanding by t to c channels; the first
// repeat has stride s.
struct InvertedResidualRow {
  int64_t expansion;     // t
  int64_t out_channels;  // c, at width 1.0
  int repeats;           // n
  int64_t stride;        // s
};

constexpr int64_t kStemChannels = 32;
constexpr int64_t kLastChannels = 1280;
constexpr InvertedResidualRow kV2Blocks[] = {
    {1, 16, 1, 1}, {6, 24, 2, 2},  {6, 32, 3, 2},  {6, 64, 4, 2},
    {6, 96, 3, 1}, {6, 160, 3, 2}, {6, 320, 1, 1},
};

}  // namespace

ir::Graph build_mobilenet_v2(const ModelSpec& spec) {
  NetBuilder b(spec, "mobilenet_v2");
  Feature x = b.conv_bn_act(b.input(), "features.0", make_divisible(kStemChannels * spec.width), 3,
                            2, 1, Act::Relu6);
  int index = 1;
  for (const InvertedResidualRow& row : kV2Blocks) {
    int64_t out = make_divisible(row.out_channels * spec.width);
    for (int r = 0; r < row.repeats; ++r) {
      InvertedBottleneck block;
      block.expanded = row.expansion == 1 ? x.channels : make_divisible(x.channels * row.expansion);
      block.out_channels = out;
      block.stride = r == 0 ? row.stride : 1;
      x = b.inverted_bottleneck(x, fmt::format("features.{}", index++), block);
    }
  }
  // The last layer only grows with the width (published tables: 0.35 keeps 1280).
  int64_t last = make_divisible(kLastChannels * std::max(1.0f, spec.width));
  x = b.conv_bn_act(x, fmt::format("features.{}", index), last, 1, 1, 1, Act::Relu6);
  x = b.global_average_pool(x, "pool");
  x = b.dropout(x, "classifier.dropout", spec.dropout);
  x = b.classifier_conv(x, "classifier.conv", spec.classes);
  return b.finish(b.flatten(x, "classifier.flatten"));
}

}  // namespace qcv::models
