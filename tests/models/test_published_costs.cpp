// MACs and params of the zoo against the published tables (tests/models/published_tables.h).
//
// 1. Every row within 3% (or within the rounding of the printed figure). The few README rows
//    that contradict their own neighbours or the released checkpoints are listed in errata()
//    with the figure that replaces them and where it comes from.
// 2. The exact conventions behind the TF tables, reproduced to the printed digit:
//    - V2 table: MACs truncated to the integer; params = conv/fc weights and biases, no BN.
//    - V1 table: MACs rounded; params = conv/fc weights + 3 per BN channel (the checkpoint's
//      beta, moving mean and moving variance: TF-slim V1 has no BN gamma), rounded; the 0.75 rows'
//      MACs leave out the 3x3 stem conv (the 1.0/0.5/0.25 rows include it).
//    - EdgeTPU rows: as the V2 table, MACs and params (no BN) truncated.
// 3. torchvision's exact parameter counts (1000 classes), which use our convention, and
//    keras.applications' (ours plus the BN moving mean and variance).
// 4. Layer-by-layer hand counts where nothing is published (Keras ResNet V2 MACs).
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <string>
#include <vector>

#include "models/published_tables.h"
#include "models/zoo_table.h"

namespace qcv::models {
namespace {

using published::Row;

struct Erratum {
  double mmacs = -1, mparams = -1;  // replacement figures; -1: the printed one stands
  const char* why;
};

std::string key(const std::string& name, float width, int resolution) {
  return fmt::format("{}_{:.2f}_{}", name, width, resolution);
}

const std::map<std::string, Erratum>& errata() {
  static const std::map<std::string, Erratum> e = {
      // MACs scale with the square of the resolution (all strides divide 192): from the printed
      // 0.25_224 row, (41 - 0.256 logits) * (192/224)^2 + 0.256 = 30.2. The printed 34 breaks
      // the table's own scaling (0.25_160 and 0.25_128 follow it).
      {key("mobilenet_v1", 0.25f, 192),
       {30.2, -1, "0.25_224 row scaled to 192 (printed 34 contradicts the table's own scaling)"}},
      // The README's small-model figures predate the released architecture: its params are
      // exactly those of a 1280-wide head (2.94 M, 2.40 M), while the released checkpoints, as
      // ported by timm (tf_mobilenetv3_small_100 / _075 / _minimal_100: 2.54 / 2.04 / 2.04 M),
      // and torchvision's mobilenet_v3_small (2,542,856 params, 0.06 GMACs) use the paper's
      // 1024-wide head. The MACs 66 (and 65 for minimalistic, which drops SE and 5x5 kernels and
      // so must be below the SE model) match no variant; the final paper's Table 3 gives 56 M
      // for Small 1.0. The minimalistic MACs are checked by hand in SmallMinimalisticByHand.
      {key("mobilenet_v3_small", 1.0f, 224),
       {56.0, 2.54, "released checkpoint (timm port, torchvision); README predates 1024 head"}},
      {key("mobilenet_v3_small", 0.75f, 224),
       {-1, 2.04, "released checkpoint (timm port tf_mobilenetv3_small_075)"}},
      {key("mobilenet_v3_small_minimalistic", 1.0f, 224),
       {52.29, -1, "hand-computed layer by layer (SmallMinimalisticByHand)"}},
  };
  return e;
}

// Within 3%, or within the rounding of the printed figure: "14" is 13.5..14.5 when rounded, and
// 14..15 when truncated (the V2 table truncates its MACs: see TfMobileNetV2TableExactly).
bool matches(double ours, double printed, double unit, bool truncated = false) {
  if (std::abs(ours / printed - 1) <= 0.03) return true;
  return truncated ? ours >= printed && ours < printed + unit
                   : std::abs(ours - printed) <= unit / 2;
}

const ZooEntry& find(const std::vector<ZooEntry>& zoo, const Row& p) {
  for (const ZooEntry& e : zoo)
    if (e.spec.name == p.name && e.spec.width == p.width && e.spec.resolution == p.resolution)
      return e;
  throw std::runtime_error(key(p.name, p.width, p.resolution) + " not in zoo_table()");
}

class PublishedCosts : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { zoo_ = new std::vector<ZooEntry>(zoo_table()); }
  static void TearDownTestSuite() { delete zoo_; }
  static std::vector<ZooEntry>* zoo_;
};
std::vector<ZooEntry>* PublishedCosts::zoo_ = nullptr;

TEST_F(PublishedCosts, EveryRowWithin3Percent) {
  std::vector<Row> rows;
  for (auto* table : {&published::tf_mobilenet_v1(), &published::tf_mobilenet_v2(),
                      &published::tf_mobilenet_v3(), &published::torchvision_resnets(),
                      &published::tf_mobilenet_edgetpu(), &published::keras_resnets()})
    rows.insert(rows.end(), table->begin(), table->end());
  int checked = 0;
  for (const Row& p : rows) {
    const ZooEntry& e = find(*zoo_, p);
    double macs = e.cost.macs / 1e6, params = e.cost.params / 1e6;
    double want_macs = p.mmacs, want_params = p.mparams;
    std::string note;
    auto it = errata().find(key(p.name, p.width, p.resolution));
    if (it != errata().end()) {
      if (it->second.mmacs > 0) want_macs = it->second.mmacs;
      if (it->second.mparams > 0) want_params = it->second.mparams;
      note = fmt::format("  [printed {} M MACs, {} M params; checked against: {}]", p.mmacs,
                         p.mparams, it->second.why);
    }
    double params_unit =
        p.mparams < 10 && p.mparams * 10 == std::round(p.mparams * 10) ? 0.1 : 0.01;
    bool truncated = p.name == "mobilenet_v2" || p.name == "mobilenet_edgetpu";
    // EdgeTPU 0.75: our 2.989 M (with BN gamma/beta) is 3.1% above the printed 2.9, which is its
    // truncated BN-free 2.959 M (TfMobileNetEdgeTpuTableExactly); the truncation rule admits it.
    bool params_truncated = p.name == "mobilenet_edgetpu";
    bool macs_ok = want_macs < 0 || matches(macs, want_macs, 1.0, truncated);  // -1: none printed
    bool ok = macs_ok && matches(params, want_params, params_unit, params_truncated);
    std::string macs_vs = want_macs < 0
                              ? "   none printed"
                              : fmt::format("{:7.1f} (x{:.3f})", want_macs, macs / want_macs);
    std::printf("%-32s %4.2f %3d  MACs %9.2f M vs %s  params %7.3f M vs %5.2f (x%.3f)%s%s\n",
                p.name.c_str(), p.width, p.resolution, macs, macs_vs.c_str(), params, want_params,
                params / want_params, ok ? "" : "  <-- OFF", note.c_str());
    EXPECT_TRUE(ok) << key(p.name, p.width, p.resolution);
    ++checked;
  }
  EXPECT_EQ(checked, 16 + 22 + 6 + 5 + 2 + 6);
}

// Conv/fc weights and biases without BN, and the number of BN channels, of a built graph.
struct Breakdown {
  int64_t weights = 0, bn_channels = 0, stem_macs = 0;
};
Breakdown breakdown(const ModelSpec& spec, const Cost& cost) {
  ir::Graph g = build(spec);
  Breakdown b;
  for (const ir::Node& n : g.nodes)
    if (n.op == "BatchNormalization") b.bn_channels += g.initializer(n.inputs[1])->numel();
  b.weights = cost.params - 2 * b.bn_channels;
  const ir::Tensor* stem = g.initializer("features.0.conv.weight");
  int64_t out = spec.resolution / 2;
  if (stem) b.stem_macs = out * out * stem->dim(0) * stem->dim(1) * 9;
  return b;
}

TEST_F(PublishedCosts, TfMobileNetV2TableExactly) {
  for (const Row& p : published::tf_mobilenet_v2()) {
    const ZooEntry& e = find(*zoo_, p);
    Breakdown b = breakdown(e.spec, e.cost);
    SCOPED_TRACE(key(p.name, p.width, p.resolution));
    EXPECT_EQ(e.cost.macs / 1000000, static_cast<int64_t>(p.mmacs));  // truncated
    EXPECT_EQ(std::llround(b.weights / 1e4), std::llround(p.mparams * 100));
  }
}

TEST_F(PublishedCosts, TfMobileNetV1TableExactly) {
  for (const Row& p : published::tf_mobilenet_v1()) {
    const ZooEntry& e = find(*zoo_, p);
    Breakdown b = breakdown(e.spec, e.cost);
    SCOPED_TRACE(key(p.name, p.width, p.resolution));
    int64_t macs = e.spec.width == 0.75f ? e.cost.macs - b.stem_macs : e.cost.macs;
    if (!errata().count(key(p.name, p.width, p.resolution))) {
      // Rounded; 0.5_224 is 149.498 M, printed 150 (the paper prints 149): allow 0.51.
      EXPECT_LE(std::abs(macs / 1e6 - p.mmacs), 0.51);
    }
    EXPECT_EQ(std::llround((b.weights + 3 * b.bn_channels) / 1e4), std::llround(p.mparams * 100));
  }
}

TEST_F(PublishedCosts, TfMobileNetV3LargeMacsExactly) {
  for (const Row& p : published::tf_mobilenet_v3()) {
    if (p.name.find("large") == std::string::npos) continue;
    const ZooEntry& e = find(*zoo_, p);
    EXPECT_EQ(std::llround(e.cost.macs / 1e6), static_cast<int64_t>(p.mmacs)) << p.name;
  }
}

TEST_F(PublishedCosts, TfMobileNetEdgeTpuTableExactly) {
  for (const Row& p : published::tf_mobilenet_edgetpu()) {
    const ZooEntry& e = find(*zoo_, p);
    Breakdown b = breakdown(e.spec, e.cost);
    SCOPED_TRACE(key(p.name, p.width, p.resolution));
    EXPECT_EQ(e.cost.macs / 1000000, static_cast<int64_t>(p.mmacs));            // truncated
    EXPECT_EQ(b.weights / 100000, static_cast<int64_t>(p.mparams * 10 + 0.5));  // truncated, no BN
  }
}

// keras.applications' documented totals are Keras' "Total params": trainable (our convention)
// plus the non-trainable BN moving mean and variance, two per BN channel.
TEST_F(PublishedCosts, KerasTotalParamsExactly) {
  for (const Row& p : published::keras_resnets()) {
    const ZooEntry& e = find(*zoo_, p);
    Breakdown b = breakdown(e.spec, e.cost);
    EXPECT_EQ(e.cost.params + 2 * b.bn_channels, published::keras_total_params(p.name)) << p.name;
  }
}

// torchvision's documented num_params (1000 classes): conv/linear weights and biases and BN
// gamma/beta, the convention count_cost uses.
TEST(TorchvisionCounts, ExactParams) {
  const std::map<std::string, int64_t> want = {
      {"resnet18", 11689512},          {"resnet34", 21797672},          {"resnet50", 25557032},
      {"resnet101", 44549160},         {"resnet152", 60192808},         {"mobilenet_v2", 3504872},
      {"mobilenet_v3_large", 5483032}, {"mobilenet_v3_small", 2542856},
  };
  for (const auto& [name, params] : want) {
    ModelSpec s;
    s.name = name;
    s.classes = 1000;
    s.init_weights = false;
    EXPECT_EQ(count_cost(build(s)).params, params) << name;
  }
}

// MobileNetV3-Small minimalistic at 224 (3x3 kernels, no SE, 1001 classes), layer by layer from
// the paper's Table 2: output pixels x input channels per group x kernel area x output channels.
TEST(HandComputed, SmallMinimalisticByHand) {
  auto conv = [](int64_t hw, int64_t cin, int64_t k, int64_t cout) {
    return hw * hw * cin * k * k * cout;
  };
  auto dw = [](int64_t hw, int64_t c) { return hw * hw * c * 9; };
  int64_t macs = conv(112, 3, 3, 16);                                       // stem
  macs += dw(56, 16) + conv(56, 16, 1, 16);                                 // 16, s2
  macs += conv(56, 16, 1, 72) + dw(28, 72) + conv(28, 72, 1, 24);           // 72 -> 24, s2
  macs += conv(28, 24, 1, 88) + dw(28, 88) + conv(28, 88, 1, 24);           // 88 -> 24
  macs += conv(28, 24, 1, 96) + dw(14, 96) + conv(14, 96, 1, 40);           // 96 -> 40, s2
  macs += 2 * (conv(14, 40, 1, 240) + dw(14, 240) + conv(14, 240, 1, 40));  // 240 -> 40 x2
  macs += conv(14, 40, 1, 120) + dw(14, 120) + conv(14, 120, 1, 48);        // 120 -> 48
  macs += conv(14, 48, 1, 144) + dw(14, 144) + conv(14, 144, 1, 48);        // 144 -> 48
  macs += conv(14, 48, 1, 288) + dw(7, 288) + conv(7, 288, 1, 96);          // 288 -> 96, s2
  macs += 2 * (conv(7, 96, 1, 576) + dw(7, 576) + conv(7, 576, 1, 96));     // 576 -> 96 x2
  macs += conv(7, 96, 1, 576) + 576 * 1024 + 1024 * 1001;                   // last, head, logits
  ModelSpec s;
  s.name = "mobilenet_v3_small_minimalistic";
  s.classes = 1001;
  s.init_weights = false;
  EXPECT_EQ(count_cost(build(s)).macs, macs);
}

// Keras ResNets at 224 (1000 classes), layer by layer from keras.applications' resnet.py
// (block1/stack1, block2/stack2): MACs = output pixels x input channels x kernel area x output
// channels; trainable params = conv/dense weights + biases + BN gamma/beta.
struct HandCount {
  int64_t macs = 0, params = 0;
  void conv(int64_t out_hw, int64_t cin, int64_t k, int64_t cout, bool bias) {
    macs += out_hw * out_hw * cin * k * k * cout;
    params += cin * k * k * cout + (bias ? cout : 0);
  }
  void bn(int64_t c) { params += 2 * c; }
};

HandCount keras_resnet_by_hand(const std::vector<int>& blocks, bool v2) {
  HandCount h;
  h.conv(112, 3, 7, 64, true);  // conv1_conv (ZeroPadding2D(3), 7x7 stride 2)
  if (!v2) h.bn(64);            // conv1_bn (V2: none before the pool)
  int64_t hw = 56, cin = 64;    // after the 3x3 stride-2 max pool
  const int64_t filters[] = {64, 128, 256, 512};
  for (int stage = 0; stage < 4; ++stage) {
    const int64_t f = filters[stage], out = 4 * f;
    for (int i = 0; i < blocks[stage]; ++i) {
      if (!v2) {  // block1: stride on 1_conv of block 1 in stacks 2..4; conv shortcut in block 1
        const int64_t s = i == 0 && stage > 0 ? 2 : 1, o = hw / s;
        if (i == 0) h.conv(o, cin, 1, out, true), h.bn(out);  // 0_conv, 0_bn
        h.conv(o, cin, 1, f, true), h.bn(f);                  // 1_conv (the stride), 1_bn
        h.conv(o, f, 3, f, true), h.bn(f);                    // 2_conv, 2_bn
        h.conv(o, f, 1, out, true), h.bn(out);                // 3_conv, 3_bn
        hw = o;
      } else {  // block2: stride in 2_conv of the LAST block of stacks 1..3
        const int64_t s = i == blocks[stage] - 1 && stage < 3 ? 2 : 1, o = hw / s;
        h.bn(cin);                                  // preact_bn
        if (i == 0) h.conv(hw, cin, 1, out, true);  // 0_conv (stride 1 in block 1)
        h.conv(hw, cin, 1, f, false), h.bn(f);      // 1_conv (no bias), 1_bn
        h.conv(o, f, 3, f, false), h.bn(f);         // 2_conv (no bias), 2_bn
        h.conv(o, f, 1, out, true);                 // 3_conv
        hw = o;
      }
      cin = out;
    }
  }
  if (v2) h.bn(cin);  // post_bn
  h.macs += cin * 1000;
  h.params += cin * 1000 + 1000;  // predictions (Dense)
  return h;
}

TEST(HandComputed, KerasResNetsByHand) {
  const std::map<int, std::vector<int>> blocks = {
      {50, {3, 4, 6, 3}}, {101, {3, 4, 23, 3}}, {152, {3, 8, 36, 3}}};
  for (const auto& [depth, stages] : blocks) {
    for (bool v2 : {false, true}) {
      ModelSpec s;
      s.name = fmt::format("resnet{}{}_keras", depth, v2 ? "_v2" : "");
      s.classes = 1000;
      s.init_weights = false;
      const Cost c = count_cost(build(s));
      const HandCount h = keras_resnet_by_hand(stages, v2);
      EXPECT_EQ(c.macs, h.macs) << s.name;
      EXPECT_EQ(c.params, h.params) << s.name;
    }
  }
}

}  // namespace
}  // namespace qcv::models
