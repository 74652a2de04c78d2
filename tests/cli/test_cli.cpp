// The qcv command as a user sees it: exit codes, one-line errors, atomic outputs, and exported
// files checked by ONNX's own checker (python3-onnx) where available.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <random>
#include <sstream>

#include "cli/cli_run.h"
#include "models/models.h"

using namespace qcv_cli_test;  // run_qcv, tmp, slurp, write, count_lines

namespace {

bool python_onnx_available() {
  return std::system("/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1") == 0;
}

}  // namespace

TEST(Cli, HelpAndUsageErrors) {
  EXPECT_EQ(run_qcv("--help").code, 0);
  for (const char* sub : {"models", "export", "optimize", "info"}) {
    Result r = run_qcv(std::string(sub) + " --help");
    EXPECT_EQ(r.code, 0) << sub;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << sub;
  }
  EXPECT_EQ(run_qcv("no-such-command").code, 2);
  EXPECT_EQ(run_qcv("info").code, 2);                    // missing positional
  EXPECT_EQ(run_qcv("export --model resnet18").code, 2);  // missing -o
}

TEST(Cli, BadModelFilesGiveOneLineAndExit1) {
  ASSERT_EQ(run_qcv("export --model mobilenet_v2 --resolution 32 -o " + tmp("good.onnx")).code, 0);
  std::string good = slurp(tmp("good.onnx"));
  ASSERT_GT(good.size(), 1000u);
  write(tmp("truncated.onnx"), good.substr(0, good.size() / 2));
  std::mt19937 rng(7);
  std::string noise(4096, '\0');
  for (char& c : noise) c = static_cast<char>(rng());
  write(tmp("random.onnx"), noise);
  write(tmp("text.onnx"), "this is not a model\n");
  write(tmp("empty.onnx"), "");
  std::vector<std::string> bad = {tmp("truncated.onnx"), tmp("random.onnx"), tmp("text.onnx"),
                                   tmp("empty.onnx"), tmp("missing.onnx")};
  // A real ONNX file with an op qcv does not support (Loop), from ONNX's own test data.
  const std::string abs_model = "/usr/share/libonnx-testdata/data/node/test_loop11/model.onnx";
  if (std::ifstream(abs_model)) bad.push_back(abs_model);
  write(tmp("keep.onnx"), "previous contents");
  for (const std::string& file : bad) {
    for (const std::string& cmd : {"info " + file, "optimize " + file + " -o " + tmp("keep.onnx")}) {
      Result r = run_qcv(cmd);
      EXPECT_EQ(r.code, 1) << cmd << "\n" << r.err;
      EXPECT_EQ(count_lines(r.err), 1) << cmd << "\n" << r.err;
      EXPECT_NE(r.err.find("error"), std::string::npos) << r.err;
    }
  }
  EXPECT_EQ(slurp(tmp("keep.onnx")), "previous contents") << "a failed optimize touched its output";
  Result r = run_qcv("info " + abs_model);
  if (std::ifstream(abs_model)) {
    EXPECT_NE(r.err.find("Loop"), std::string::npos) << r.err;
  }
}

