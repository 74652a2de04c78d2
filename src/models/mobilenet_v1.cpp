// MobileNet V1 (Howard et al. 2017), as TF-slim's mobilenet_v1.py builds it: a 3x3 stem then 13
// depthwise-separable blocks, ReLU6, then pool -> dropout -> 1x1 conv logits.
#include <algorithm>

#include "models/families.h"
#include "models/net_builder.h"

namespace qcv::models {

namespace {

struct SeparableRow {
  int64_t stride;
  int64_t out_channels;  // of the pointwise conv, at width 1.0
};

constexpr int64_t kStemChannels = 32;
constexpr SeparableRow kV1Blocks[] = {
    {1, 64},  {2, 128}, {1, 128}, {2, 256}, {1, 256},  {2, 512},  {1, 512},
    {1, 512}, {1, 512}, {1, 512}, {1, 512}, {2, 1024}, {1, 1024},
};

// TF-slim's V1 rule: truncate, at least 8 channels (no rounding to multiples of 8).
int64_t v1_channels(int64_t base, float width) {
  return std::max<int64_t>(static_cast<int64_t>(static_cast<double>(base) * width), 8);
}

}  // namespace

ir::Graph build_mobilenet_v1(const ModelSpec& spec) {
  NetBuilder b(spec, "mobilenet_v1");
  Feature x = b.conv_bn_act(b.input(), "features.0", v1_channels(kStemChannels, spec.width), 3, 2,
                            1, Act::Relu6);
  int index = 1;
  for (const SeparableRow& row : kV1Blocks) {
    std::string name = fmt::format("features.{}", index++);
    x = b.conv_bn_act(x, name + ".dw", x.channels, 3, row.stride, x.channels, Act::Relu6);
    x = b.conv_bn_act(x, name + ".pw", v1_channels(row.out_channels, spec.width), 1, 1, 1,
                      Act::Relu6);
  }
  x = b.global_average_pool(x, "pool");
  x = b.dropout(x, "classifier.dropout", spec.dropout);
  x = b.classifier_conv(x, "classifier.conv", spec.classes);
  return b.finish(b.flatten(x, "classifier.flatten"));
}

}  // namespace qcv::models
