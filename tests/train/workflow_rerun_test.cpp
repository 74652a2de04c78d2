// `qcv workflow` rerun into the same folder: a changed config reruns exactly the phases it feeds
// and says why, unchanged phases are reused and say so. (Before the phase keys, a changed scheme
// reused the old ONNX files and their rows under the new labels.) A tiny workflow: an untrained
// given FP32 model, 32 calibration images, one QAT epoch on 64 images, 64 test images.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>

#include "onnx/onnx.h"

#ifdef QCV_CLI_PATH
namespace {
namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

struct Outcome {
  int code;
  std::string log;
};
Outcome qcv(const std::string& args, const std::string& log) {
  const int status =
      std::system((std::string(QCV_CLI_PATH) + " " + args + " >" + log + " 2>&1").c_str());
  return {WEXITSTATUS(status), slurp(log)};
}

void write_config(const std::string& path, const std::string& model, const std::string& scheme,
                  const std::string& qat_lr) {
  std::ofstream(path) << "title: rerun test\n"
                         "dataset: fashion-mnist\n"
                         "fp32_model: "
                      << model
                      << "\n"
                         "ptq:\n  scheme: "
                      << scheme
                      << "\n  methods: [max]\n  images: 32\n"
                         "qat:\n  init: max\n  train:\n    epochs: 1\n    limit_train: 64\n"
                         "    limit_test: 32\n    batch_size: 32\n    lr: "
                      << qat_lr
                      << "\n"
                         "    lr_schedule: constant\n    threads: 2\n    workers: 1\n"
                         "deploy:\n  threads: 1\n  latency_runs: 2\n"
                         "eval:\n  limit_test: 64\n";
}

// An empty `dir` holding fp32.onnx: an untrained MobileNetV2 x0.25, 28x28, 1 channel, 10 classes.
Outcome export_tiny_model(const std::string& dir) {
  fs::remove_all(dir);
  fs::create_directories(dir);
  return qcv("export --model mobilenet_v2 --width 0.25 --resolution 28 --channels 1 --classes 10 "
             "-o " + dir + "/fp32.onnx",
             dir + "/export.log");
}

bool has(const std::string& log, const std::string& line) {
  return log.find(line) != std::string::npos;
}

TEST(WorkflowRerun, AChangedConfigRerunsExactlyWhatItFeedsAndSaysWhy) {
  if (!fs::exists("/usr/share/datasets/fashion-mnist"))
    GTEST_SKIP() << "Fashion-MNIST is not installed";
  const std::string dir = std::string(QCV_BINARY_DIR) + "/test_workflow_rerun";
  const std::string model = dir + "/fp32.onnx", config = dir + "/w.yaml", out = dir + "/out";
  ASSERT_EQ(export_tiny_model(dir).code, 0);

  write_config(config, model, "tensorrt", "0.01");
  Outcome first = qcv("workflow --config " + config + " -o " + out, dir + "/1.log");
  ASSERT_EQ(first.code, 0) << first.log;
  const std::string ptq_trt = slurp(out + "/ptq_max.onnx");
  EXPECT_FALSE(has(first.log, "reusing")) << first.log;
  // The results against the baseline, the chart, and report.html with the config as given.
  const nlohmann::json results = nlohmann::json::parse(slurp(out + "/results.json"));
  ASSERT_EQ(results.at("rows").size(), 3u);
  EXPECT_EQ(results["rows"][0].at("speedup_vs_fp32").get<double>(), 1.0);
  for (const auto& row : results["rows"])
    EXPECT_GE(row.at("deployed_top5").get<double>(), row.at("deployed_top1").get<double>());
  EXPECT_EQ(slurp(out + "/accuracy_latency.png").substr(1, 3), "PNG");
  EXPECT_TRUE(has(slurp(out + "/accuracy_latency.svg"), "<title>rerun test</title>"));
  const std::string html = slurp(out + "/report.html");
  EXPECT_TRUE(has(html, "<h1>rerun test</h1>")) << html.substr(0, 500);
  EXPECT_TRUE(has(html, "<td>PTQ (max)</td>"));
  EXPECT_TRUE(has(html, "<svg"));
  EXPECT_TRUE(has(html, "title: rerun test\ndataset: fashion-mnist\n"));

  // The scheme feeds PTQ and QAT (and their evaluations), not the baseline.
  write_config(config, model, "onnxruntime", "0.01");
  Outcome second = qcv("workflow --config " + config + " -o " + out, dir + "/2.log");
  ASSERT_EQ(second.code, 0) << second.log;
  EXPECT_TRUE(has(second.log, "fp32: unchanged, reusing baseline_fp32.onnx")) << second.log;
  EXPECT_TRUE(has(second.log, "eval_baseline_fp32: unchanged")) << second.log;
  EXPECT_TRUE(has(second.log, "ptq_max: rerunning (scheme: \"tensorrt\" -> \"onnxruntime\")"))
      << second.log;
  EXPECT_TRUE(has(second.log, "qat: rerunning (scheme: \"tensorrt\" -> \"onnxruntime\")"))
      << second.log;
  EXPECT_TRUE(has(second.log, "eval_ptq_max: rerunning (model.")) << second.log;
  EXPECT_NE(slurp(out + "/ptq_max.onnx"), ptq_trt) << "the old scheme's file was reused";

  // A QAT training key feeds only QAT and its evaluation.
  write_config(config, model, "onnxruntime", "0.02");
  Outcome third = qcv("workflow --config " + config + " -o " + out, dir + "/3.log");
  ASSERT_EQ(third.code, 0) << third.log;
  EXPECT_TRUE(has(third.log, "ptq_max: unchanged, reusing ptq_max.onnx")) << third.log;
  EXPECT_TRUE(has(third.log, "eval_ptq_max: unchanged")) << third.log;
  EXPECT_TRUE(has(third.log, "qat: rerunning (train.lr: \"0.01\" -> \"0.02\")")) << third.log;
  fs::remove_all(dir);
}


// With ptq.adaround, the ptq phase of every method and the tune phase share one AdaRound (it
// learns from FP32 activations: no method changes it), and each ptq_METHOD.onnx is what `qcv ptq
// --adaround --method METHOD` writes from the same images (all but the provenance metadata). About
// 20 s: the workflow's tune meets its criterion with the methods' trials.
TEST(WorkflowAdaRound, OneAdaRoundForEveryMethodAndTheTunePhase) {
  if (!fs::exists("/usr/share/datasets/fashion-mnist"))
    GTEST_SKIP() << "Fashion-MNIST is not installed";
  const std::string dir = std::string(QCV_BINARY_DIR) + "/test_workflow_adaround";
  const std::string model = dir + "/fp32.onnx", config = dir + "/w.yaml", out = dir + "/out";
  ASSERT_EQ(export_tiny_model(dir).code, 0);
  std::ofstream(config) << "dataset: fashion-mnist\nfp32_model: " << model
                        << "\nptq:\n  methods: [max, mse]\n  images: 16\n  weight_bits: 4\n"
                           "  adaround: true\n  adaround_iters: 5\n"
                           "tune:\n  max_drop: 100\n"
                           "qat:\n  init: max\n  train:\n    epochs: 1\n    limit_train: 32\n"
                           "    limit_test: 32\n    batch_size: 32\n    threads: 2\n"
                           "    workers: 1\n"
                           "deploy:\n  threads: 1\n  latency_runs: 2\n"
                           "eval:\n  limit_test: 32\n";
  const Outcome run = qcv("workflow --config " + config + " -o " + out, dir + "/run.log");
  ASSERT_EQ(run.code, 0) << run.log;
  const std::string once = "ptq: AdaRound: 53 layers in ";
  const size_t first = run.log.find(once);
  ASSERT_NE(first, std::string::npos) << run.log;
  EXPECT_EQ(run.log.find(once, first + 1), std::string::npos) << run.log;
  EXPECT_TRUE(has(run.log, "tune: ")) << run.log;
  const auto without_provenance = [&](const std::string& path, const std::string& name) {
    qcv::ir::Graph g = qcv::onnx::load(path);
    g.metadata.erase("qcv.quantization");
    qcv::onnx::save(g, dir + "/" + name);
    return slurp(dir + "/" + name);
  };
  // mse: the method that reused max's preparation.
  const std::string alone = dir + "/alone_mse.onnx";
  ASSERT_EQ(qcv("ptq " + model + " --calib fashion-mnist --images 16 --batch 16 --weight-bits 4 " +
                    "--adaround --adaround-iters 5 --method mse -o " + alone,
                dir + "/ptq_mse.log")
                .code,
            0);
  EXPECT_EQ(without_provenance(out + "/ptq_mse.onnx", "a.onnx"),
            without_provenance(alone, "b.onnx"));
  fs::remove_all(dir);
}

}  // namespace
#endif
