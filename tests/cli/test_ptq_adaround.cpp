// qcv ptq --adaround as a user meets it: flag errors, and a run on a small model.
#include <gtest/gtest.h>

#include <filesystem>

#include "cli/cli_run.h"
#include "onnx/onnx.h"

using namespace qcv_cli_test;  // run_qcv, tmp

TEST(CliPtqAdaRound, BadFlagsAreUsageErrors) {
  const std::string model = tmp("ada_bad.onnx"), out = tmp("ada_x.onnx");
  for (const std::string flags : {"--adaround --bias-correction", "--adaround --adaround-iters 0",
                                  "--adaround --adaround-iters many", "--adaround-iters 2000000"}) {
    Result r = run_qcv("ptq " + model + " --calib fashion-mnist -o " + out + " " + flags);
    EXPECT_EQ(r.code, 2) << flags << "\n" << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
  }
  Result r = run_qcv("ptq " + model + " --calib fashion-mnist -o " + out +
                     " --adaround --bias-correction");
#ifdef QCV_HAVE_TORCH_CLI
  EXPECT_NE(r.err.find("--bias-correction"), std::string::npos) << r.err;
#else  // the flag's own check runs while parsing, before CLI11 compares flags
  EXPECT_NE(r.err.find("needs LibTorch"), std::string::npos) << r.err;
#endif
  // One flag block: every command that takes the PTQ passes has it.
  for (const char* command : {"ptq", "tune", "sensitivity"}) {
    Result help = run_qcv(std::string(command) + " --help");
    EXPECT_NE(help.out.find("--adaround "), std::string::npos) << command;
    EXPECT_NE(help.out.find("--adaround-iters"), std::string::npos) << command;
  }
}

TEST(CliPtqAdaRound, RoundsASmallModelOrSaysLibTorchIsMissing) {
  if (!std::filesystem::is_directory("/usr/share/datasets/fashion-mnist"))
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const std::string model = tmp("ada_mnv2.onnx"), q = tmp("ada_mnv2.w4.onnx");
  ASSERT_EQ(run_qcv("export --model mobilenet_v2 --width 0.35 --resolution 32 --channels 1 "
                    "--classes 10 -o " +
                    model)
                .code,
            0);
  Result r = run_qcv("ptq " + model + " --calib fashion-mnist --images 16 --batch 8 " +
                     "--weight-bits 4 --adaround --adaround-iters 5 -o " + q);
#ifdef QCV_HAVE_TORCH_CLI
  ASSERT_EQ(r.code, 0) << r.err;
  // MobileNetV2 x0.35: 52 convs and the classifier, each rounded and reported.
  EXPECT_NE(r.err.find("adaround: 53/53 "), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("adaround: 53 layers in"), std::string::npos) << r.err;
  r = run_qcv("info " + q);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("quantized: yes"), std::string::npos) << r.out;
  EXPECT_NE(qcv::onnx::load(q).metadata.at("qcv.quantization").find(" adaround=5"),
            std::string::npos);
#else
  EXPECT_EQ(r.code, 2) << r.err;
  EXPECT_NE(r.err.find("needs LibTorch"), std::string::npos) << r.err;
#endif
}
