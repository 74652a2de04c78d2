// qcv sensitivity and qcv tune as a user meets them: --help, usage and input errors, and report
// files that parse and agree with each other (the numbers' truth is tests/quant/test_tune.cpp).
// The commands exist only with the data layer and the runtime (QCV_HAVE_DATA).
#ifdef QCV_HAVE_DATA
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "cli/cli_run.h"
#include "common/graph_builder.h"
#include "data/data.h"
#include "onnx/onnx.h"

using namespace qcv_cli_test;  // run_qcv, tmp, slurp

namespace {

bool have_fashion_mnist() {
  return std::filesystem::is_directory("/usr/share/datasets/fashion-mnist");
}

// A Fashion-MNIST classifier built so that one node is known to be harmful to quantize:
// x[N,1,28,28] -> Flatten -> a Gemm (identity, plus an output column holding 1000) -> b Gemm
// (nearest class mean of 3000 training images; it reads the 1000 with weight 0.001 (k+1) and
// cancels it in its bias). An int8 range for b's input must reach 1000 (every pixel rounds to
// 0: b predicts from its bias alone) or clip the 1000 (shifting class k by (k+1) (T/1000 - 1)).
// a's input is the image, which int8 holds well.
std::string outlier_classifier() {
  const int64_t d = 784;
  auto train = qcv::data::open_dataset("fashion-mnist", "train");
  const auto pre = qcv::data::Preprocess::for_dataset("fashion-mnist", 28, false, 1);
  std::vector<double> sum(10 * d, 0.0), count(10, 0.0);
  for (size_t i = 0; i < 3000; ++i) {
    const qcv::data::Example e = train->get(i * 20);
    const qcv::ir::Tensor x = qcv::data::preprocess(e.image, pre);
    for (int64_t p = 0; p < d; ++p) sum[e.label * d + p] += x.data<float>()[p];
    count[e.label] += 1;
  }
  qcv::ir::Tensor wa(qcv::ir::DType::Float32, {d + 1, d}), ba(qcv::ir::DType::Float32, {d + 1});
  qcv::ir::Tensor wb(qcv::ir::DType::Float32, {10, d + 1}), bb(qcv::ir::DType::Float32, {10});
  std::fill_n(wa.data<float>(), wa.numel(), 0.0f);
  std::fill_n(ba.data<float>(), ba.numel(), 0.0f);
  for (int64_t p = 0; p < d; ++p) wa.data<float>()[p * d + p] = 1;
  ba.data<float>()[d] = 1000;
  for (int64_t k = 0; k < 10; ++k) {
    double norm = 0;
    for (int64_t p = 0; p < d; ++p) {  // logit_k = m_k . x - |m_k|^2 / 2
      const double m = sum[k * d + p] / count[k];
      wb.data<float>()[k * (d + 1) + p] = float(m);
      norm += m * m;
    }
    wb.data<float>()[k * (d + 1) + d] = 0.001f * float(k + 1);
    bb.data<float>()[k] = float(-norm / 2 - double(k + 1));
  }
  qcv::ir::Graph g;
  g.name = "outlier_classifier";
  g.inputs.push_back(qcv::ir::make_value("x", qcv::ir::DType::Float32, {-1, 1, 28, 28}));
  g.outputs.push_back(qcv::ir::make_value("y"));
  g.initializers["Wa"] = wa;
  g.initializers["Ba"] = ba;
  g.initializers["Wb"] = wb;
  g.initializers["Bb"] = bb;
  const std::map<std::string, qcv::ir::Attribute> t = {{"transB", int64_t(1)}};
  g.nodes.push_back(qcv::test::make_node("flat", "Flatten", {"x"}, {"f"}));
  g.nodes.push_back(qcv::test::make_node("a", "Gemm", {"f", "Wa", "Ba"}, {"h"}, t));
  g.nodes.push_back(qcv::test::make_node("b", "Gemm", {"h", "Wb", "Bb"}, {"y"}, t));
  g.metadata["qcv.dataset"] = "fashion-mnist";
  const std::string path = tmp("outlier.onnx");
  qcv::onnx::save(g, path);
  return path;
}

}  // namespace

