// Quantization-aware training: fake quantization's straight-through gradient by hand, the LSQ
// scale gradient against finite differences of its surrogate, BN folded before QDQ insertion
// against the unfolded forward, and a short QAT run whose export ONNX Runtime and qcv's runtime
// run with the same outputs.
#include "train/qat.h"

#include <fmt/format.h>
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>
#include <random>

#include "models/models.h"
#include "onnx/onnx.h"
#include "onnx/ort_peer.h"
#include "passes/passes.h"
#include "quant/quant.h"
#include "ref/ref.h"
#include "train/qat_batch_norm.h"
#include "train/qat_observers.h"
#include "train/tensor_convert.h"
#include "train/torch_graph.h"
#ifdef QCV_HAVE_RUNTIME
#include "runtime/session.h"
#endif

using namespace qcv;
using test::make_node;

namespace {

// x[n] -> QuantizeLinear(scale, int8 zero point) -> DequantizeLinear -> y; per channel (axis 1
// of a [rows, channels] input) when `scales` has more than one value.
ir::Graph fake_quant_graph(const std::vector<float>& scales, ir::Shape shape) {
  ir::Graph g;
  g.name = "fq";
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, shape));
  g.outputs.push_back(ir::make_value("y"));
  const bool per_channel = scales.size() > 1;
  ir::Shape s_shape = per_channel ? ir::Shape{static_cast<int64_t>(scales.size())} : ir::Shape{};
  ir::Tensor s(ir::DType::Float32, s_shape), zp(ir::DType::Int8, s_shape);
  for (size_t i = 0; i < scales.size(); ++i) {
    s.data<float>()[i] = scales[i];
    zp.data<int8_t>()[i] = 0;
  }
  g.initializers["s"] = s;
  g.initializers["zp"] = zp;
  std::map<std::string, ir::Attribute> axis = {{"axis", int64_t{1}}};
  g.nodes = {make_node("q", "QuantizeLinear", {"x", "s", "zp"}, {"xq"}, axis),
             make_node("dq", "DequantizeLinear", {"xq", "s", "zp"}, {"y"}, axis)};
  return g;
}

TEST(Qat, FakeQuantStraightThroughGradientByHand) {
  // scale 0.5, int8: representable [-64, 63.5]. Ties round to even (0.25 -> 0, 1.25 -> 1.0).
  const std::vector<float> x = {0.25f, 0.75f, 1.25f, -0.25f, 63.5f, 63.76f, -64.f, -64.3f, 100.f};
  const std::vector<float> want_y = {0.f, 1.f, 1.f, -0.f, 63.5f, 63.5f, -64.f, -64.f, 63.5f};
  const std::vector<float> want_grad = {1, 1, 1, 1, 1, 0, 1, 0, 0};  // zero where Q saturates
  train::TorchGraph module(fake_quant_graph({0.5f}, {9}));
  at::Tensor input = at::tensor(x).requires_grad_(true);
  at::Tensor y = module.forward(input);
  y.sum().backward();
  for (size_t i = 0; i < x.size(); ++i) {
    EXPECT_FLOAT_EQ(y[static_cast<int64_t>(i)].item<float>(), want_y[i]) << "x = " << x[i];
    EXPECT_FLOAT_EQ(input.grad()[static_cast<int64_t>(i)].item<float>(), want_grad[i])
        << "x = " << x[i];
  }
}

// LSQ's surrogate: round(x/s) replaced by x/s + (round(x/s0) - x/s0) (constant offset), so that
// its exact derivative in s is the LSQ gradient: round(x/s) - x/s inside the range, qmin or qmax
// outside.
double lsq_surrogate(const std::vector<float>& x, const std::vector<float>& w, double s, double s0,
                     double qmin, double qmax) {
  double sum = 0;
  for (size_t i = 0; i < x.size(); ++i) {
    const double offset = std::nearbyint(x[i] / s0) - x[i] / s0;
    sum += w[i] * s * std::clamp(x[i] / s + offset, qmin, qmax);
  }
  return sum;
}

