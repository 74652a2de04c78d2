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

TEST(TfliteExport, HardSwishAfterConvNamesTheNodes) {
  ir::Graph g = test::zoo_model("mobilenet_v3_small", 0.5f, 32, 10);
  const std::string e = error_of(test::quantize_tflite(g, 1));
  EXPECT_NE(e.find("(Conv)"), std::string::npos) << e;
  EXPECT_NE(e.find("(HardSwish)"), std::string::npos) << e;
}
