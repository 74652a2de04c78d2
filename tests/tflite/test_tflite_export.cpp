// export-tflite without a TFLite reader: what it writes for a hand-built net, and its errors.
#include <gtest/gtest.h>

#include "tflite/tflite.h"
#include "tflite/tflite_models.h"

using namespace qcv;

namespace {

std::string error_of(const ir::Graph& g) {
  try {
    tflite::convert(g);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

}  // namespace

TEST(TfliteExport, TinyNetOpsAndFileIdentifier) {
  const ir::Graph qdq = test::quantize_tflite(test::tiny_conv_net());
  const tflite::ExportResult r = tflite::convert(qdq);
  // The file identifier sits after the root offset.
  ASSERT_GT(r.bytes.size(), 8u);
  EXPECT_EQ(r.bytes.substr(4, 4), "TFL3");
  // Counted by hand from tiny_conv_net: c1 (stride 2, pads 1,1 on 16 px: TF's SAME would be
  // 0,1) gets a PAD, the depthwise's pads are SAME at stride 1; the centered 3x3/2 max pool is
  // a stride-1 SAME max pool then a 1x1/2 one (its QuantizeLinear, calibrated on the strided
  // output, may differ from the input's: then a QUANTIZE requantizes it); the Gemm's
  // per-channel weights make it a 1x1 CONV_2D between 2 RESHAPEs (plus the net's 3). One
  // QUANTIZE for the input, and one more where the max pool's QuantizeLinear has other
  // parameters than its input (TFLite pools keep their input's).
  auto scale_of = [&](const std::string& v) {
    for (const auto& n : qdq.nodes)
      if (n.op == "QuantizeLinear" && n.inputs[0] == v)
        return qdq.initializer(n.inputs[1])->as_double(0);
    return 0.0;
  };
  // The average pool rescales as a depthwise conv of weights 1/4 where its parameters change.
  const bool avg_rescales = scale_of("v") != scale_of("m");
  const int requantized = scale_of("m") != scale_of("p3");
  const std::map<std::string, int> want = {{"QUANTIZE", 1 + requantized},
                                           {"CONV_2D", 5},
                                           {"DEPTHWISE_CONV_2D", 1 + avg_rescales},
                                           {"PAD", 1},
                                           {"ADD", 1},
                                           {"MUL", 1},
                                           {"MAX_POOL_2D", 2},
                                           {"MEAN", 1},
                                           {"RESHAPE", 5},
                                           {"DEQUANTIZE", 1}};
  EXPECT_TRUE(avg_rescales) << "the test means to cover the average pool's rescaling";
  EXPECT_EQ(r.op_counts.count("AVERAGE_POOL_2D"), 0u);
  EXPECT_EQ(r.op_counts, want);
}

TEST(TfliteExport, FloatGraphNamesTheFirstFloatInput) {
  const std::string e = error_of(test::tiny_conv_net());
  EXPECT_NE(e.find("node 'c1' (Conv)"), std::string::npos) << e;
}

TEST(TfliteExport, Uint8SchemeIsRefused) {
  auto data = quant::feeds_data({{{"x", ir::Tensor(ir::DType::Float32, {1, 3, 16, 16})}}});
  quant::PtqOptions options;
  options.scheme = quant::scheme_by_name("onnxruntime");
  options.calibration.show_progress = false;
  const ir::Graph qdq =
      quant::quantize_ptq(test::tiny_conv_net(), quant::reference_backend(), *data, options).graph;
  const std::string e = error_of(qdq);
  EXPECT_NE(e.find("int8"), std::string::npos) << e;
  EXPECT_NE(e.find("--scheme tflite"), std::string::npos) << e;
}

TEST(TfliteExport, MobileNetV3SmallHardSwishAndSqueezeExcite) {
  // The tflite scheme puts an int8 tensor before each HardSwish and HardSigmoid: one HARD_SWISH
  // per HardSwish node, the squeeze-excite gate (HardSigmoid) a 1x1 DEPTHWISE_CONV_2D next to
  // the net's depthwise convs, its product a broadcasting MUL; counted on the FP32 graph.
  const ir::Graph fp32 = test::zoo_model("mobilenet_v3_small", 0.5f, 32, 10);
  int depthwise = 0;
  for (const auto& n : fp32.nodes) depthwise += n.op == "Conv" && n.attr_int("group", 1) > 1;
  const tflite::ExportResult r = tflite::convert(test::quantize_tflite(fp32, 1));
  ASSERT_GT(test::count_op(fp32, "HardSigmoid"), 0);
  EXPECT_EQ(r.op_counts.at("HARD_SWISH"), test::count_op(fp32, "HardSwish"));
  EXPECT_EQ(r.op_counts.at("DEPTHWISE_CONV_2D"), depthwise + test::count_op(fp32, "HardSigmoid"));
  EXPECT_EQ(r.op_counts.at("MUL"), test::count_op(fp32, "Mul"));
}

TEST(TfliteExport, HardSigmoidRangeAboveOneIsRefused) {
  // The gate's clamp is the output's saturation; a range reaching past 1 would not clamp.
  ir::Graph qdq = test::quantize_tflite(test::zoo_model("mobilenet_v3_small", 0.5f, 32, 10), 1);
  for (const auto& n : qdq.nodes) {
    if (n.op != "HardSigmoid") continue;
    const ir::Node& q = qdq.nodes[qdq.consumers(n.outputs[0]).at(0)];
    qdq.initializers.at(q.input(1)) = ir::Tensor::scalar(2.f / 255);
    const std::string e = error_of(qdq);
    EXPECT_NE(e.find("'" + n.name + "' (HardSigmoid)"), std::string::npos) << e;
    EXPECT_NE(e.find("[0, 2]"), std::string::npos) << e;
    break;
  }
}

TEST(TfliteExport, SigmoidIsLogisticWithTflitesFixedOutput) {
  // The tflite scheme gives a Sigmoid's output TFLite's LOGISTIC parameters, whatever the
  // calibration saw: scale 1/256, zero point -128; one LOGISTIC per Sigmoid.
  const ir::Graph qdq = test::quantize_tflite(test::sigmoid_net());
  int gates = 0;
  for (const auto& n : qdq.nodes) {
    if (n.op != "Sigmoid") continue;
    const ir::Node& q = qdq.nodes[qdq.consumers(n.outputs[0]).at(0)];
    ASSERT_EQ(q.op, "QuantizeLinear") << n.name;
    EXPECT_EQ(qdq.initializers.at(q.input(1)).as_double(0), 1.0 / 256) << n.name;
    EXPECT_EQ(qdq.initializers.at(q.input(2)).as_double(0), -128) << n.name;
    ++gates;
  }
  EXPECT_EQ(gates, 2);
  EXPECT_EQ(tflite::convert(qdq).op_counts.at("LOGISTIC"), 2);
}

TEST(TfliteExport, SigmoidWithCalibratedOutputIsRefused) {
  // Without the fixed range (a calibrated one), LOGISTIC cannot write it: refused, naming it.
  quant::QuantScheme scheme = quant::scheme_by_name("tflite");
  scheme.fixed_output_ranges.clear();
  const ir::Graph qdq = test::quantize_tflite(test::sigmoid_net(), 4, 11, true, scheme);
  const std::string e = error_of(qdq);
  EXPECT_NE(e.find("'gate1' (Sigmoid)"), std::string::npos) << e;
  EXPECT_NE(e.find("1/256"), std::string::npos) << e;
}

TEST(TfliteExport, ResNetV2PreActivationBatchNormIsADepthwiseConv) {
  // BatchNormalizations after an Add or a pool (nothing to fold into) become 1x1 depthwise Convs
  // in the tflite scheme's QDQ graph, then DEPTHWISE_CONV_2Ds (ResNet v2 has no other).
  const ir::Graph qdq = test::quantize_tflite(test::zoo_model("resnet50_v2", 0.25f, 32, 10), 1);
  int depthwise = 0;
  for (const auto& n : qdq.nodes) depthwise += n.op == "Conv" && n.attr_int("group", 1) > 1;
  EXPECT_EQ(test::count_op(qdq, "BatchNormalization"), 0);
  EXPECT_EQ(depthwise, 17);  // one per unit (16) and the final one
  EXPECT_EQ(tflite::convert(qdq).op_counts.at("DEPTHWISE_CONV_2D"), depthwise);
}

TEST(TfliteExport, FloatBatchNormBetweenInt8TensorsIsADepthwiseConv) {
  // A QDQ file that kept the BN float (another tool's placement, or before the rewrite): the
  // exporter still writes it as a 1x1 DEPTHWISE_CONV_2D.
  quant::QuantScheme scheme = quant::scheme_by_name("tflite");
  scheme.batch_norm_as_depthwise_conv = false;
  scheme.output_ops.insert("BatchNormalization");
  const ir::Graph qdq =
      test::quantize_tflite(test::zoo_model("resnet50_v2", 0.25f, 32, 10), 1, 11, true, scheme);
  EXPECT_EQ(test::count_op(qdq, "BatchNormalization"), 17);
  EXPECT_EQ(tflite::convert(qdq).op_counts.at("DEPTHWISE_CONV_2D"), 17);
}