TEST(Qat, LsqScaleGradientMatchesFiniteDifferences) {
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> ux(-1.5f, 1.5f), uw(-1.f, 1.f);
  const int rows = 8, channels = 2;
  std::vector<float> x(rows * channels), w(rows * channels);
  for (size_t i = 0; i < x.size(); ++i) x[i] = ux(rng), w[i] = uw(rng);
  const std::vector<float> scales = {0.01f, 0.007f};  // some elements saturate (|x| > 1.27)
  train::TorchGraphOptions o;
  o.trainable_quant_scales = true;
  train::TorchGraph module(fake_quant_graph(scales, {rows, channels}), o);
  ASSERT_EQ(module.parameters().size(), 1u);
  at::Tensor y = module.forward(at::tensor(x).reshape({rows, channels}));
  (y * at::tensor(w).reshape({rows, channels})).sum().backward();
  const at::Tensor grad = module.parameters()[0].tensor.grad();
  ASSERT_TRUE(grad.defined());
  const double g = 1.0 / std::sqrt(double(rows) * 127.0);  // N: elements per scale
  for (int c = 0; c < channels; ++c) {
    std::vector<float> xc, wc;
    for (int r = 0; r < rows; ++r)
      xc.push_back(x[r * channels + c]), wc.push_back(w[r * channels + c]);
    const double s0 = scales[c], h = s0 * 1e-4;
    const double fd = (lsq_surrogate(xc, wc, s0 + h, s0, -128, 127) -
                       lsq_surrogate(xc, wc, s0 - h, s0, -128, 127)) /
                      (2 * h);
    EXPECT_NEAR(grad[c].item<double>(), g * fd, 1e-3 * std::max(1.0, std::abs(g * fd)))
        << "channel " << c;
  }
}

ir::Graph conv_bn_graph() {
  ir::Graph g;
  g.name = "conv_bn";
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {2, 3, 6, 6}));
  g.outputs.push_back(ir::make_value("y"));
  g.initializers["w"] = test::random_floats({4, 3, 3, 3}, 1, 0.5f);
  g.initializers["b"] = test::random_floats({4}, 2, 0.2f);
  g.initializers["gamma"] = ir::Tensor::from_vector<float>({4}, {1.5f, 0.5f, -0.7f, 1.1f});
  g.initializers["beta"] = ir::Tensor::from_vector<float>({4}, {0.1f, -0.2f, 0.3f, 0.f});
  g.initializers["mean"] = ir::Tensor::from_vector<float>({4}, {0.2f, -0.1f, 0.5f, 0.f});
  g.initializers["var"] = ir::Tensor::from_vector<float>({4}, {0.5f, 2.f, 0.1f, 1.f});
  g.nodes = {make_node("conv", "Conv", {"x", "w", "b"}, {"c"},
                       {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}),
             make_node("bn", "BatchNormalization", {"c", "gamma", "beta", "mean", "var"}, {"n"}),
             make_node("relu", "Relu", {"n"}, {"y"})};
  return g;
}

TEST(Qat, BatchNormFoldedBeforeQdqEqualsUnfoldedForward) {
  const ir::Graph unfolded = conv_bn_graph();
  const ir::Tensor x = test::random_floats({2, 3, 6, 6}, 7);
  train::TorchGraphOptions cpu;
  cpu.channels_last = false;
  train::TorchGraph reference(unfolded, cpu);
  reference.eval();
  const at::Tensor want = reference.forward(train::to_torch(x));

  auto data = quant::feeds_data({{{"x", x}}});
  quant::PtqOptions o;
  o.calibration.show_progress = false;
  const ir::Graph qat = quant::prepare_qat(unfolded, quant::reference_backend(), *data, o).graph;
  for (const ir::Node& n : qat.nodes) EXPECT_NE(n.op, "BatchNormalization");
  // The folded FP32 graph computes the unfolded forward (eval statistics).
  ir::Graph folded = unfolded;
  passes::optimize(folded);
  train::TorchGraph folded_module(folded, cpu);
  folded_module.eval();
  EXPECT_TRUE(at::allclose(folded_module.forward(train::to_torch(x)), want, 1e-4, 1e-5));
  // The QAT graph (fake quant of the folded weights) stays within a few quantization steps of
  // it, and its export (int8 weights) computes exactly what the QAT graph computed: no jump.
  train::TorchGraph qat_module(qat, cpu);
  qat_module.eval();
  const at::Tensor trained = qat_module.forward(train::to_torch(x)).detach();
  EXPECT_LT((trained - want).abs().max().item<double>(), 0.1 * want.abs().max().item<double>());
  ir::Graph exported = qat;
  EXPECT_EQ(quant::fold_weight_quantization(exported), 1);
  const ir::Tensor y = ref::run_graph(exported, {{"x", x}}).at(0);
  EXPECT_TRUE(at::allclose(train::to_torch(y), trained, 1e-4, 1e-5));
}

