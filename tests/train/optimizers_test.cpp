// The trainer's RMSprop, Adam and AdamW (train/optimizers.h) against updates computed by hand,
// with the seed's knobs: op_decay_rate (alpha), op_momentum, optimizer_epsilon, weight decay on
// conv/linear weights only. And the zoo-model init keys (truncated_normal_stddev, bn_epsilon)
// end to end through a short training run.
#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "data/test_files.h"
#include "ir/ir.h"
#include "onnx/onnx.h"
#include "train/optimizers.h"
#include "train/torch_graph.h"
#include "train/train.h"
#include "train/weight_init.h"

using namespace qcv;
using namespace qcv::train;
using data::testing::TempDir;

namespace {

// y = Conv(x, W, B): W [2,1,1,1] is decayed (rank >= 2), B [2] is not.
ir::Graph conv_graph() {
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {1, 1, 1, 1})};
  g.outputs = {ir::make_value("y")};
  g.initializers["W"] = ir::Tensor::from_vector<float>({2, 1, 1, 1}, {0.5f, -1.0f});
  g.initializers["B"] = ir::Tensor::from_vector<float>({2}, {0.25f, 2.0f});
  ir::Node n;
  n.name = "conv";
  n.op = "Conv";
  n.inputs = {"x", "W", "B"};
  n.outputs = {"y"};
  g.nodes = {n};
  return g;
}

at::Tensor param(const TorchGraph& m, const std::string& name) {
  for (const NamedTensor& p : m.parameters())
    if (p.name == name) return p.tensor;
  ADD_FAILURE() << "no parameter " << name;
  return {};
}

const double kGrads[2][2][2] = {{{0.3, -0.2}, {1.0, 0.5}},    // step 1: W grads, B grads
                                {{-0.1, 0.4}, {0.25, -2.0}}};  // step 2

// Two optimizer steps with the gradients above; returns {W, B} after them.
std::vector<std::vector<double>> two_steps(const TrainConfig& cfg) {
  TorchGraph m(conv_graph());
  auto opt = make_optimizer(cfg, m);
  for (const auto& step : kGrads) {
    at::Tensor w = param(m, "W"), b = param(m, "B");
    w.mutable_grad() =
        at::tensor({float(step[0][0]), float(step[0][1])}).reshape({2, 1, 1, 1}).clone();
    b.mutable_grad() = at::tensor({float(step[1][0]), float(step[1][1])});
    opt->step();
  }
  std::vector<std::vector<double>> out;
  for (const char* name : {"W", "B"}) {
    at::Tensor t = param(m, name).flatten();
    out.push_back({t[0].item<double>(), t[1].item<double>()});
  }
  return out;
}

// The hand computation for one scalar, for each optimizer: x0 start, decayed or not.
double by_hand(const TrainConfig& c, double x, bool decayed, int p, int i, double eps) {
  const double wd = decayed ? c.weight_decay : 0.0;
  double v = 0, m = 0, buf = 0;
  for (int t = 1; t <= 2; ++t) {
    double g = kGrads[t - 1][p][i];
    if (c.optimizer == "rmsprop") {
      // v = a v + (1 - a) g^2; buf = mu buf + g / (sqrt(v) + eps); x -= lr buf
      g += wd * x;
      v = c.rmsprop_decay * v + (1 - c.rmsprop_decay) * g * g;
      buf = c.momentum * buf + g / (std::sqrt(v) + eps);
      x -= c.lr * buf;
    } else {
      // Adam: L2 in the gradient; AdamW: x *= 1 - lr wd first. Bias-corrected moments.
      if (c.optimizer == "adam") g += wd * x;
      if (c.optimizer == "adamw") x *= 1 - c.lr * wd;
      const double b1 = c.momentum, b2 = 0.999;
      m = b1 * m + (1 - b1) * g;
      v = b2 * v + (1 - b2) * g * g;
      const double mh = m / (1 - std::pow(b1, t)), vh = v / (1 - std::pow(b2, t));
      x -= c.lr * mh / (std::sqrt(vh) + eps);
    }
  }
  return x;
}

void expect_matches_hand(const TrainConfig& c, double eps) {
  const std::vector<std::vector<double>> got = two_steps(c);
  const double start[2][2] = {{0.5, -1.0}, {0.25, 2.0}};
  for (int p = 0; p < 2; ++p)
    for (int i = 0; i < 2; ++i)
      EXPECT_NEAR(got[p][i], by_hand(c, start[p][i], p == 0, p, i, eps), 1e-6)
          << c.optimizer << (p == 0 ? " W[" : " B[") << i << "]";
}

TrainConfig recipe(const std::string& optimizer) {
  TrainConfig c;
  c.optimizer = optimizer;
  c.lr = 0.1;
  c.momentum = 0.8;
  c.rmsprop_decay = 0.9;
  c.weight_decay = 0.05;
  return c;
}

