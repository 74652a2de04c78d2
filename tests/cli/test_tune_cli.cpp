// qcv sensitivity and qcv tune as a user meets them: --help, usage and input errors, and report
// files that parse and agree with each other (the numbers' truth is tests/quant/test_tune.cpp).
#include <gtest/gtest.h>

#include <algorithm>
#include <filesystem>
#include <nlohmann/json.hpp>
#include <random>

#include "cli/cli_run.h"
#include "common/graph_builder.h"
#include "onnx/onnx.h"

using namespace qcv_cli_test;  // run_qcv, tmp, slurp

namespace {

bool have_fashion_mnist() { return std::filesystem::is_directory("/usr/share/datasets/fashion-mnist"); }

// x[N,1,28,28] -> Flatten -> a Gemm (784 -> 16) -> Relu -> b Gemm (16 -> 10): two quantizable nodes.
std::string tiny_model() {
  std::mt19937 rng(5);
  qcv::ir::Graph g;
  g.name = "tiny";
  g.inputs.push_back(qcv::ir::make_value("x", qcv::ir::DType::Float32, {-1, 1, 28, 28}));
  g.outputs.push_back(qcv::ir::make_value("y"));
  g.initializers["Wa"] = qcv::test::random_tensor({16, 784}, rng, -0.1f, 0.1f);
  g.initializers["Ba"] = qcv::test::random_tensor({16}, rng);
  g.initializers["Wb"] = qcv::test::random_tensor({10, 16}, rng);
  g.initializers["Bb"] = qcv::test::random_tensor({10}, rng);
  const std::map<std::string, qcv::ir::Attribute> t = {{"transB", int64_t(1)}};
  g.nodes.push_back(qcv::test::make_node("flat", "Flatten", {"x"}, {"f"}));
  g.nodes.push_back(qcv::test::make_node("a", "Gemm", {"f", "Wa", "Ba"}, {"h"}, t));
  g.nodes.push_back(qcv::test::make_node("relu", "Relu", {"h"}, {"r"}));
  g.nodes.push_back(qcv::test::make_node("b", "Gemm", {"r", "Wb", "Bb"}, {"y"}, t));
  g.metadata["qcv.dataset"] = "fashion-mnist";
  const std::string path = tmp("tiny.onnx");
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
       {"tune " + m + " --calib fashion-mnist -o " + tmp("o.onnx"),  // no --eval
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

TEST(CliTune, SensitivityReportsParseAndAreSortedByDamage) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const std::string model = tiny_model(), dir = tmp("sens");
  Result r = run_qcv("sensitivity " + model +
                     " --calib fashion-mnist --eval fashion-mnist --images 64 --eval-images 300 "
                     "-o " + dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.err.find("node 2/2"), std::string::npos) << r.err;  // progress lines
  const auto j = nlohmann::json::parse(slurp(dir + "/sensitivity.json"));
  ASSERT_EQ(j["nodes"].size(), 2u);
  std::vector<std::string> nodes;
  for (const auto& n : j["nodes"]) nodes.push_back(n["node"]);
  std::sort(nodes.begin(), nodes.end());
  EXPECT_EQ(nodes, (std::vector<std::string>{"a", "b"}));
  const auto& first = j["nodes"][0];
  const auto& second = j["nodes"][1];
  EXPECT_GE(first["drop_only_quantized"].get<double>(), second["drop_only_quantized"].get<double>());
  EXPECT_EQ(j["tensors"].size(), 4u);  // f, Wa, r, Wb
  const std::string md = slurp(dir + "/sensitivity.md");
  EXPECT_NE(md.find("| 1 | `" + first["node"].get<std::string>() + "`"), std::string::npos) << md;
  EXPECT_EQ(slurp(dir + "/sensitivity.png").substr(1, 3), "PNG");
  EXPECT_NE(slurp(dir + "/sensitivity.svg").find("<desc>"), std::string::npos);
}

TEST(CliTune, MetCriterionWritesModelAndReport) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "dataset-fashion-mnist not installed";
  const std::string model = tiny_model(), out = tmp("tuned.onnx"), dir = tmp("tune_report");
  // Any quantized model is within 100 points: the first method trial meets it.
  Result r = run_qcv("tune " + model +
                     " --calib fashion-mnist --eval fashion-mnist --images 64 --eval-images 200 "
                     "--methods max --methods mse --max-drop 100 --latency-runs 3 -o " + out +
                     " --report " + dir);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_TRUE(std::filesystem::exists(out));
  const auto j = nlohmann::json::parse(slurp(dir + "/tune.json"));
  EXPECT_TRUE(j["met"].get<bool>());
  ASSERT_EQ(j["trials"].size(), 2u);  // the two methods
  EXPECT_EQ(j["trials"][0]["method"], "max");
  EXPECT_GT(j["trials"][0]["latency_ms"].get<double>(), 0.0);
  EXPECT_NE(slurp(dir + "/tune.md").find("criterion met"), std::string::npos);
  EXPECT_FALSE(std::filesystem::exists(dir + "/sensitivity.json"));  // no analysis was needed

  // An impossible criterion: exit 3, the best found still written, the report says so.
  std::filesystem::remove(out);
  r = run_qcv("tune " + model +
              " --calib fashion-mnist --eval fashion-mnist --images 64 --eval-images 200 "
              "--methods max --max-drop 0 --relative --max-trials 1 --latency-runs 3 -o " + out +
              " --report " + dir);
  if (r.code == 0) GTEST_SKIP() << "quantization lost nothing on this subset";
  EXPECT_EQ(r.code, 3) << r.err;
  EXPECT_TRUE(std::filesystem::exists(out));
  EXPECT_NE(r.out.find("criterion NOT met"), std::string::npos) << r.out;
  const auto k = nlohmann::json::parse(slurp(dir + "/tune.json"));
  EXPECT_FALSE(k["met"].get<bool>());
  EXPECT_TRUE(std::filesystem::exists(dir + "/sensitivity.json"));
}