// ---- EMA range observers ----

// One training forward of a fake-quant module on the values x.
at::Tensor observe(train::TorchGraph& m, const std::vector<float>& x) {
  return m.forward(at::tensor(x)).detach();
}

float buffer_value(const train::TorchGraph& m, const std::string& name) {
  for (const train::NamedTensor& t : m.buffers())
    if (t.name == name) return t.tensor.to(at::kFloat).item<float>();
  ADD_FAILURE() << "no buffer " << name;
  return 0;
}

TEST(QatRanges, EmaFollowsHandComputedBatchRangesSymmetric) {
  // Calibrated scale 0.02 (int8, zero point 0): running range [-2.54, 2.54] to start from.
  const ir::Graph g = fake_quant_graph({0.02f}, {4});
  train::RangeObserverOptions ro;
  ro.decay = 0.9;
  train::RangeObservers observers(g, ro);
  ASSERT_EQ(observers.activations(), 1u);
  train::TorchGraphOptions o;
  observers.install(o);
  train::TorchGraph m(g, o);
  m.train();
  observe(m, {-1.f, 0.5f, 3.f, 2.f});  // batch [-1, 3]
  // min = 0.9 * -2.54 + 0.1 * -1 = -2.386, max = 0.9 * 2.54 + 0.1 * 3 = 2.586
  EXPECT_NEAR(observers.range("q").first, -2.386f, 1e-5);
  EXPECT_NEAR(observers.range("q").second, 2.586f, 1e-5);
  EXPECT_NEAR(buffer_value(m, "s"), 2.586f / 127, 1e-7);
  const at::Tensor y = observe(m, {-5.f, 0.f, 1.f, 1.f});  // batch [-5, 1]
  // min = 0.9 * -2.386 + 0.1 * -5 = -2.6474, max = 0.9 * 2.586 + 0.1 * 1 = 2.4274
  EXPECT_NEAR(observers.range("q").first, -2.6474f, 1e-5);
  EXPECT_NEAR(observers.range("q").second, 2.4274f, 1e-5);
  const float s = 2.6474f / 127;
  EXPECT_NEAR(buffer_value(m, "s"), s, 1e-7);
  // The forward already used the updated scale: -5 saturates at -128 s, 1 -> round(1 / s) s.
  EXPECT_NEAR(y[0].item<float>(), -128 * s, 1e-6);
  EXPECT_NEAR(y[2].item<float>(), std::nearbyint(1.f / s) * s, 1e-6);
  // Evaluation does not observe; the export carries the running parameters.
  m.eval();
  observe(m, {-50.f, 50.f, 0.f, 0.f});
  EXPECT_NEAR(buffer_value(m, "s"), s, 1e-7);
  ir::Graph exported = g;
  m.write_back(exported);
  EXPECT_NEAR(exported.initializer("s")->to_float_vector()[0], s, 1e-7);
}

TEST(QatRanges, EmaAsymmetricUint8RefitsZeroPoint) {
  ir::Graph g = fake_quant_graph({0.01f}, {4});
  ir::Tensor zp(ir::DType::UInt8, {});
  zp.data<uint8_t>()[0] = 128;  // running range [(0 - 128) * 0.01, (255 - 128) * 0.01]
  g.initializers["zp"] = zp;
  train::RangeObserverOptions ro;
  ro.decay = 0.5;
  ro.symmetric_activations = false;
  EXPECT_FALSE(train::activations_symmetric(g));
  train::RangeObservers observers(g, ro);
  train::TorchGraphOptions o;
  observers.install(o);
  train::TorchGraph m(g, o);
  m.train();
  observe(m, {0.f, 0.5f, 2.f, 1.f});
  // min = 0.5 * -1.28 + 0.5 * 0 = -0.64, max = 0.5 * 1.27 + 0.5 * 2 = 1.635
  const float s = (1.635f + 0.64f) / 255;
  EXPECT_NEAR(buffer_value(m, "s"), s, 1e-7);
  EXPECT_EQ(buffer_value(m, "zp"), std::nearbyint(0.64f / s));  // 72
  EXPECT_EQ(buffer_value(m, "zp"), 72.f);
}

