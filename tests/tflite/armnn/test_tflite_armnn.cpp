// Exported .tflite files read and run by an independent implementation (Arm NN's TFLite parser,
// CpuRef backend) against qcv's INT8 runtime on the QDQ file they come from.
#include <gtest/gtest.h>

#include "tflite/tflite.h"
#include "tflite/tflite_models.h"
#include "tflite_check.h"

using namespace qcv;

namespace {

// pad_ops false for models with stride-2 convs after a Relu (zero point -128): Arm NN 20.08's
// int8 PAD fills with 0, not the zero point (tflite::ExportOptions::pad_ops).
void expect_agreement(const ir::Graph& qdq, int64_t batch, const std::string& what,
                      bool pad_ops = true, std::pair<float, float> output_range = {1, 0}) {
  tflite::ExportOptions options;
  options.batch = batch;
  options.pad_ops = pad_ops;
  options.output_lo = output_range.first;
  options.output_hi = output_range.second;
  const tflite::ExportResult r = tflite::convert(qdq, options);
  if (!pad_ops) {
    EXPECT_EQ(r.op_counts.count("PAD"), 0u) << what;
  }
  const test::CheckResult c =
      test::compare_with_armnn(qdq, r.bytes, test::normal_input(qdq, batch, 5),
                               r.output_scales.at(0), r.output_zero_points.at(0));
  std::cout << what << ": " << c.outputs << " outputs, " << 100 * c.within_one_step
            << "% within one step (" << c.step << "), max " << c.max_steps << " steps, mean "
            << c.mean_steps << ", top-1 agreement " << 100 * c.top1_agreement << "%\n";
  ::testing::Test::RecordProperty("max_steps", std::to_string(c.max_steps));
  EXPECT_GE(c.within_one_step, 0.99) << what;
  EXPECT_LE(c.mean_steps, 1.0) << what;
}

}  // namespace

// The grid qcv's float logits are put on before comparing with the .tflite's int8 ones, by hand:
// step 0.5, zero point -3.
TEST(TfliteArmnnCheck, OnOutputGridRoundsHalfToEvenAndSaturates) {
  EXPECT_FLOAT_EQ(test::on_output_grid(1.25f, 0.5f, -3), 1.0f);     // 2.5 -> 2, q = -1
  EXPECT_FLOAT_EQ(test::on_output_grid(1.75f, 0.5f, -3), 2.0f);     // 3.5 -> 4, q = 1
  EXPECT_FLOAT_EQ(test::on_output_grid(-0.2f, 0.5f, -3), 0.0f);     // -0.4 -> 0, q = -3
  EXPECT_FLOAT_EQ(test::on_output_grid(100.f, 0.5f, -3), 65.0f);    // q 197 -> 127
  EXPECT_FLOAT_EQ(test::on_output_grid(-100.f, 0.5f, -3), -62.5f);  // q -203 -> -128
}

TEST(TfliteArmnn, TinyConvNetMatchesQcvInt8) {
  const ir::Graph qdq = test::quantize_tflite(test::tiny_conv_net());
  // The exporter wrote every op family this net has (PAD for PyTorch-style stride-2 padding).
  const auto ops = tflite::convert(qdq).op_counts;
  for (const char* op : {"CONV_2D", "DEPTHWISE_CONV_2D", "PAD", "ADD", "MUL", "MAX_POOL_2D", "MEAN",
                         "RESHAPE", "QUANTIZE", "DEQUANTIZE"})
    EXPECT_TRUE(ops.count(op)) << op;
  expect_agreement(qdq, 32, "tiny conv net");
}

TEST(TfliteArmnn, TinyConvNetPerTensorWeights) {
  // Per-tensor weights (`qcv ptq --per-tensor-weights`): the Gemm is a FULLY_CONNECTED.
  const ir::Graph qdq = test::quantize_tflite(test::tiny_conv_net(), 4, 11, false);
  EXPECT_EQ(tflite::convert(qdq).op_counts.count("FULLY_CONNECTED"), 1u);
  expect_agreement(qdq, 32, "tiny conv net, per-tensor weights");
}

TEST(TfliteArmnn, SigmoidNetMatchesQcvInt8) {
  // LOGISTIC (output scale 1/256, zero point -128) after a CONV_2D, in a SiLU's MUL and as a gate
  // pooled by MEAN into the output.
  const ir::Graph qdq = test::quantize_tflite(test::sigmoid_net());
  EXPECT_EQ(tflite::convert(qdq).op_counts.at("LOGISTIC"), 2);
  expect_agreement(qdq, 8, "sigmoid net");
}

