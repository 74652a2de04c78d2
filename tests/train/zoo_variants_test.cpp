// The zoo's MobileNet EdgeTPU and Keras ResNet variants end to end at 32 px: built, exported to
// ONNX and read back, trained one SGD step in LibTorch, then run in qcv's runtime with the trained
// weights against LibTorch's forward of the same graph (an independent implementation). Their
// MACs/params against published figures are in tests/models/test_published_costs.cpp.
#include <gtest/gtest.h>

#include <random>

#include "data/test_files.h"
#include "models/models.h"
#include "onnx/onnx.h"
#include "train/loss.h"
#include "train/optimizers.h"
#include "train/tensor_convert.h"
#include "train/torch_graph.h"
#include "train/train.h"
#ifdef QCV_HAVE_RUNTIME
#include "runtime/session.h"
#endif

using namespace qcv;

namespace {

struct Variant {
  const char* name;
  float width;  // the smallest the family allows with every block still there
};

class ZooVariant : public ::testing::TestWithParam<Variant> {};

ir::Tensor random_images(int64_t n, int64_t side, uint64_t seed) {
  ir::Tensor t(ir::DType::Float32, {n, 3, side, side});
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = normal(rng);
  return t;
}

TEST_P(ZooVariant, ExportsTrainsAStepAndRunsInTheRuntime) {
  const Variant v = GetParam();
  models::ModelSpec spec;
  spec.name = v.name;
  spec.width = v.width;
  spec.resolution = 32;
  spec.classes = 10;
  spec.seed = 3;
  const ir::Graph built = models::build(spec);

  data::testing::TempDir dir;
  const std::string path = dir.file(std::string(v.name) + ".onnx");
  onnx::save(built, path);
  ir::Graph g = onnx::load(path);
  ASSERT_EQ(g.nodes.size(), built.nodes.size());
  ASSERT_EQ(g.initializers.size(), built.initializers.size());
  const bool keras = std::string(v.name).find("keras") != std::string::npos;
  for (const ir::Node& n : g.nodes) {
    if (n.op == "BatchNormalization") {
      ASSERT_FLOAT_EQ(n.attr_float("epsilon", 0), keras ? 1.001e-5f : 1e-5f) << n.name;
    }
  }

  // One SGD step on a batch of 8 (train-mode BN: batch statistics, running ones updated).
  train::TorchGraph module(g);
  module.train();
  train::TrainConfig cfg;
  cfg.optimizer = "sgd";
  cfg.lr = 0.05;
  auto optimizer = train::make_optimizer(cfg, module);
  const at::Tensor x = train::to_torch(random_images(8, 32, 11));
  const at::Tensor labels = at::arange(8, at::kLong) % 10;
  const at::Tensor before = module.parameters().front().tensor.detach().clone();
  optimizer->zero_grad();
  at::Tensor loss = train::smoothed_cross_entropy(module.forward(x), labels, 0.0);
  ASSERT_TRUE(std::isfinite(loss.item<double>()));
  loss.backward();
  optimizer->step();
  EXPECT_FALSE(at::equal(before, module.parameters().front().tensor)) << "the step moved nothing";
  module.write_back(g);

  // The trained graph: LibTorch (eval mode) against qcv's runtime, batch 1 and 2.
  module.eval();
  at::NoGradGuard no_grad;
#ifdef QCV_HAVE_RUNTIME
  runtime::Session session(g);
  for (int64_t batch : {1, 2}) {
    const ir::Tensor images = random_images(batch, 32, 20 + batch);
    const std::vector<float> want =
        train::to_ir(module.forward(train::to_torch(images))).to_float_vector();
    const std::vector<float> got = session.run({{"input", images}}).at(0).to_float_vector();
    ASSERT_EQ(got.size(), want.size());
    double diff = 0, scale = 1e-12;
    for (size_t i = 0; i < want.size(); ++i) {
      diff = std::max(diff, std::abs(double(got[i]) - want[i]));
      scale = std::max(scale, std::abs(double(want[i])));
    }
    EXPECT_GT(scale, 1e-4) << "logits all near zero: the comparison would be empty";
    EXPECT_LT(diff / scale, 1e-4) << v.name << " batch " << batch;
  }
#else
  GTEST_SKIP() << "built without qcv's runtime";
#endif
}

INSTANTIATE_TEST_SUITE_P(
    Zoo, ZooVariant,
    ::testing::Values(Variant{"mobilenet_edgetpu", 0.75f}, Variant{"mobilenet_edgetpu", 1.0f},
                      Variant{"resnet50_keras", 0.25f}, Variant{"resnet101_keras", 0.25f},
                      Variant{"resnet152_keras", 0.25f}, Variant{"resnet50_v2_keras", 0.25f},
                      Variant{"resnet101_v2_keras", 0.25f}, Variant{"resnet152_v2_keras", 0.25f}),
    [](const ::testing::TestParamInfo<Variant>& info) {
      return fmt::format("{}_{}", info.param.name, static_cast<int>(info.param.width * 100));
    });

}  // namespace