TEST(QatRanges, FrozenObserversStopUpdating) {
  const ir::Graph g = fake_quant_graph({0.02f}, {4});
  train::RangeObservers observers(g, {});
  train::TorchGraphOptions o;
  observers.install(o);
  train::TorchGraph m(g, o);
  m.train();
  observe(m, {-1.f, 0.5f, 3.f, 2.f});
  const auto before = observers.range("q");
  const float scale = buffer_value(m, "s");
  observers.freeze();
  observe(m, {-100.f, 100.f, 0.f, 0.f});
  EXPECT_EQ(observers.range("q"), before);
  EXPECT_EQ(buffer_value(m, "s"), scale);
}

TEST(QatRanges, WeightScalesFollowTheWeightsEveryStep) {
  // y = x + DQ(Q(w)) with w [2, 3] fake-quantized per row (axis 0).
  ir::Graph g;
  g.name = "wq";
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {2, 3}));
  g.outputs.push_back(ir::make_value("y"));
  g.initializers["w"] =
      ir::Tensor::from_vector<float>({2, 3}, {0.5f, -1.f, 0.25f, 2.f, 0.f, -0.5f});
  g.initializers["s"] = ir::Tensor::from_vector<float>({2}, {1.f, 1.f});
  ir::Tensor zp(ir::DType::Int8, {2});
  zp.data<int8_t>()[0] = zp.data<int8_t>()[1] = 0;
  g.initializers["zp"] = zp;
  std::map<std::string, ir::Attribute> axis = {{"axis", int64_t{0}}};
  g.nodes = {make_node("q", "QuantizeLinear", {"w", "s", "zp"}, {"wq"}, axis),
             make_node("dq", "DequantizeLinear", {"wq", "s", "zp"}, {"wd"}, axis),
             make_node("add", "Add", {"x", "wd"}, {"y"})};
  train::RangeObservers observers(g, {});
  EXPECT_EQ(observers.activations(), 0u);
  train::TorchGraphOptions o;
  o.channels_last = false;
  observers.install(o);
  train::TorchGraph m(g, o);
  m.eval();  // weights are tracked in both modes
  m.forward(at::zeros({2, 3}));
  auto scales = [&] {
    for (const train::NamedTensor& t : m.buffers())
      if (t.name == "s")
        return std::vector<float>{t.tensor[0].item<float>(), t.tensor[1].item<float>()};
    return std::vector<float>{};
  };
  EXPECT_EQ(scales(), (std::vector<float>{1.f / 127, 2.f / 127}));
  {
    at::NoGradGuard no_grad;
    m.parameters().at(0).tensor.mul_(3);  // an optimizer step
  }
  m.train();
  const at::Tensor y = m.forward(at::zeros({2, 3}));
  EXPECT_EQ(scales(), (std::vector<float>{3.f / 127, 6.f / 127}));
  EXPECT_NEAR(y[1][0].item<float>(), 6.f, 1e-6);  // the row max is exactly representable
}

// ---- BN during QAT ----

int count_op(const ir::Graph& g, const std::string& op) {
  int n = 0;
  for (const ir::Node& node : g.nodes) n += node.op == op;
  return n;
}

// A module running `g` with BN folding during QAT (and weight range tracking), as run_qat does.
struct FoldingModule {
  train::RangeObservers observers;
  train::BatchNormFolding folding;
  std::unique_ptr<train::TorchGraph> module;
  explicit FoldingModule(const ir::Graph& g) : observers(g, {}), folding(g) {
    train::TorchGraphOptions o;
    o.channels_last = false;
    observers.install(o);
    auto inner = o.around_step;
    o.around_step = [this, inner](train::OpContext& c, train::OpExecutor run) {
      return folding.step(c, [&](train::OpContext& cc) { return inner(cc, run); });
    };
    module = std::make_unique<train::TorchGraph>(g, o);
    folding.bind(*module);
  }
};