TEST(CliTune, HelpAndUsageErrors) {
  for (const char* command : {"sensitivity", "tune"}) {
    Result help = run_qcv(std::string(command) + " --help");
    EXPECT_EQ(help.code, 0);
    for (const char* flag : {"--calib", "--eval", "--images", "--eval-images", "--exclude"})
      EXPECT_NE(help.out.find(flag), std::string::npos) << command << " " << flag;
  }
  Result help = run_qcv("tune --help");
  for (const char* flag : {"--max-drop", "--relative", "--max-trials", "--timeout", "--report"})
    EXPECT_NE(help.out.find(flag), std::string::npos) << flag;
  EXPECT_NE(help.out.find("exit 3"), std::string::npos);
  const std::string m = tmp("absent.onnx");
  for (const std::string args :
       {"tune " + m + " --calib fashion-mnist -o " + tmp("o.onnx"),   // no --eval
        "tune " + m + " --calib fashion-mnist --eval fashion-mnist",  // no -o
        "tune " + m + " --calib fashion-mnist --eval fashion-mnist -o x.onnx --max-drop -1",
        "tune " + m + " --calib fashion-mnist --eval fashion-mnist -o x.onnx --methods kl",
        "sensitivity " + m + " --calib fashion-mnist --eval fashion-mnist --method kl"}) {
    Result r = run_qcv(args);
    EXPECT_EQ(r.code, 2) << args << "\n" << r.err;
    EXPECT_EQ(r.err.rfind("qcv: error: ", 0), 0u) << r.err;
  }
  Result r = run_qcv("sensitivity " + m + " --calib fashion-mnist --eval fashion-mnist -o " +
                     tmp("sens_absent"));
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("absent.onnx"), std::string::npos) << r.err;
  r = run_qcv("tune " + m + " --calib fashion-mnist --eval fashion-mnist -o /no/such/dir/q.onnx");
  EXPECT_EQ(r.code, 1) << r.err;
  EXPECT_NE(r.err.find("/no/such/dir"), std::string::npos) << r.err;
}

TEST(CliTune, SensitivityRanksTheOutlierNodeFirst) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const std::string model = outlier_classifier(), dir = tmp("sens");
  Result r = run_qcv("sensitivity " + model +
                     " --calib fashion-mnist --eval fashion-mnist --images 64 --eval-images 500 "
                     "-o " +
                     dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("node 2/2"), std::string::npos) << r.err;  // progress lines
  const auto j = nlohmann::json::parse(slurp(dir + "/sensitivity.json"));
  EXPECT_GT(j["fp32_top1"].get<double>(), 60.0);  // nearest class mean: ~68% on Fashion-MNIST
  ASSERT_EQ(j["nodes"].size(), 2u);
  EXPECT_EQ(j["nodes"][0]["node"], "b");
  EXPECT_GT(j["nodes"][0]["drop_only_quantized"].get<double>(), 30.0);
  EXPECT_LT(j["nodes"][1]["drop_only_quantized"].get<double>(), 2.0);
  EXPECT_EQ(j["tensors"].size(), 4u);  // f, Wa, h, Wb
  const std::string md = slurp(dir + "/sensitivity.md");
  EXPECT_NE(md.find("| 1 | `b` | Gemm |"), std::string::npos) << md;
  EXPECT_EQ(slurp(dir + "/sensitivity.png").substr(1, 3), "PNG");
  const std::string svg = slurp(dir + "/sensitivity.svg");
  EXPECT_NE(svg.find("<desc>"), std::string::npos);
  EXPECT_LT(svg.find("b (Gemm)"), svg.find("a (Gemm)"));  // bars in damage order
}