TEST(TfliteArmnn, HardSigmoidGateOnACoarseInputMatchesQcvInt8) {
  // The gate's 1x1 DEPTHWISE_CONV_2D holds beta on the bias grid input scale x weight scale; on
  // a coarse input step (here ~0.16) that grid is wide enough to move values across a rounding
  // boundary unless the exporter picks the weight integer whose grid holds beta.
  const ir::Graph qdq = test::quantize_tflite(test::gate_net());
  tflite::ExportOptions options;
  options.batch = 32;
  const tflite::ExportResult r = tflite::convert(qdq, options);
  const test::CheckResult c =
      test::compare_with_armnn(qdq, r.bytes, test::normal_input(qdq, 32, 5), r.output_scales.at(0),
                               r.output_zero_points.at(0));
  std::cout << "gate net: " << c.outputs << " outputs, max " << c.max_steps << " steps, mean "
            << c.mean_steps << "\n";
  EXPECT_LE(c.max_steps, 0.01);
}

TEST(TfliteArmnn, ZooMobileNetV2MatchesQcvInt8) {
  const ir::Graph qdq = test::quantize_tflite(test::zoo_model("mobilenet_v2", 0.35f, 32, 10));
  expect_agreement(qdq, 2, "mobilenet_v2 x0.35 32px", false);
}

TEST(TfliteArmnn, ZooResNet18MatchesQcvInt8) {
  // Float logits (int8 in the .tflite: the bounded range, then the range observed on 8 other
  // images), a 7x7/2 stem, a centered 3x3/2 max pool, residual ADDs with fused RELU.
  const ir::Graph qdq = test::quantize_tflite(test::zoo_model("resnet18", 1.f, 32, 10), 2);
  expect_agreement(qdq, 2, "resnet18 32px, bounded logits", false);
  expect_agreement(qdq, 2, "resnet18 32px, observed logits range", false,
                   test::observed_output_range(qdq, 8, 100));
}

TEST(TfliteArmnn, ZooMobileNetV3SmallMatchesQcvInt8) {
  // HARD_SWISH, the squeeze-excite gate as a 1x1 DEPTHWISE_CONV_2D and its broadcasting MUL.
  const ir::Graph fp32 = test::zoo_model("mobilenet_v3_small", 0.5f, 32, 10);
  const ir::Graph qdq = test::quantize_tflite(fp32);
  const auto ops = tflite::convert(qdq).op_counts;
  EXPECT_TRUE(ops.count("HARD_SWISH"));
  expect_agreement(qdq, 2, "mobilenet_v3_small x0.5 32px", false);
  // The random net's logits span few steps; the 1024 head activations (pooled) carry more.
  const ir::Graph head = test::quantize_tflite(test::cut_after(fp32, "classifier.head.act"));
  expect_agreement(head, 2, "mobilenet_v3_small x0.5 32px, head activations", false);
}

TEST(TfliteArmnn, ZooResNet50V2MatchesQcvInt8) {
  // Pre-activation BatchNormalizations as 1x1 depthwise Convs (int8 weights, int32 bias) in the
  // QDQ graph, DEPTHWISE_CONV_2Ds with RELU fused in the .tflite. The whole net with the bounded
  // logits range (a coarse step), and cut after layer2 (pooled, 256 values per image, a fine
  // step): with the observed logits range the whole random net is 70% within one step (the
  // flips of deep random ResNets, README "TFLite export").
  const ir::Graph fp32 = test::zoo_model("resnet50_v2", 0.25f, 32, 10);
  const ir::Graph qdq = test::quantize_tflite(fp32);
  ASSERT_EQ(test::count_op(qdq, "BatchNormalization"), 0);
  expect_agreement(qdq, 2, "resnet50_v2 x0.25 32px, bounded logits", false);
  const ir::Graph cut = test::quantize_tflite(test::cut_after(fp32, "layer2.3.add"));
  expect_agreement(cut, 2, "resnet50_v2 x0.25 32px through layer2", false);
}

TEST(TfliteArmnn, ZooMobileNetV3SmallMinimalisticMatchesQcvInt8) {
  const ir::Graph qdq =
      test::quantize_tflite(test::zoo_model("mobilenet_v3_small_minimalistic", 0.5f, 32, 10));
  expect_agreement(qdq, 2, "mobilenet_v3_small_minimalistic x0.5 32px", false);
}