TEST(QatBatchNorm, FoldingDuringQatEqualsUnfoldedForward) {
  const ir::Graph g = conv_bn_graph();  // no quantization
  const at::Tensor x = train::to_torch(test::random_floats({2, 3, 6, 6}, 7));
  train::TorchGraphOptions cpu;
  cpu.channels_last = false;
  train::TorchGraph reference(g, cpu);
  FoldingModule folded(g);
  ASSERT_EQ(folded.folding.size(), 1u);
  reference.eval();
  folded.module->eval();
  EXPECT_TRUE(at::allclose(folded.module->forward(x), reference.forward(x), 1e-5, 1e-5));
  // Training mode: batch statistics, running ones updated the same way.
  reference.train();
  folded.module->train();
  EXPECT_TRUE(at::allclose(folded.module->forward(x), reference.forward(x), 1e-5, 1e-5));
  EXPECT_TRUE(
      at::allclose(folded.module->buffers()[1].tensor, reference.buffers()[1].tensor, 1e-5, 1e-6));
  // Frozen: the BN runs on its running statistics even in training mode.
  folded.folding.freeze();
  reference.eval();
  EXPECT_TRUE(at::allclose(folded.module->forward(x), reference.forward(x), 1e-5, 1e-5));
}

TEST(QatBatchNorm, FoldAfterQuantizesTheFoldedWeightsAndExportsWithoutBn) {
  const ir::Graph fp32 = conv_bn_graph();
  const ir::Tensor x = test::random_floats({2, 3, 6, 6}, 7);
  auto data = quant::feeds_data({{{"x", x}}});
  quant::PtqOptions o;
  o.calibration.show_progress = false;
  const ir::Graph folded_qat =
      quant::prepare_qat(fp32, quant::reference_backend(), *data, o, "fold").graph;
  const ir::Graph bn_qat =
      quant::prepare_qat(fp32, quant::reference_backend(), *data, o, "fold-after").graph;
  EXPECT_EQ(count_op(bn_qat, "BatchNormalization"), 1);
  // The fold-after graph fake-quantizes W (times gamma / sigma at run time); the folded one W_f.
  FoldingModule m(bn_qat);
  m.module->eval();
  const at::Tensor got = m.module->forward(train::to_torch(x)).detach();
  train::TorchGraphOptions cpu;
  cpu.channels_last = false;
  train::TorchGraph reference(folded_qat, cpu);
  reference.eval();
  EXPECT_TRUE(at::allclose(got, reference.forward(train::to_torch(x)), 1e-5, 1e-5));
  // Export: BN folded into the conv; its int8 weights compute what the module computed.
  ir::Graph exported = bn_qat;
  m.module->write_back(exported);
  EXPECT_EQ(quant::fold_qat_batch_norm(exported), 1);
  EXPECT_EQ(count_op(exported, "BatchNormalization"), 0);
  EXPECT_EQ(quant::fold_weight_quantization(exported), 1);
  const ir::Tensor y = ref::run_graph(exported, {{"x", x}}).at(0);
  EXPECT_TRUE(at::allclose(train::to_torch(y), got, 1e-4, 1e-5));
}

TEST(QatBatchNorm, KeepFakeQuantizesTheUnfoldedWeights) {
  const ir::Graph fp32 = conv_bn_graph();
  auto data = quant::feeds_data({{{"x", test::random_floats({2, 3, 6, 6}, 7)}}});
  quant::PtqOptions o;
  o.calibration.show_progress = false;
  const ir::Graph g = quant::prepare_qat(fp32, quant::reference_backend(), *data, o, "keep").graph;
  EXPECT_EQ(count_op(g, "BatchNormalization"), 1);
  for (const ir::Node& n : g.nodes) {
    if (n.op != "QuantizeLinear" || !g.initializer(n.input(0))) continue;
    EXPECT_EQ(n.input(0), "w");  // the unfolded weight, scales fit to it
    const quant::QuantParams p = quant::weight_params(*g.initializer("w"), 0);
    EXPECT_EQ(g.initializer(n.input(1))->to_float_vector(), p.scale);
  }
}

