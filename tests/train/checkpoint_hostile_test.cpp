// Checkpoints read back from disk are validated before use: state.json fields are non-negative
// integers (not 1.5 or 1e30) and a percentage, initializer types match, and EMA tensors that
// would broadcast silently into the model's are refused.
#include <gtest/gtest.h>
#include <torch/optim/sgd.h>
#include <torch/serialize.h>

#include <filesystem>
#include <fstream>

#include "data/test_files.h"
#include "one_conv_graph.h"
#include "train/checkpoint.h"
#include "train/ema.h"
#include "train/torch_graph.h"

namespace qcv::train {
namespace {
using data::testing::expect_error;
using data::testing::TempDir;


TEST(CheckpointHostile, StateJsonFieldsAreValidated) {
  TempDir dir;
  const std::string path = dir.file("state.json");
  auto with = [&](const std::string& text) {
    std::ofstream(path) << text;
    return read_checkpoint_state(path);
  };
  TrainerState ok = with(R"({"epochs_done": 3, "step": 40, "best_top1": 88.5, "ema_updates": 0})");
  EXPECT_EQ(ok.epochs_done, 3);
  EXPECT_EQ(ok.step, 40);
  EXPECT_DOUBLE_EQ(ok.best_top1, 88.5);
  const std::vector<std::pair<std::string, std::string>> bad = {
      {R"({"epochs_done": 1.5, "step": 0, "best_top1": 0, "ema_updates": 0})", "'epochs_done'"},
      {R"({"epochs_done": 1e30, "step": 0, "best_top1": 0, "ema_updates": 0})", "'epochs_done'"},
      {R"({"epochs_done": 1, "step": -4, "best_top1": 0, "ema_updates": 0})", "'step'"},
      {R"({"epochs_done": 1, "step": "4", "best_top1": 0, "ema_updates": 0})", "'step'"},
      {R"({"epochs_done": 1, "step": 4, "best_top1": 250, "ema_updates": 0})", "'best_top1'"},
      {R"({"epochs_done": 1, "step": 4, "best_top1": 50})", "'ema_updates'"},
      {R"([1, 2, 3])", "not an object"},
      {R"({"epochs_done": )", "bad state.json"},
  };
  for (const auto& [text, part] : bad) expect_error([&] { with(text); }, {"state.json", part});
}

TEST(CheckpointHostile, TypesAndEmaShapesMustMatchTheModel) {
  TempDir dir;
  ir::Graph g = test::one_conv_graph(1.0f, -1.0f);
  TorchGraph m(g);
  torch::optim::SGD sgd(m.parameter_tensors(), torch::optim::SGDOptions(0.1));
  WeightEma ema(m, 0.5);
  save_checkpoint(dir.path(), g, sgd, &ema, TrainerState{1, 2, 50.0, 1});

  // An EMA tensor of shape [1] would broadcast into W's [2, 1, 1, 1] without a word.
  std::vector<at::Tensor> wrong = {at::ones({1})};
  torch::save(wrong, dir.path() + "/checkpoint/ema.pt");
  ir::Graph g2 = test::one_conv_graph(0.0f, 0.0f);
  TorchGraph m2(g2);
  torch::optim::SGD sgd2(m2.parameter_tensors(), torch::optim::SGDOptions(0.1));
  WeightEma ema2(m2, 0.5);
  TrainerState state;
  expect_error([&] { load_checkpoint(dir.path(), g2, sgd2, &ema2, state); },
               {"checkpoint", "EMA tensor 0 is", "[1]", "expected", "[2, 1, 1, 1]"});

  // The saved W is float; a model whose W is double must not take it.
  g2.initializers["W"] = ir::Tensor::from_vector<double>({2, 1, 1, 1}, {0, 0});
  expect_error([&] { load_checkpoint(dir.path(), g2, sgd2, nullptr, state); },
               {"checkpoint", "initializer 'W' has type"});
}

}  // namespace
}  // namespace qcv::train
