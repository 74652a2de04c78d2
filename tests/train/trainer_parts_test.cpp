// Label smoothing, EMA, TensorBoard records and checkpoints against hand-computed values.
#include <gtest/gtest.h>
#include <torch/optim/sgd.h>

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <limits>

#include "ir/ir.h"
#include "one_conv_graph.h"
#include "train/checkpoint.h"
#include "train/ema.h"
#include "train/loss.h"
#include "train/tensorboard.h"
#include "train/torch_graph.h"
#include "train/train.h"

using namespace qcv;
using namespace qcv::train;

using qcv::test::one_conv_graph;

TEST(Loss, LabelSmoothingMatchesHandComputation) {
  // logits (1, 2, 3), label 2: log-softmax = x - log(e + e^2 + e^3).
  at::Tensor logits = at::tensor({1.0f, 2.0f, 3.0f}).reshape({1, 3});
  at::Tensor label = at::tensor({int64_t(2)});
  const double lse = std::log(std::exp(1.0) + std::exp(2.0) + std::exp(3.0));
  const double nll = lse - 3.0;
  const double uniform = ((lse - 1) + (lse - 2) + (lse - 3)) / 3;
  EXPECT_NEAR(smoothed_cross_entropy(logits, label, 0.0).item<double>(), nll, 1e-6);
  EXPECT_NEAR(smoothed_cross_entropy(logits, label, 0.1).item<double>(), 0.9 * nll + 0.1 * uniform,
              1e-6);
  EXPECT_NEAR(nll, 0.40760596, 1e-7);  // the same by hand
  EXPECT_EQ(count_top_k(logits, label, 1), 1);
  EXPECT_EQ(count_top_k(logits, at::tensor({int64_t(0)}), 2), 0);
  EXPECT_EQ(count_top_k(logits, at::tensor({int64_t(0)}), 5), 1);
  // The one top-k rule (ir/top_k.h; tests/ir/test_top_k.cpp has the same cases): ties go to the
  // first maximum, a row with a NaN is wrong, a constant row is right for its first class only.
  const float nan = std::numeric_limits<float>::quiet_NaN();
  at::Tensor rows = at::tensor({1.0f, 3.0f, 3.0f, 0.0f,  //
                                1.0f, 3.0f, 3.0f, 0.0f,  //
                                nan, 9.0f, 0.0f, 0.0f,   //
                                2.0f, 2.0f, 2.0f, 2.0f,  //
                                2.0f, 2.0f, 2.0f, 2.0f})
                       .reshape({5, 4});
  at::Tensor y = at::tensor({int64_t(1), int64_t(2), int64_t(1), int64_t(0), int64_t(3)});
  EXPECT_EQ(count_top_k(rows, y, 1), 2);  // rows 0 and 3
  EXPECT_EQ(count_top_k(rows, y, 2), 3);  // + row 1 (second of the tie)
  EXPECT_EQ(count_top_k(rows, y, 4), 4);  // never the NaN row
}

TEST(Ema, FollowsTheDecayWithWarmup) {
  TorchGraph m(one_conv_graph(1.0f, 2.0f));
  WeightEma ema(m, 0.9);
  at::Tensor w = m.parameters()[0].tensor;
  {
    at::NoGradGuard g;
    w.copy_(at::tensor({3.0f, 6.0f}).reshape({2, 1, 1, 1}));
  }
  ema.update(m);  // d = min(0.9, 1/10) = 0.1: shadow = 0.1 * 1 + 0.9 * 3 = 2.8
  EXPECT_NEAR(ema.shadow()[0].flatten()[0].item<double>(), 2.8, 1e-6);
  EXPECT_NEAR(ema.shadow()[0].flatten()[1].item<double>(), 0.1 * 2 + 0.9 * 6, 1e-6);
  ema.update(m);  // d = 2/11: shadow = d * 2.8 + (1 - d) * 3
  const double d = 2.0 / 11.0;
  EXPECT_NEAR(ema.shadow()[0].flatten()[0].item<double>(), d * 2.8 + (1 - d) * 3, 1e-6);
  EXPECT_NEAR(ema.decay_at(1000), 0.9, 1e-12);
  ema.swap_into(m);
  EXPECT_NEAR(w.flatten()[0].item<double>(), d * 2.8 + (1 - d) * 3, 1e-6);
  ema.swap_into(m);
  EXPECT_NEAR(w.flatten()[0].item<double>(), 3.0, 1e-6);
}