// x -> Conv -> BN -> Relu -> Conv -> BN -> y, the first BN's running statistics `mean`/`var`
// (an untrained model's 0 and 1 unless given): its conv weights are small (1e-3), so inference
// (running statistics) sees activations ~1e-3 where training (batch statistics) sees ~1.
ir::Graph two_conv_bn_graph(const std::vector<float>& mean, const std::vector<float>& var) {
  ir::Graph g;
  g.name = "two_conv_bn";
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {8, 3, 6, 6}));
  g.outputs.push_back(ir::make_value("y"));
  g.initializers["w1"] = test::random_floats({4, 3, 3, 3}, 1, 1e-3f);
  g.initializers["w2"] = test::random_floats({4, 4, 1, 1}, 2, 0.5f);
  const std::vector<float> ones(4, 1.f), zeros(4, 0.f);
  g.initializers["g1"] = ir::Tensor::from_vector<float>({4}, ones);
  g.initializers["b1"] = ir::Tensor::from_vector<float>({4}, zeros);
  g.initializers["m1"] = ir::Tensor::from_vector<float>({4}, mean);
  g.initializers["v1"] = ir::Tensor::from_vector<float>({4}, var);
  g.initializers["g2"] = ir::Tensor::from_vector<float>({4}, ones);
  g.initializers["b2"] = ir::Tensor::from_vector<float>({4}, zeros);
  g.initializers["m2"] = ir::Tensor::from_vector<float>({4}, zeros);
  g.initializers["v2"] = ir::Tensor::from_vector<float>({4}, ones);
  g.nodes = {
      make_node("conv1", "Conv", {"x", "w1"}, {"c1"}, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}),
      make_node("bn1", "BatchNormalization", {"c1", "g1", "b1", "m1", "v1"}, {"n1"}),
      make_node("relu1", "Relu", {"n1"}, {"r1"}), make_node("conv2", "Conv", {"r1", "w2"}, {"c2"}),
      make_node("bn2", "BatchNormalization", {"c2", "g2", "b2", "m2", "v2"}, {"y"})};
  return g;
}

// One training-mode forward of the QAT graph prepared from `fp32` with BN kept in the graph,
// set up as run_qat sets it up (qat_hooks); returns it next to the FP32 training forward.
struct BnQatStep {
  at::Tensor qat, fp32;
  std::vector<std::string> refitted;
};
BnQatStep bn_qat_training_step(const ir::Graph& fp32, const ir::Tensor& x,
                               const std::string& batch_norm) {
  auto data = quant::feeds_data({{{"x", x}}});
  quant::PtqOptions o;
  o.calibration.show_progress = false;
  const ir::Graph g =
      quant::prepare_qat(fp32, quant::reference_backend(), *data, o, batch_norm).graph;
  train::QatOptions qo;
  qo.ranges = "fixed";
  qo.batch_norm = batch_norm;
  qo.bn_fold_after = 1;
  const train::QatHooks hooks = train::qat_hooks(g, qo);
  train::TorchGraphOptions options;
  options.channels_last = false;
  hooks.hooks.configure_module(options, g);
  train::TorchGraph module(g, options);
  hooks.hooks.on_epoch_start(module, 0);
  module.train();
  BnQatStep r;
  r.qat = module.forward(train::to_torch(x)).detach();
  train::TorchGraphOptions cpu;
  cpu.channels_last = false;
  train::TorchGraph reference(fp32, cpu);
  reference.train();
  r.fp32 = reference.forward(train::to_torch(x)).detach();
  r.refitted = hooks.observers->refitted();
  return r;
}

// Regression (qcv qat on an untrained zoo model with --qat-bn fold-after / keep: weights and BN
// scales reached 1e15-1e20 within two steps, then the export fold failed with "weight has a
// non-finite value" or EMA ranges with "[-nan, -nan]"): the activation ranges calibrated on the
// running statistics were ~1000x too narrow for the batch-statistics forward of training, so
// the pair after Relu saturated to two values. They are now refit on the first training batch,
// and the training forward follows the FP32 one within quantization error.
TEST(QatBatchNorm, RangesCalibratedOnStaleStatisticsAreRefitForTraining) {
  const ir::Tensor x = test::random_floats({8, 3, 6, 6}, 7);
  for (const std::string mode : {"fold-after", "keep"}) {
    const BnQatStep r =
        bn_qat_training_step(two_conv_bn_graph({0, 0, 0, 0}, {1, 1, 1, 1}), x, mode);
    EXPECT_EQ(r.refitted, (std::vector<std::string>{"r1_QuantizeLinear"})) << mode;
    const double spread = r.fp32.abs().max().item<double>();
    EXPECT_LT((r.qat - r.fp32).abs().max().item<double>(), 0.05 * spread) << mode;
  }
  // Running statistics that describe the data (those of conv1's output): calibration is kept.
  const ir::Graph probe = two_conv_bn_graph({0, 0, 0, 0}, {1, 1, 1, 1});
  const at::Tensor c1 =
      at::conv2d(train::to_torch(x), train::to_torch(probe.initializers.at("w1")), {}, 1, 1);
  const at::Tensor mean = c1.mean({0, 2, 3}), var = c1.var({0, 2, 3}, /*unbiased=*/false);
  const auto vec = [](const at::Tensor& t) {
    return std::vector<float>(t.data_ptr<float>(), t.data_ptr<float>() + t.numel());
  };
  const BnQatStep kept =
      bn_qat_training_step(two_conv_bn_graph(vec(mean), vec(var)), x, "fold-after");
  EXPECT_TRUE(kept.refitted.empty());
  EXPECT_LT((kept.qat - kept.fp32).abs().max().item<double>(),
            0.05 * kept.fp32.abs().max().item<double>());
}