TEST(Cli, ModelsJsonHasPublishedShape) {
  Result r = run_qcv("models --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto rows = nlohmann::json::parse(r.out);
  ASSERT_GT(rows.size(), 40u);
  bool found = false;
  for (const auto& row : rows) {
    for (const char* key : {"model", "width", "resolution", "classes", "macs", "params"})
      ASSERT_TRUE(row.contains(key)) << row.dump();
    if (row["model"] == "mobilenet_v2" && row["width"] == 1.0 && row["resolution"] == 224) {
      found = true;
      // Published: 300 M MACs, 3.47 M params (TF-Slim's MobileNet V2 table, 1001 classes).
      EXPECT_NEAR(row["macs"].get<double>() / 300e6, 1.0, 0.03);
      EXPECT_NEAR(row["params"].get<double>() / 3.47e6, 1.0, 0.03);
    }
  }
  EXPECT_TRUE(found);
}

TEST(Cli, EveryZooModelExportsAndPassesOnnxChecker) {
  std::string paths;
  for (const std::string& name : qcv::models::model_names()) {
    std::string path = tmp(name + ".onnx");
    Result r = run_qcv("export --model " + name + " --resolution 64 --classes 10 -o " + path);
    ASSERT_EQ(r.code, 0) << name << ": " << r.err;
    Result info = run_qcv("info --json " + path);
    ASSERT_EQ(info.code, 0) << info.err;
    auto j = nlohmann::json::parse(info.out);
    EXPECT_EQ(j["outputs"][0]["shape"].back(), 10) << name;
    paths += " " + path;
  }
  if (!python_onnx_available()) GTEST_SKIP() << "python3-onnx not installed: exports not checked";
  // One interpreter for all files; it names each file that fails.
  std::string cmd = "/usr/bin/python3 -c \"import onnx,sys\n"
                    "bad=0\n"
                    "for p in sys.argv[1:]:\n"
                    "  try: onnx.checker.check_model(onnx.load(p), full_check=True)\n"
                    "  except Exception as e: print(p, e); bad=1\n"
                    "sys.exit(bad)\"" + paths;
  EXPECT_EQ(std::system(cmd.c_str()), 0) << "some exports fail onnx.checker (see above)";
}

TEST(Cli, OptimizeFoldsBatchNormAndInfoReportsIt) {
  ASSERT_EQ(run_qcv("export --model resnet18 --resolution 32 --classes 10 -o " + tmp("r18.onnx")).code, 0);
  Result before = run_qcv("info --json " + tmp("r18.onnx"));
  ASSERT_EQ(run_qcv("optimize " + tmp("r18.onnx") + " -o " + tmp("r18.opt.onnx")).code, 0);
  Result after = run_qcv("info --json " + tmp("r18.opt.onnx"));
  auto b = nlohmann::json::parse(before.out), a = nlohmann::json::parse(after.out);
  // ResNet-18: 20 convolutions, each followed by a BatchNormalization.
  EXPECT_EQ(b["ops"]["BatchNormalization"], 20);
  EXPECT_EQ(b["ops"]["Conv"], 20);
  EXPECT_FALSE(a["ops"].contains("BatchNormalization"));
  EXPECT_EQ(a["ops"]["Conv"], 20);
  EXPECT_EQ(a["macs"], b["macs"]);
  EXPECT_FALSE(a["quantized"].get<bool>());
}

// An ONNX Runtime QOperator int8 file (QLinearConv, com.microsoft QLinear*/QGemm) is QDQ once
// imported: info calls it quantized and lists the IR's ops.
TEST(Cli, InfoReportsQOperatorFileAsQuantized) {
  const std::string file = std::string(QCV_SOURCE_DIR) + "/tests/data/onnx/qop_tiny.onnx";
  Result r = run_qcv("info " + file);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("quantized: yes (QDQ)"), std::string::npos) << r.out;
  EXPECT_NE(r.out.find("input float32 [Nx3x8x8]"), std::string::npos) << r.out;
  EXPECT_EQ(r.out.find("QLinear"), std::string::npos) << r.out;
  Result j = run_qcv("info --json " + file);
  ASSERT_EQ(j.code, 0) << j.err;
  auto info = nlohmann::json::parse(j.out);
  EXPECT_EQ(info["quantized"], true);
  EXPECT_EQ(info["ops"]["Conv"], 3);
  EXPECT_EQ(info["ops"]["Gemm"], 1);
}

// A tf2onnx-style NHWC model (tests/data/gallery, bench/gallery/make_keras_style.py): qcv info says
// nhwc, ptq calibrates it (NCHW inside) and writes an NHWC file again, eval feeds it, and the
// images eval dumps (in the file's layout) give ONNX Runtime qcv's predictions.
TEST(Cli, NhwcModelQuantizesAndKeepsItsLayout) {
  const std::string model =
      std::string(QCV_SOURCE_DIR) + "/tests/data/gallery/keras_mobilenet_v2_small.onnx";
  Result r = run_qcv("info " + model);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("layout:    nhwc"), std::string::npos) << r.out;
  if (!std::filesystem::is_directory("/usr/share/datasets/fashion-mnist"))
    GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const std::string q = tmp("nhwc.int8.onnx");
  r = run_qcv("ptq " + model + " --calib fashion-mnist --images 32 --channels 3 --preprocess tf " +
              "--scheme onnxruntime -o " + q);
  ASSERT_EQ(r.code, 0) << r.err;
  r = run_qcv("info " + q + " --json");
  ASSERT_EQ(r.code, 0) << r.err;
  auto info = nlohmann::json::parse(r.out);
  EXPECT_EQ(info["input_layout"], "nhwc");
  EXPECT_EQ(info["inputs"][0]["shape"][3], 3);
  EXPECT_TRUE(info["quantized"].get<bool>());
  const std::string dump = tmp("nhwc_dump");
  r = run_qcv("eval " + q + " --data fashion-mnist --channels 3 --limit 64 --json --dump " + dump);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_EQ(nlohmann::json::parse(r.out)["count"], 64);
  const std::string node_modules = std::string(QCV_SOURCE_DIR) + "/bench/node_modules";
  if (!std::ifstream(node_modules + "/onnxruntime-node/package.json"))
    GTEST_SKIP() << "onnxruntime-node not installed (scripts/install-deps.sh)";
  const std::string cmd = "NODE_PATH=" + node_modules + " node " + QCV_SOURCE_DIR +
                          "/bench/eval_ort.js " + q + " " + dump + " > " + tmp("ort.json");
  ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
  auto ort = nlohmann::json::parse(slurp(tmp("ort.json")));
  EXPECT_GE(ort["prediction_agreement"].get<double>(), 98.0) << ort.dump();
  std::filesystem::remove_all(dump);
}
