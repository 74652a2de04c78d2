// MobileNet EdgeTPU (Gupta & Akin, Google AI blog 2019), found by architecture search for the
// Pixel 4 Edge TPU: ReLU throughout, no squeeze-excite, and "fused" inverted bottlenecks (one full
// 3x3 conv expansion instead of 1x1 + depthwise) in the first stages at 112..28 px.
//
// The block list is not in the seed text (shared/seeds/004_*.txt gives only the MACs/params
// table); it is written from my knowledge of the published architecture: TF-slim's V3_EDGETPU
// (research/slim/nets/mobilenet/mobilenet_v3.py) and the same list in the TF Model Garden's
// MobileNetEdgeTPU block specs. It is confirmed by the seed's table: at 224 px with 1001 classes
// it gives 990.67 M MACs at 1.0 and 624.49 M at 0.75 (printed 990 and 624, truncated), and
// 4.05 M / 2.96 M conv/fc weights (printed 4.0 / 2.9, truncated, no BN parameters, as the V2
// table counts): tests/models/test_published_costs.cpp checks both to the printed digit.
// Channels scale with the depth multiplier (make_divisible(8)) except the last 1x1 conv, which
// keeps 1280 below 1.0 (TF-slim's finegrain_classification_mode, as in MobileNet V3); the 0.75
// row's MACs need exactly that.
#include <algorithm>

#include "models/families.h"
#include "models/net_builder.h"

namespace qcv::models {

namespace {

struct EdgeTpuRow {
  bool fused;
  int64_t kernel;
  int64_t stride;
  int64_t out_channels;  // at depth multiplier 1.0
  int64_t expansion;     // of the (width-scaled) block input; 1: no expansion conv
  bool residual;         // when stride 1 keeps the channels
};

constexpr int64_t kStemChannels = 32;
constexpr int64_t kLastChannels = 1280;
constexpr EdgeTpuRow kBlocks[] = {
    {true, 3, 1, 16, 1, true},  // 32 -> 16: only the 1x1 projection (no expansion at 1x)
    {true, 3, 2, 32, 8, true},   {true, 3, 1, 32, 4, true},   {true, 3, 1, 32, 4, true},
    {true, 3, 1, 32, 4, true},   {true, 3, 2, 48, 8, true},   {true, 3, 1, 48, 4, true},
    {true, 3, 1, 48, 4, true},   {true, 3, 1, 48, 4, true},   {false, 3, 2, 96, 8, true},
    {false, 3, 1, 96, 4, true},  {false, 3, 1, 96, 4, true},  {false, 3, 1, 96, 4, true},
    {false, 3, 1, 96, 8, false},  // the 14x14 stage's fifth block has no residual in the spec
    {false, 3, 1, 96, 4, true},  {false, 3, 1, 96, 4, true},  {false, 3, 1, 96, 4, true},
    {false, 5, 2, 160, 8, true}, {false, 5, 1, 160, 4, true}, {false, 5, 1, 160, 4, true},
    {false, 5, 1, 160, 4, true}, {false, 3, 1, 192, 8, true},
};

}  // namespace

ir::Graph build_mobilenet_edgetpu(const ModelSpec& spec) {
  NetBuilder b(spec, "mobilenet_edgetpu");
  auto width = [&](int64_t c) { return make_divisible(c * spec.width); };
  Feature x = b.conv_bn_act(b.input(), "features.0", width(kStemChannels), 3, 2, 1, Act::Relu);
  int index = 1;
  for (const EdgeTpuRow& row : kBlocks) {
    InvertedBottleneck block;
    block.expanded = row.expansion == 1 ? x.channels : make_divisible(x.channels * row.expansion);
    block.out_channels = width(row.out_channels);
    block.kernel = row.kernel;
    block.stride = row.stride;
    block.act = Act::Relu;
    block.fused = row.fused;
    block.residual = row.residual;
    x = b.inverted_bottleneck(x, fmt::format("features.{}", index++), block);
  }
  x = b.conv_bn_act(x, fmt::format("features.{}", index),
                    make_divisible(kLastChannels * std::max(1.0f, spec.width)), 1, 1, 1, Act::Relu);
  x = b.global_average_pool(x, "pool");
  x = b.dropout(x, "classifier.dropout", spec.dropout);
  x = b.classifier_conv(x, "classifier.conv", spec.classes);
  return b.finish(b.flatten(x, "classifier.flatten"));
}

}  // namespace qcv::models
