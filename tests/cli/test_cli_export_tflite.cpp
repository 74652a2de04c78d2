// qcv export-tflite through the command line: a zoo model quantized with the tflite scheme
// becomes a .tflite file; a float model and a missing output folder are clear errors.
#include <filesystem>

#include "cli/cli_run.h"

using namespace qcv_cli_test;

TEST(CliExportTflite, ZooModelFromPtq) {
  if (!std::filesystem::is_directory("/usr/share/datasets/fashion-mnist"))
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const std::string fp32 = tmp("tfl_mnv2.onnx"), qdq = tmp("tfl_mnv2.qdq.onnx"),
                    out = tmp("tfl_mnv2.tflite");
  Result r =
      run_qcv("export --model mobilenet_v2 --width 0.35 --resolution 32 --classes 10 -o " + fp32);
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_qcv("ptq " + fp32 + " --calib fashion-mnist --images 16 --scheme tflite -o " + qdq);
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_qcv("export-tflite " + qdq + " -o " + out + " --batch 2");
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("DEPTHWISE_CONV_2D 17"), std::string::npos) << r.out;
  const std::string bytes = slurp(out);
  ASSERT_GT(bytes.size(), 8u);
  EXPECT_EQ(bytes.substr(4, 4), "TFL3");
}

TEST(CliExportTflite, FloatModelAndMissingFolderAreErrors) {
  const std::string fp32 = tmp("tfl_float.onnx");
  Result r =
      run_qcv("export --model mobilenet_v1 --width 0.25 --resolution 32 --classes 10 -o " + fp32);
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_qcv("export-tflite " + fp32 + " -o " + tmp("tfl_float.tflite"));
  EXPECT_EQ(r.code, 1);
  EXPECT_NE(r.err.find("is not an int8 tensor"), std::string::npos) << r.err;
  EXPECT_NE(r.err.find("(Conv)"), std::string::npos) << r.err;
  r = run_qcv("export-tflite " + fp32 + " -o " + tmp("no_such_dir") + "/m.tflite");
  EXPECT_EQ(r.code, 1);
  EXPECT_FALSE(std::filesystem::exists(tmp("no_such_dir")));
}
