// qcv ptq's advanced flags as a user meets them: --cle, --bias-correction, --weight-bits.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/cli_run.h"

using namespace qcv_cli_test;  // run_qcv, tmp

TEST(CliPtqAdvanced, BadValuesAreUsageErrors) {
  const std::string model = tmp("adv_bad.onnx");
  for (const std::string flags : {"--weight-bits 6", "--weight-bits 16", "--cle-relu6 clamp"}) {
    Result r = run_qcv("ptq " + model + " --calib fashion-mnist -o " + tmp("x.onnx") + " " + flags);
    EXPECT_EQ(r.code, 2) << flags << "\n" << r.err;
  }
  Result help = run_qcv("ptq --help");
  for (const char* flag :
       {"--cle", "--cle-relu6", "--bias-correction", "--weight-bits", "--high-bias-absorption"})
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
}

TEST(CliPtqAdvanced, EqualizedBiasCorrected4BitModelIsWritten) {
  if (!std::filesystem::is_directory("/usr/share/datasets/fashion-mnist"))
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const std::string model = tmp("adv_mnv2.onnx"), q = tmp("adv_mnv2.w4.onnx");
  ASSERT_EQ(run_qcv("export --model mobilenet_v2 --width 0.35 --resolution 32 --channels 1 "
                    "--classes 10 -o " +
                    model)
                .code,
            0);
  Result r = run_qcv("ptq " + model + " --calib fashion-mnist --images 16 --batch 8 " +
                     "--per-tensor-weights --weight-bits 4 --cle --high-bias-absorption "
                     "--bias-correction -o " +
                     q);
  ASSERT_EQ(r.code, 0) << r.err;
  // MobileNetV2's expand -> depthwise -> project chains: ReLU6 pairs made exact per channel.
  EXPECT_NE(r.err.find("cross-layer equalization: "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("ReLU6 made per-channel"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("biases corrected"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("high-bias absorption: "), std::string::npos) << r.err;
  r = run_qcv("info " + q);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("quantized: yes"), std::string::npos) << r.out;
}