#ifdef QCV_HAVE_RUNTIME
TEST(Qat, ShortRunExportRunsInOrtAsInQcvRuntime) {
  if (!std::filesystem::exists("/usr/share/datasets/fashion-mnist"))
    GTEST_SKIP() << "Fashion-MNIST is not installed";
  test::TempDir dir;
  models::ModelSpec spec;
  spec.name = "mobilenet_v2";
  spec.width = 0.25f;
  spec.resolution = 28;
  spec.classes = 10;
  spec.in_channels = 1;
  ir::Graph fp32 = models::build(spec);
  std::vector<std::map<std::string, ir::Tensor>> batches;
  for (unsigned i = 0; i < 2; ++i)
    batches.push_back({{fp32.inputs[0].name, test::random_floats({4, 1, 28, 28}, 10 + i, 2.f)}});
  auto data = quant::feeds_data(batches);
  quant::PtqOptions o;
  o.calibration.show_progress = false;
  const std::string init = dir.file("qat_init.onnx");
  onnx::save(quant::prepare_qat(fp32, quant::reference_backend(), *data, o).graph, init);

  train::TrainConfig cfg = train::qat_defaults();
  cfg.init = init;
  cfg.resolution = 28;
  cfg.epochs = 1;
  cfg.lr_schedule = "constant";
  cfg.lr = 0.01;
  cfg.limit_train = 128;
  cfg.limit_test = 32;
  cfg.workers = 1;
  cfg.threads = 2;
  cfg.run_dir = dir.file("run");
  // Fixed ranges (LSQ's torch kernels are slow).
  const train::TrainResult result = train::run_qat(cfg, train::QatOptions{});
  ir::Graph trained = onnx::load(cfg.run_dir + "/final.onnx");
  // The exported model carries its own test accuracy (qcv qat reports it), not the init's.
  ASSERT_TRUE(trained.metadata.count("qcv.test_top1"));
  EXPECT_EQ(trained.metadata.at("qcv.test_top1"), fmt::format("{:.2f}", result.final_top1));
  // Training moved the float weights behind the last weight Q (the classifier's).
  std::string weight;
  for (const ir::Node& n : trained.nodes)
    if (n.op == "QuantizeLinear" && trained.is_initializer(n.inputs[0])) weight = n.inputs[0];
  ASSERT_FALSE(weight.empty());
  EXPECT_NE(trained.initializers.at(weight).to_float_vector(),
            onnx::load(init).initializers.at(weight).to_float_vector());

  ir::Graph exported = trained;
  EXPECT_GT(quant::fold_weight_quantization(exported), 10);
  const std::string path = dir.file("m.qat.onnx");
  onnx::save(exported, path);
  const ir::Tensor x = test::random_floats({3, 1, 28, 28}, 99, 2.f);
  runtime::Session session(onnx::load(path));
  const ir::Tensor ours = session.run({{exported.inputs[0].name, x}}).at(0);
  // The training backend on the trained QDQ graph: the same numbers up to int8 accumulation order
  // and requantization rounding.
  train::TorchGraph module(trained);
  module.eval();
  const at::Tensor torch_out = module.forward(train::to_torch(x)).detach().contiguous();
  const float spread = torch_out.abs().max().item<float>();
  EXPECT_LT((train::to_torch(ours) - torch_out).abs().max().item<float>(), 0.1f * spread);
  if (!test::ort_available()) GTEST_SKIP() << "onnxruntime-node is not installed";
  const std::vector<float> ort = test::run_ort(path, x, dir);
  ASSERT_EQ(ort.size(), static_cast<size_t>(ours.numel()));
  for (size_t i = 0; i < ort.size(); ++i)
    EXPECT_NEAR(ort[i], ours.data<float>()[i], 0.05f * spread) << "logit " << i;
}
#endif

}  // namespace
