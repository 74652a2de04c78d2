// Zoo models quantized by qcv::quant (max calibration on random images) and run by the INT8
// Session, against the same QDQ graph in FP32 fake quantization (ref::run_graph).
#include <cstdlib>
#include <iostream>
#include <sstream>

#include "passes/passes.h"
#include "runtime/dnnl_util.h"
#include "zoo_int8_util.h"

using namespace qcv;
using namespace qcv::testing;

namespace {

// The scale of the QuantizeLinear behind a graph output read through a DequantizeLinear, or 0.
float output_step(const ir::Graph& g) {
  int p = g.producer(g.outputs[0].name);
  if (p < 0 || g.nodes[p].op != "DequantizeLinear") return 0.f;
  return g.initializer(g.nodes[p].inputs[1])->data<float>()[0];
}

class Int8Zoo : public ::testing::TestWithParam<ModelCase> {};

TEST_P(Int8Zoo, AgreesWithFakeQuant) {
  const ModelCase& c = GetParam();
  const int resolution = 64;
  ir::Graph g = quantized_zoo_model(c, resolution);
  runtime::Session s(g, {2, true});
  const std::string plan = s.describe_plan();
  if (getenv("QCV_SHOW_PLAN")) std::cout << plan;
  // Every Conv runs as an int8 kernel (where int8 sums are exact: runtime/dnnl_util.h).
  if (runtime::int8_sums_exact()) {
    EXPECT_EQ(plan.find("Conv: reference"), std::string::npos) << plan;
    EXPECT_EQ(plan.find("(Conv"), std::string::npos) << plan;
    // ... in one of oneDNN's JIT kernels (avx512_core_vnni, avx512_core_amx_int8, ... per CPU).
    std::istringstream lines(plan);
    int qconv = 0;
    for (std::string line; std::getline(lines, line);) {
      if (line.find("(QConv") == std::string::npos) continue;
      ++qconv;
      EXPECT_EQ(line.find("ref"), std::string::npos) << line;
    }
    EXPECT_GT(qconv, 0) << plan;
  }

  std::map<std::string, ir::Tensor> feeds = {
      {g.inputs[0].name, random_tensor({2, 3, resolution, resolution}, 7)}};
  ir::Tensor got = s.run(feeds)[0], want = ref::run_graph(g, feeds)[0];
  ASSERT_EQ(got.shape(), want.shape());
  const float* a = got.data<float>();
  const float* b = want.data<float>();
  const int64_t classes = got.dim(1);
  // Step: the output's quantization step, or (float logits) 1% of the logits' range.
  float lo = *std::min_element(b, b + want.numel()), hi = *std::max_element(b, b + want.numel());
  float step = output_step(g);
  if (step == 0.f) step = 0.01f * (hi - lo);
  int64_t within1 = 0, within2 = 0;
  double worst = 0;
  for (int64_t i = 0; i < got.numel(); ++i) {
    double d = std::fabs(a[i] - b[i]) / step;
    worst = std::max(worst, d);
    within1 += d <= 1.0001;
    within2 += d <= 2.0001;
  }
  std::cout << c.model << "/" << c.scheme << ": " << within1 << "/" << got.numel()
            << " logits within 1 step, " << within2 << " within 2, worst " << worst
            << " steps (step " << step << ")\n";
  // A one-step difference in an early layer (a rounding tie, float summation order in the
  // oracle) moves later layers too: most logits stay within one step, all within two.
  EXPECT_GE(within1, got.numel() * 90 / 100);
  EXPECT_EQ(within2, got.numel());
  for (int64_t n = 0; n < got.dim(0); ++n) {
    auto top = [&](const float* p) {
      return std::max_element(p + n * classes, p + (n + 1) * classes) - (p + n * classes);
    };
    EXPECT_EQ(top(a), top(b)) << "image " << n;
  }
}

// Quantized tensors of a model (every fifth, for time), computed end to end by the INT8 Session
// (the graph cut after its QuantizeLinear), within one step of fake quantization.
TEST(Int8ZooTensors, QuantizedTensorsWithinOneStep) {
  for (const ModelCase& c : {ModelCase{"mobilenet_v2", "tflite"}}) {
    ir::Graph g = quantized_zoo_model(c, 32);
    std::map<std::string, ir::Tensor> feeds = {
        {g.inputs[0].name, random_tensor({1, 3, 32, 32}, 7)}};
    int checked = 0, seen = 0;
    for (const ir::Node& n : g.nodes) {
      if (n.op != "QuantizeLinear" || seen++ % 5 != 4) continue;
      ir::Graph cut = g;
      cut.outputs = {ir::make_value(n.outputs[0])};
      passes::eliminate_dead_code(cut);
      runtime::Session s(cut, {2, true});
      EXPECT_LE(max_step_diff(s.run(feeds)[0], ref::run_graph(cut, feeds)[0]), 1)
          << c.model << "/" << c.scheme << " " << n.name << "\n"
          << s.describe_plan();
      ++checked;
    }
    EXPECT_GT(checked, 10);
  }
}

INSTANTIATE_TEST_SUITE_P(Models, Int8Zoo,
                         ::testing::Values(ModelCase{"mobilenet_v2", "tensorrt"},
                                           ModelCase{"mobilenet_v2", "onnxruntime"},
                                           ModelCase{"resnet18", "tensorrt"},
                                           ModelCase{"resnet18", "onnxruntime"},
                                           ModelCase{"resnet18", "tflite"}),
                         [](const ::testing::TestParamInfo<ModelCase>& info) {
                           return info.param.model + "_" + info.param.scheme;
                         });

}  // namespace