TEST(CliTune, FallsBackExactlyTheOutlierNode) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const std::string model = outlier_classifier(), out = tmp("tuned.onnx"), dir = tmp("tune");
  Result r = run_qcv("tune " + model +
                     " --calib fashion-mnist --eval fashion-mnist --images 64 --eval-images 500 "
                     "--max-drop 2 --latency-runs 3 -o " +
                     out + " --report " + dir);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(slurp(dir + "/tune.json"));
  EXPECT_TRUE(j["met"].get<bool>());
  const auto& best = j["trials"][j["best_trial"].get<int>() - 1];
  EXPECT_EQ(best["fp32_nodes"], nlohmann::json::array({"b"}));
  ASSERT_EQ(j["trials"].size(), 5u);  // four methods, then one fallback
  for (const auto& t : j["trials"]) EXPECT_GT(t["latency_ms"].get<double>(), 0.0);
  EXPECT_TRUE(j.contains("sensitivity"));
  EXPECT_NE(slurp(dir + "/tune.md").find("criterion met"), std::string::npos);
  EXPECT_TRUE(std::filesystem::exists(dir + "/sensitivity.png"));
  // Per node: b in FP32, a and c quantized as the method trial placed them.
  std::map<std::string, std::string> got;
  for (const auto& n : j["nodes"]) got[n["node"].get<std::string>()] = n["got"].get<std::string>();
  EXPECT_EQ(got["b"], "FP32");
  EXPECT_EQ(got["a"].rfind("int8 per-channel weights", 0), 0u) << got["a"];
  EXPECT_NE(slurp(dir + "/tune.md").find("| `b` | Gemm | FP32 |"), std::string::npos);
  Result info = run_qcv("info " + out);
  EXPECT_NE(info.out.find("quantized: yes"), std::string::npos) << info.out;

  // No fallback allowed: exit 3, the best found still written, the report says so.
  std::filesystem::remove(out);
  r = run_qcv("tune " + model +
              " --calib fashion-mnist --eval fashion-mnist --images 64 --eval-images 500 "
              "--methods max --max-drop 2 --max-trials 0 --latency-runs 3 -o " +
              out + " --report " + dir);
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_TRUE(std::filesystem::exists(out));
  EXPECT_NE(r.out.find("criterion NOT met"), std::string::npos) << r.out;
  const auto k = nlohmann::json::parse(slurp(dir + "/tune.json"));
  EXPECT_FALSE(k["met"].get<bool>());
  EXPECT_EQ(k["trials"].size(), 1u);
  EXPECT_NE(k["ended"].get<std::string>().find("--max-trials 0"), std::string::npos);
}

TEST(CliTune, MetByTheFirstMethodNeedsNoAnalysis) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const std::string model = outlier_classifier(), out = tmp("tuned2.onnx"), dir = tmp("tune2");
  // Any quantized model is within 100 points: the method trials meet it.
  Result r = run_qcv("tune " + model +
                     " --calib fashion-mnist --eval fashion-mnist --images 64 --eval-images 200 "
                     "--methods max --methods mse --max-drop 100 --latency-runs 3 -o " +
                     out + " --report " + dir);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto j = nlohmann::json::parse(slurp(dir + "/tune.json"));
  EXPECT_TRUE(j["met"].get<bool>());
  ASSERT_EQ(j["trials"].size(), 2u);  // the two methods asked for
  EXPECT_EQ(j["trials"][0]["method"], "max");
  EXPECT_EQ(j["trials"][1]["method"], "mse");
  EXPECT_FALSE(std::filesystem::exists(dir + "/sensitivity.json"));
}

TEST(CliTune, WorkflowTunePhaseAndRow) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  if (run_qcv("--help").out.find("workflow") == std::string::npos)
    GTEST_SKIP() << "built without LibTorch";
  const std::string model = outlier_classifier(), dir = tmp("wf"), config = tmp("wf.yaml");
  write(config, "fp32_model: " + model +
                    "\nptq: {methods: [max], images: 64}\n"
                    "tune: {max_drop: 2}\n"
                    "qat: {init: max, train: {limit_train: 64, limit_test: 200, epochs: 1}}\n"
                    "deploy: {threads: 1, latency_runs: 3}\neval: {limit_test: 500}\n");
  Result r = run_qcv("workflow --config " + config + " -o " + dir);
  ASSERT_EQ(r.code, 0) << r.err;
  const auto results = nlohmann::json::parse(slurp(dir + "/results.json"));
  bool row = false;
  for (const auto& x : results["rows"]) row = row || x["mode"] == "PTQ tuned (1 FP32 node)";
  EXPECT_TRUE(row) << results.dump(1);
  const auto tune = nlohmann::json::parse(slurp(dir + "/tune/tune.json"));
  EXPECT_EQ(tune["trials"][tune["best_trial"].get<int>() - 1]["fp32_nodes"],
            nlohmann::json::array({"b"}));
  r = run_qcv("workflow --config " + config + " -o " + dir);  // a rerun reuses the phase
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("tune: unchanged"), std::string::npos) << r.err;
  EXPECT_NE(r.out.find("PTQ tuned (1 FP32 node)"), std::string::npos) << r.out;
}

#endif  // QCV_HAVE_DATA