TEST(TensorBoard, Crc32cAndRecordFraming) {
  EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);
  EXPECT_EQ(crc32c("", 0), 0u);
  // Event{wall_time: 0, step: 1, summary{value{tag: "a", simple_value: 1.0}}}, by hand:
  const std::string expected(
      "\x09\0\0\0\0\0\0\0\0"  // 1: double 0
      "\x10\x01"              // 2: varint 1
      "\x2a\x0a"              // 5: summary, 10 bytes
      "\x0a\x08"              //   1: value, 8 bytes
      "\x0a\x01"
      "a"                      //     1: tag "a"
      "\x15\x00\x00\x80\x3f",  //     2: float 1.0
      23);
  const std::string event = encode_scalar_event(0.0, 1, "a", 1.0f);
  EXPECT_EQ(event, expected);
  const std::string rec = tfrecord(event);
  ASSERT_EQ(rec.size(), 8 + 4 + event.size() + 4);
  uint64_t length;
  std::memcpy(&length, rec.data(), 8);
  EXPECT_EQ(length, event.size());
  uint32_t crc;
  std::memcpy(&crc, rec.data() + 8, 4);
  EXPECT_EQ(crc, masked_crc32c(rec.data(), 8));
  const uint32_t raw = crc32c(event.data(), event.size());
  std::memcpy(&crc, rec.data() + 12 + event.size(), 4);
  EXPECT_EQ(crc, ((raw >> 15) | (raw << 17)) + 0xa282ead8u);
}

TEST(Checkpoint, RoundTripsWeightsOptimizerEmaAndState) {
  const std::string dir = std::string(QCV_BINARY_DIR) + "/test_train_checkpoint";
  std::filesystem::remove_all(dir);
  std::filesystem::create_directories(dir);
  ir::Graph g = one_conv_graph(1.0f, -1.0f);
  TorchGraph m(g);
  torch::optim::SGD sgd(m.parameter_tensors(), torch::optim::SGDOptions(0.1).momentum(0.9));
  WeightEma ema(m, 0.5);
  at::Tensor x = at::ones({1, 1, 1, 1});
  for (int i = 0; i < 2; ++i) {  // y = (w0, w1), loss = sum(y): grad 1 for both
    sgd.zero_grad();
    m.forward(x).sum().backward();
    sgd.step();
    ema.update(m);
  }
  // SGD with momentum 0.9, lr 0.1, grad 1: w -= 0.1, then w -= 0.1 * 1.9.
  EXPECT_NEAR(m.parameters()[0].tensor.flatten()[0].item<double>(), 1.0 - 0.29, 1e-6);
  m.write_back(g);
  TrainerState state{2, 17, 91.5, 0};
  save_checkpoint(dir, g, sgd, &ema, state);
  const double ema0 = ema.shadow()[0].flatten()[0].item<double>();

  ir::Graph g2 = one_conv_graph(0.0f, 0.0f);
  TorchGraph m2(g2);
  torch::optim::SGD sgd2(m2.parameter_tensors(), torch::optim::SGDOptions(0.1).momentum(0.9));
  WeightEma ema2(m2, 0.5);
  TrainerState s2;
  ASSERT_TRUE(load_checkpoint(dir, g2, sgd2, &ema2, s2));
  m2.load_from(g2);
  EXPECT_EQ(s2.epochs_done, 2);
  EXPECT_EQ(s2.step, 17);
  EXPECT_DOUBLE_EQ(s2.best_top1, 91.5);
  EXPECT_EQ(ema2.updates(), 2);
  EXPECT_NEAR(ema2.shadow()[0].flatten()[0].item<double>(), ema0, 1e-7);
  EXPECT_NEAR(g2.initializers.at("W").data<float>()[0], 0.71f, 1e-6);
  // The restored momentum continues the trajectory exactly: next step w -= 0.1 * (0.9*1.9 + 1).
  for (auto* opt : {&sgd, &sgd2}) {
    TorchGraph& mm = opt == &sgd ? m : m2;
    opt->zero_grad();
    mm.forward(x).sum().backward();
    opt->step();
  }
  EXPECT_NEAR(m2.parameters()[0].tensor.flatten()[0].item<double>(), 0.71 - 0.1 * 2.71, 1e-6);
  EXPECT_NEAR(m2.parameters()[0].tensor.flatten()[0].item<double>(),
              m.parameters()[0].tensor.flatten()[0].item<double>(), 1e-7);
  std::filesystem::remove_all(dir);
}

TEST(Config, YamlKeysAndFlagsShareOneTable) {
  TrainConfig cfg;
  set_config_value(cfg, "epochs", "3");
  set_config_value(cfg, "nesterov", "true");
  set_config_value(cfg, "lr", "0.05");
  EXPECT_EQ(cfg.epochs, 3);
  EXPECT_TRUE(cfg.nesterov);
  EXPECT_DOUBLE_EQ(cfg.lr, 0.05);
  EXPECT_THROW(set_config_value(cfg, "epochs", "three"), qcv::Error);
  EXPECT_THROW(set_config_value(cfg, "no_such_key", "1"), qcv::Error);
  const std::string path = std::string(QCV_BINARY_DIR) + "/test_train_config.yaml";
  { std::ofstream(path) << config_to_yaml(cfg); }
  TrainConfig back;
  load_config_yaml(path, back);
  EXPECT_EQ(back.epochs, 3);
  EXPECT_TRUE(back.nesterov);
  EXPECT_DOUBLE_EQ(back.lr, 0.05);
  { std::ofstream(path) << "epochs: 2\nbogus: 1\n"; }
  EXPECT_THROW(load_config_yaml(path, back), qcv::Error);
  std::filesystem::remove(path);
}
