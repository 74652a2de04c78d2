// Building every model: graph interface, shapes at 224 and at 32x32 grayscale, naming,
// determinism of the weights, initialization statistics, channel rounding, and errors.
#include <gtest/gtest.h>

#include <cmath>
#include <cstring>

#include "models/models.h"
#include "models/net_builder.h"

namespace qcv::models {
namespace {

ModelSpec spec_of(const std::string& name, int resolution = 224, int in_channels = 3,
                  int classes = 1000) {
  ModelSpec s;
  s.name = name;
  s.resolution = resolution;
  s.in_channels = in_channels;
  s.classes = classes;
  s.init_weights = false;
  return s;
}

void expect_interface(const ir::Graph& g, const ModelSpec& s) {
  ASSERT_EQ(g.inputs.size(), 1u);
  EXPECT_EQ(g.inputs[0].name, "input");
  EXPECT_EQ(g.inputs[0].dtype, ir::DType::Float32);
  EXPECT_EQ(g.inputs[0].shape, (ir::Shape{-1, s.in_channels, s.resolution, s.resolution}));
  EXPECT_EQ(g.inputs[0].dim_names, (std::vector<std::string>{"N", "", "", ""}));
  ASSERT_EQ(g.outputs.size(), 1u);
  EXPECT_EQ(g.outputs[0].name, "logits");
  EXPECT_EQ(g.outputs[0].dtype, ir::DType::Float32);
  EXPECT_EQ(g.outputs[0].shape, (ir::Shape{-1, s.classes}));
  EXPECT_EQ(g.outputs[0].dim_names[0], "N");
}

TEST(Build, EveryModelAt224) {
  ASSERT_GE(model_names().size(), 13u);
  for (const std::string& name : model_names()) {
    SCOPED_TRACE(name);
    ModelSpec s = spec_of(name);
    ir::Graph g = build(s);
    expect_interface(g, s);
    // The feature map before global pooling is 7x7 at 224 (output stride 32).
    for (const ir::Node& n : g.nodes) {
      if (n.op != "GlobalAveragePool" || n.name.find(".se.") != std::string::npos) continue;
      auto in = g.value_type(n.inputs[0]);
      ASSERT_TRUE(in.has_value());
      EXPECT_EQ(in->shape[2], 7);
      EXPECT_EQ(in->shape[3], 7);
    }
  }
}

TEST(Build, EveryModelAt32Grayscale) {
  for (const std::string& name : model_names()) {
    SCOPED_TRACE(name);
    ModelSpec s = spec_of(name, 32, 1, 10);
    expect_interface(build(s), s);
  }
  // Odd and tiny resolutions still build: global pooling absorbs any final size.
  for (int r : {28, 33, 8})
    expect_interface(build(spec_of("mobilenet_v3_small", r, 1, 10)),
                     spec_of("mobilenet_v3_small", r, 1, 10));
}

TEST(Build, WidthsAndDropout) {
  for (float w : {0.35f, 0.5f, 1.3f, 2.0f}) {
    ModelSpec s = spec_of("mobilenet_v2");
    s.width = w;
    expect_interface(build(s), s);
  }
  ModelSpec s = spec_of("resnet18");
  s.width = 0.5f;
  ir::Graph g = build(s);
  EXPECT_EQ(g.initializer("conv1.weight")->shape(), (ir::Shape{32, 3, 7, 7}));
  // Dropout only when asked for.
  s.dropout = 0.0f;
  for (const ir::Node& n : build(s).nodes) EXPECT_NE(n.op, "Dropout");
  s.dropout = 0.3f;
  int dropouts = 0;
  for (const ir::Node& n : build(s).nodes) dropouts += n.op == "Dropout";
  EXPECT_EQ(dropouts, 1);
}

TEST(Build, ReadableNamesAndLayouts) {
  ir::Graph v2 = build(spec_of("mobilenet_v2"));
  // features.2: the second block, expansion 16 -> 96 (Table 2 of the V2 paper).
  ASSERT_NE(v2.initializer("features.2.expand.conv.weight"), nullptr);
  EXPECT_EQ(v2.initializer("features.2.expand.conv.weight")->shape(), (ir::Shape{96, 16, 1, 1}));
  EXPECT_EQ(v2.initializer("features.2.dw.conv.weight")->shape(), (ir::Shape{96, 1, 3, 3}));
  EXPECT_NE(v2.initializer("features.2.expand.bn.running_var"), nullptr);
  EXPECT_GE(v2.find_node("features.3.add"), 0);  // 24 -> 24, stride 1: residual
  EXPECT_LT(v2.find_node("features.2.add"), 0);  // stride 2: none
  EXPECT_EQ(v2.initializer("classifier.conv.weight")->shape(), (ir::Shape{1000, 1280, 1, 1}));

  ir::Graph r50 = build(spec_of("resnet50"));
  // v1.5: the stride of layer2.0 is on its 3x3 conv, and the projection shortcut strides too.
  const ir::Node& c2 = r50.nodes[r50.find_node("layer2.0.conv2")];
  EXPECT_EQ(c2.attr_ints("strides"), (std::vector<int64_t>{2, 2}));
  const ir::Node& c1 = r50.nodes[r50.find_node("layer2.0.conv1")];
  EXPECT_EQ(c1.attr_ints("strides"), (std::vector<int64_t>{1, 1}));
  EXPECT_EQ(r50.initializer("layer2.0.downsample.0.weight")->shape(), (ir::Shape{512, 256, 1, 1}));
  EXPECT_EQ(r50.initializer("fc.weight")->shape(), (ir::Shape{1000, 2048}));

  ir::Graph v3 = build(spec_of("mobilenet_v3_large"));
  EXPECT_GE(v3.opset, 14);  // HardSwish
  // Block 4 (72 -> 40, 5x5, SE): squeeze = make_divisible(72 / 4) = 24.
  EXPECT_EQ(v3.initializer("features.4.se.fc1.weight")->shape(), (ir::Shape{24, 72, 1, 1}));
  EXPECT_EQ(v3.initializer("features.4.dw.conv.weight")->shape(), (ir::Shape{72, 1, 5, 5}));
  const ir::Node& gate = v3.nodes[v3.find_node("features.4.se.gate")];
  EXPECT_EQ(gate.op, "HardSigmoid");
  EXPECT_FLOAT_EQ(gate.attr_float("alpha", 0), 1.0f / 6.0f);
  EXPECT_FLOAT_EQ(gate.attr_float("beta", 0), 0.5f);

  // Minimalistic: ReLU, 3x3, no SE anywhere.
  ir::Graph mini = build(spec_of("mobilenet_v3_large_minimalistic"));
  for (const ir::Node& n : mini.nodes) {
    EXPECT_TRUE(n.op != "HardSwish" && n.op != "HardSigmoid" && n.op != "Mul") << n.name;
    if (n.op == "Conv") {
      EXPECT_LE(n.attr_ints("kernel_shape")[0], 3) << n.name;
    }
  }
}

// Where the Keras layouts put their strides, biases and shortcuts (keras.applications resnet.py),
// and EdgeTPU's fused blocks: the structure the MACs/params tests cannot see.
TEST(Build, KerasResNetAndEdgeTpuLayouts) {
  auto strides = [](const ir::Graph& g, const std::string& node) {
    return g.nodes[g.find_node(node)].attr_ints("strides");
  };
  const std::vector<int64_t> one = {1, 1}, two = {2, 2};
  ir::Graph v1 = build(spec_of("resnet50_keras"));
  EXPECT_EQ(strides(v1, "layer2.0.conv1"), two);  // the first 1x1 conv strides
  EXPECT_EQ(strides(v1, "layer2.0.conv2"), one);
  EXPECT_EQ(strides(v1, "layer2.0.downsample.0"), two);
  EXPECT_NE(v1.initializer("layer1.0.conv2.bias"), nullptr);  // every conv has a bias
  EXPECT_NE(v1.initializer("conv1.bias"), nullptr);
  EXPECT_FLOAT_EQ(v1.nodes[v1.find_node("layer3.4.bn2")].attr_float("epsilon", 0), 1.001e-5f);

  ir::Graph v2 = build(spec_of("resnet50_v2_keras"));
  // Stage 1 (3 units) strides in its LAST unit's 3x3 conv; the shortcut there max-pools the
  // unit's input 1x1/2; stage 4 does not stride.
  EXPECT_EQ(strides(v2, "layer1.0.conv2"), one);
  EXPECT_EQ(strides(v2, "layer1.2.conv2"), two);
  const ir::Node& pool = v2.nodes[v2.find_node("layer1.2.downsample.pool")];
  EXPECT_EQ(pool.op, "MaxPool");
  EXPECT_EQ(pool.attr_ints("kernel_shape"), one);
  EXPECT_EQ(pool.attr_ints("strides"), two);
  EXPECT_EQ(pool.inputs[0], "layer1.1.add");
  EXPECT_EQ(strides(v2, "layer4.2.conv2"), one);
  EXPECT_LT(v2.find_node("layer4.2.downsample.pool"), 0);
  // The first unit's projection reads the pre-activation, stride 1, with a bias.
  const ir::Node& proj = v2.nodes[v2.find_node("layer2.0.downsample.0")];
  EXPECT_EQ(proj.inputs[0], "layer2.0.relu0");
  EXPECT_EQ(proj.attr_ints("strides"), one);
  EXPECT_EQ(proj.inputs.size(), 3u);
  EXPECT_EQ(v2.initializer("layer2.0.conv1.bias"), nullptr);  // 1_conv, 2_conv: no bias
  EXPECT_EQ(v2.initializer("layer2.0.conv2.bias"), nullptr);
  EXPECT_NE(v2.initializer("layer2.0.conv3.bias"), nullptr);
  EXPECT_GE(v2.find_node("post_bn"), 0);

  ir::Graph e = build(spec_of("mobilenet_edgetpu"));
  // Block 1 (x1): only the 1x1 projection 32 -> 16. Block 2: fused 3x3 stride-2 expansion
  // 16 -> 128, no depthwise. Block 10: the first regular one (expansion 48 -> 384, dw).
  EXPECT_EQ(e.initializer("features.1.expand.conv.weight"), nullptr);
  EXPECT_EQ(e.initializer("features.1.project.conv.weight")->shape(), (ir::Shape{16, 32, 1, 1}));
  EXPECT_EQ(e.initializer("features.2.expand.conv.weight")->shape(), (ir::Shape{128, 16, 3, 3}));
  EXPECT_EQ(strides(e, "features.2.expand.conv"), two);
  EXPECT_LT(e.find_node("features.2.dw.conv"), 0);
  EXPECT_GE(e.find_node("features.3.add"), 0);
  EXPECT_EQ(e.initializer("features.10.expand.conv.weight")->shape(), (ir::Shape{384, 48, 1, 1}));
  EXPECT_EQ(e.initializer("features.10.dw.conv.weight")->shape(), (ir::Shape{384, 1, 3, 3}));
  EXPECT_LT(e.find_node("features.14.add"), 0);  // 96 -> 96, stride 1, but no residual
  EXPECT_GE(e.find_node("features.15.add"), 0);
  EXPECT_EQ(e.initializer("features.18.dw.conv.weight")->shape(), (ir::Shape{768, 1, 5, 5}));
  for (const ir::Node& n : e.nodes) EXPECT_TRUE(n.op != "Clip" && n.op != "HardSwish") << n.name;
  // 0.75 scales every block but keeps the 1280-wide last conv.
  ModelSpec s = spec_of("mobilenet_edgetpu");
  s.width = 0.75f;
  ir::Graph e75 = build(s);
  EXPECT_EQ(e75.initializer("features.0.conv.weight")->shape(), (ir::Shape{24, 3, 3, 3}));
  EXPECT_EQ(e75.initializer("features.23.conv.weight")->shape(), (ir::Shape{1280, 144, 1, 1}));
}

bool same_bytes(const ir::Graph& a, const ir::Graph& b) {
  if (a.initializers.size() != b.initializers.size()) return false;
  for (const auto& [name, t] : a.initializers) {
    const ir::Tensor* u = b.initializer(name);
    if (!u || u->shape() != t.shape() || std::memcmp(u->raw(), t.raw(), t.nbytes()) != 0)
      return false;
  }
  return true;
}

TEST(Build, SameSeedSameBytesOtherSeedOtherBytes) {
  for (const char* name : {"mobilenet_v2", "mobilenet_v3_small", "resnet18"}) {
    SCOPED_TRACE(name);
    ModelSpec s = spec_of(name, 32, 1, 10);
    s.init_weights = true;
    s.seed = 42;
    ir::Graph a = build(s), b = build(s);
    EXPECT_TRUE(same_bytes(a, b));
    s.seed = 43;
    EXPECT_FALSE(same_bytes(a, build(s)));
  }
}

TEST(Build, InitializationStatistics) {
  ModelSpec s = spec_of("resnet18");
  s.init_weights = true;
  s.seed = 7;
  ir::Graph g = build(s);
  // He normal, fan_out: std = sqrt(2 / (out_channels * kh * kw)).
  const ir::Tensor& w = *g.initializer("layer4.0.conv2.weight");  // [512, 512, 3, 3]
  double sum = 0, sq = 0;
  const float* p = w.data<float>();
  for (int64_t i = 0; i < w.numel(); ++i) sum += p[i], sq += double(p[i]) * p[i];
  double mean = sum / w.numel(), std = std::sqrt(sq / w.numel() - mean * mean);
  EXPECT_NEAR(mean, 0.0, 0.001);
  EXPECT_NEAR(std / std::sqrt(2.0 / (512 * 9)), 1.0, 0.01);
  // Classifier N(0, 0.01), zero bias; BN gamma 1, beta 0, mean 0, var 1.
  const ir::Tensor& fc = *g.initializer("fc.weight");
  sq = 0;
  for (int64_t i = 0; i < fc.numel(); ++i) sq += double(fc.data<float>()[i]) * fc.data<float>()[i];
  EXPECT_NEAR(std::sqrt(sq / fc.numel()), 0.01, 0.0002);
  EXPECT_EQ(g.initializer("fc.bias")->data<float>()[3], 0.0f);
  EXPECT_EQ(g.initializer("bn1.weight")->data<float>()[5], 1.0f);
  EXPECT_EQ(g.initializer("bn1.bias")->data<float>()[5], 0.0f);
  EXPECT_EQ(g.initializer("bn1.running_mean")->data<float>()[5], 0.0f);
  EXPECT_EQ(g.initializer("bn1.running_var")->data<float>()[5], 1.0f);
}

// TF's _make_divisible, by hand: nearest multiple of 8, at least 8, never 10% below.
TEST(Build, MakeDivisible) {
  EXPECT_EQ(make_divisible(32 * 0.35), 16);  // 11.2 -> 8 is < 90% -> 16
  EXPECT_EQ(make_divisible(24 * 0.75), 24);  // 18 -> 16 is < 16.2 -> 24
  EXPECT_EQ(make_divisible(16 * 0.75), 16);  // 12 -> 16
  EXPECT_EQ(make_divisible(1280 * 1.4), 1792);
  EXPECT_EQ(make_divisible(320 * 1.3), 416);
  EXPECT_EQ(make_divisible(3.0), 8);
  EXPECT_EQ(make_divisible(100.0), 104);
  EXPECT_EQ(make_divisible(60.0), 64);
}

TEST(Build, ErrorsNameTheProblem) {
  auto message = [](ModelSpec s) {
    try {
      build(s);
    } catch (const Error& e) {
      return std::string(e.what());
    }
    return std::string("no error");
  };
  ModelSpec s = spec_of("mobilenet_v9");
  EXPECT_NE(message(s).find("unknown model 'mobilenet_v9'"), std::string::npos);
  s = spec_of("mobilenet_v2");
  s.width = 0;
  EXPECT_NE(message(s).find("width"), std::string::npos);
  s = spec_of("resnet18", 224, 3, 0);
  EXPECT_NE(message(s).find("classes"), std::string::npos);
  s = spec_of("resnet18", 224, 0);
  EXPECT_NE(message(s).find("in_channels"), std::string::npos);
  s = spec_of("resnet18", 2);
  EXPECT_NE(message(s).find("resolution"), std::string::npos);
  s = spec_of("resnet18");
  s.dropout = 1.0f;
  EXPECT_NE(message(s).find("dropout"), std::string::npos);
}

}  // namespace
}  // namespace qcv::models
