// The LibTorch backend against independent implementations: the reference kernels (src/ref) and
// the oneDNN runtime, on zoo models and on single ops with tricky ONNX semantics.
#include <gtest/gtest.h>

#include <cmath>
#include <random>

#include "models/models.h"
#include "ref/ref.h"
#include "train/tensor_convert.h"
#include "train/torch_graph.h"
#ifdef QCV_HAVE_RUNTIME
#include "runtime/session.h"
#endif

using namespace qcv;

namespace {

ir::Tensor random_tensor(ir::Shape shape, uint64_t seed) {
  ir::Tensor t(ir::DType::Float32, shape);
  std::mt19937_64 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  float* d = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) d[i] = normal(rng);
  return t;
}

// Largest |a - b| relative to the largest |b| (outputs near zero make elementwise ratios noisy).
double max_relative_diff(const ir::Tensor& a, const ir::Tensor& b) {
  EXPECT_EQ(a.shape(), b.shape());
  double diff = 0, scale = 1e-12;
  std::vector<float> av = a.to_float_vector(), bv = b.to_float_vector();
  for (size_t i = 0; i < av.size() && i < bv.size(); ++i) {
    diff = std::max(diff, std::abs(double(av[i]) - bv[i]));
    scale = std::max(scale, std::abs(double(bv[i])));
  }
  return diff / scale;
}

// Non-trivial BN statistics so that eval-mode BN is not the identity.
void randomize_batch_norms(ir::Graph& g, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<float> u(0.5f, 1.5f);
  for (const ir::Node& n : g.nodes) {
    if (n.op != "BatchNormalization") continue;
    for (size_t i = 1; i <= 4; ++i) {
      ir::Tensor& t = g.initializers.at(n.inputs[i]);
      float* d = t.data<float>();
      for (int64_t k = 0; k < t.numel(); ++k) d[k] = (i == 2 || i == 3) ? u(rng) - 1.0f : u(rng);
    }
  }
}

void expect_backend_matches_reference(ir::Graph g, const ir::Shape& input_shape, double tol) {
  randomize_batch_norms(g, 7);
  ir::Tensor x = random_tensor(input_shape, 3);
  ir::Tensor expected = ref::run_graph(g, {{g.inputs[0].name, x}}).at(0);
  train::TorchGraph module(g);
  module.eval();
  at::NoGradGuard no_grad;
  ir::Tensor got = train::to_ir(module.forward(train::to_torch(x)));
  EXPECT_LT(max_relative_diff(got, expected), tol);
#ifdef QCV_HAVE_RUNTIME
  runtime::Session session(g);
  ir::Tensor rt = session.run({{g.inputs[0].name, x}}).at(0);
  EXPECT_LT(max_relative_diff(got, rt), tol);
#endif
}

}  // namespace

TEST(TorchGraph, MobileNetV2MatchesReference) {
  models::ModelSpec spec;
  spec.name = "mobilenet_v2";
  spec.width = 0.5f;
  spec.resolution = 32;
  spec.classes = 10;
  expect_backend_matches_reference(models::build(spec), {2, 3, 32, 32}, 1e-4);
}

TEST(TorchGraph, ResNet18MatchesReference) {
  models::ModelSpec spec;
  spec.name = "resnet18";
  spec.resolution = 32;
  spec.classes = 10;
  expect_backend_matches_reference(models::build(spec), {1, 3, 32, 32}, 1e-4);
}

TEST(TorchGraph, EveryParameterGetsAGradientAndWriteBackRoundTrips) {
  models::ModelSpec spec;
  spec.name = "mobilenet_v2";
  spec.width = 0.35f;
  spec.resolution = 32;
  spec.classes = 10;
  spec.in_channels = 1;
  ir::Graph g = models::build(spec);
  train::TorchGraph module(g);
  module.train();
  // Conv weights + BN scale/bias + classifier weight/bias: all trainable; BN mean/var buffers.
  size_t convs = 0, bns = 0;
  for (const ir::Node& n : g.nodes) {
    convs += n.op == "Conv" ? n.inputs.size() - 1 : 0;
    bns += n.op == "BatchNormalization";
  }
  EXPECT_EQ(module.parameters().size(), convs + 2 * bns);
  EXPECT_EQ(module.buffers().size(), 2 * bns);
  at::Tensor loss = module.forward(at::randn({4, 1, 32, 32})).pow(2).mean();
  loss.backward();
  for (const train::NamedTensor& p : module.parameters()) {
    ASSERT_TRUE(p.tensor.grad().defined()) << p.name;
    EXPECT_GT(p.tensor.grad().abs().sum().item<double>(), 0) << p.name;
  }
  // Train mode moved the BN running statistics; write_back must carry them into the graph.
  ir::Graph out = g;
  module.write_back(out);
  const std::string mean = module.buffers()[0].name;
  EXPECT_NE(out.initializers.at(mean).to_float_vector(), g.initializers.at(mean).to_float_vector());
  train::TorchGraph reloaded(g);
  reloaded.load_from(out);
  EXPECT_TRUE(at::equal(reloaded.buffers()[0].tensor, module.buffers()[0].tensor));
}
