// Empirical bias correction on a graph small enough to compute by hand.
#include <gtest/gtest.h>

#include "quant/quant.h"
#include "quant_test_util.h"
#include "ref/ref.h"

namespace qcv {
namespace {

// x[N,2,1,1] -> Conv1x1 W = [0.25, 0.7] (one output channel, no bias) -> y.
ir::Graph one_conv() {
  ir::Graph g;
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {2, 2, 1, 1}));
  g.outputs.push_back(ir::make_value("y"));
  g.initializers["W"] = ir::Tensor::from_vector<float>({1, 2, 1, 1}, {0.25f, 0.7f});
  g.nodes.push_back(test::node("conv", "Conv", {"x", "W"}, {"y"}));
  ir::validate(g);
  ir::infer_shapes(g);
  return g;
}

ir::Tensor batch(float a0, float b0, float a1, float b1) {
  return ir::Tensor::from_vector<float>({2, 2, 1, 1}, {a0, b0, a1, b1});
}

double mean_output(const ir::Graph& g, const std::vector<std::map<std::string, ir::Tensor>>& b) {
  double sum = 0;
  int n = 0;
  for (const auto& feeds : b) {
    const ir::Tensor y = ref::run_graph(g, feeds)[0];
    for (int64_t i = 0; i < y.numel(); ++i, ++n) sum += y.data<float>()[i];
  }
  return sum / n;
}

TEST(BiasCorrection, MovesTheQuantizedWeightOutputMeanToTheFp32Mean) {
  ir::Graph g = one_conv();
  const ir::Graph fp32 = g;
  // Channel 0 of x has mean 2 over the four images, channel 1 mean 1.
  const std::vector<std::map<std::string, ir::Tensor>> batches = {{{"x", batch(1, 0, 3, 2)}},
                                                                  {{"x", batch(2, 1, 2, 1)}}};
  quant::QuantScheme scheme = quant::scheme_by_name("tensorrt");
  scheme.weight_bits = 4;
  scheme.weight_per_channel = false;
  const quant::QuantPlan plan = quant::plan_quantization(g, scheme);
  auto data = quant::feeds_data(batches);
  quant::CalibrationOptions quiet;
  quiet.show_progress = false;
  EXPECT_EQ(quant::correct_bias(g, plan, quant::reference_backend(), *data, quiet), 1);
  // int4: scale 0.7 / 7 = 0.1; 0.25 / 0.1 = 2.5 rounds (half to even) to 2 -> 0.2, 0.7 -> 0.7.
  // The quantized weight loses 0.05 on channel 0, whose mean input is 2: bias 0.05 * 2 = 0.1.
  const ir::Node& conv = g.nodes[g.find_node("conv")];
  ASSERT_EQ(conv.inputs.size(), 3u);
  const ir::Tensor& bias = *g.initializer(conv.inputs[2]);
  ASSERT_EQ(bias.numel(), 1);
  EXPECT_NEAR(bias.data<float>()[0], 0.1f, 1e-6f);
  // The graph with the weight as quantized now has the FP32 mean output.
  ir::Graph quantized = g;
  quantized.initializers[conv.inputs[1]] =
      ir::Tensor::from_vector<float>({1, 2, 1, 1}, {0.2f, 0.7f});
  const double want = mean_output(fp32, batches);
  EXPECT_NEAR(want, 0.25 * 2 + 0.7 * 1, 1e-6);
  EXPECT_NEAR(mean_output(quantized, batches), want, 1e-6);
  // Without the correction the mean was 0.1 lower.
  ir::Graph uncorrected = fp32;
  uncorrected.initializers["W"] = quantized.initializers.at(conv.inputs[1]);
  EXPECT_NEAR(mean_output(uncorrected, batches), want - 0.1, 1e-6);
}

TEST(BiasCorrection, AddsToAnExistingBiasInThePtqPipeline) {
  // residual_block's convs and Gemm have biases; the pipeline corrects each quantized layer.
  ir::Graph g = test::residual_block();
  auto data = quant::feeds_data(test::random_batches(2, 4));
  quant::PtqOptions o;
  o.bias_correction = true;
  o.scheme.weight_bits = 4;
  o.calibration.show_progress = false;
  const quant::PtqResult r = quant::quantize_ptq(g, quant::reference_backend(), *data, o);
  EXPECT_EQ(r.biases_corrected, 3);  // c1, c2, fc
  int corrected = 0;
  for (const auto& [name, t] : r.graph.initializers)
    corrected += name.find("_bias_corrected") != std::string::npos;
  EXPECT_EQ(corrected, 3);
}

}  // namespace
}  // namespace qcv