TEST(Optimizers, RmspropMatchesHandComputation) {
  TrainConfig c = recipe("rmsprop");
  expect_matches_hand(c, 1e-3);  // default epsilon
  c.optimizer_epsilon = 0.5;     // --optimizer-epsilon reaches the optimizer
  expect_matches_hand(c, 0.5);
  // And it matters: the same steps with the default epsilon end elsewhere.
  EXPECT_GT(std::abs(by_hand(c, 0.5, true, 0, 0, 0.5) - by_hand(c, 0.5, true, 0, 0, 1e-3)), 1e-2);
}

TEST(Optimizers, AdamMatchesHandComputation) {
  TrainConfig c = recipe("adam");
  expect_matches_hand(c, 1e-8);
  c.optimizer_epsilon = 0.3;
  expect_matches_hand(c, 0.3);
}

TEST(Optimizers, AdamwDecouplesWeightDecay) {
  TrainConfig c = recipe("adamw");
  expect_matches_hand(c, 1e-8);
  c.optimizer_epsilon = 0.3;
  expect_matches_hand(c, 0.3);
  // Adam's L2 and AdamW's decoupled decay differ on the decayed weight.
  TrainConfig a = c;
  a.optimizer = "adam";
  EXPECT_GT(std::abs(two_steps(a)[0][0] - two_steps(c)[0][0]), 1e-3);
}

TEST(WeightInit, TruncatedNormalStatistics) {
  ir::Graph g = conv_graph();
  const int64_t n = 40000;
  g.initializers["W"] = ir::Tensor::from_vector<float>({n, 1, 1, 1}, std::vector<float>(n, 0.f));
  const double s = 0.09;
  EXPECT_EQ(truncated_normal_init(g, s, 7), 1);
  const std::vector<float> w = g.initializers.at("W").to_float_vector();
  double sum = 0, sq = 0, peak = 0;
  for (float v : w) sum += v, sq += double(v) * v, peak = std::max(peak, std::abs(double(v)));
  // N(0, s^2) cut at +-2s: variance s^2 (1 - 4 phi(2) / (2 Phi(2) - 1)) = (0.87962 s)^2, with
  // phi(2) = 0.0539910, Phi(2) = 0.9772499.
  const double ratio = std::sqrt(1 - 4 * 0.0539910 / (2 * 0.9772499 - 1));
  EXPECT_NEAR(ratio, 0.87962, 1e-4);
  EXPECT_NEAR(std::sqrt(sq / n) / s, ratio, 0.01);  // 40000 draws: about 0.3% noise
  EXPECT_NEAR(sum / n, 0.0, 0.003 * s * 10);
  EXPECT_LE(peak, 2 * s);
  EXPECT_GT(peak, 1.9 * s);  // the tails reach the cut
  // Biases untouched; the same seed draws the same weights.
  EXPECT_EQ(g.initializers.at("B").to_float_vector(), (std::vector<float>{0.25f, 2.0f}));
  ir::Graph again = conv_graph();
  again.initializers["W"] = ir::Tensor::from_vector<float>({n, 1, 1, 1}, std::vector<float>(n, 0.f));
  truncated_normal_init(again, s, 7);
  EXPECT_EQ(again.initializers.at("W").to_float_vector(), w);
}

// bn_epsilon and truncated_normal_stddev reach the trained zoo model: with lr 0 the weights
// written at the end are the initial ones.
TEST(WeightInit, ZooModelKeysReachTheTrainedModel) {
  TempDir dir;
  TrainConfig cfg;
  cfg.model = "mobilenet_v1";
  cfg.width = 0.25;
  cfg.resolution = 28;
  cfg.epochs = 1;
  cfg.lr = 0;
  cfg.lr_schedule = "constant";
  cfg.limit_train = 64;
  cfg.limit_test = 16;
  cfg.batch_size = 32;
  cfg.workers = 1;
  cfg.threads = 2;
  cfg.bn_epsilon = 1e-3;
  cfg.truncated_normal_stddev = 0.05;
  cfg.run_dir = dir.file("run");
  run_training(cfg);
  const ir::Graph g = onnx::load(cfg.run_dir + "/final.onnx");
  int bns = 0, weights = 0;
  for (const ir::Node& n : g.nodes) {
    if (n.op == "BatchNormalization") {
      ++bns;
      EXPECT_FLOAT_EQ(std::get<float>(n.attrs.at("epsilon")), 1e-3f) << n.name;
    }
    if ((n.op == "Conv" || n.op == "Gemm") && g.is_initializer(n.inputs[1])) {
      ++weights;
      for (float v : g.initializers.at(n.inputs[1]).to_float_vector())
        ASSERT_LE(std::abs(v), 0.1f) << n.name;  // within 2 stddev
    }
  }
  EXPECT_GT(bns, 10);
  EXPECT_GT(weights, 10);
}

}  // namespace
