// ONNX's own node tests (Debian's libonnx-testdata) run through the importer and run_graph: one
// GoogleTest case per test directory, and a summary that counts passed / failed / skipped.
// Skipped: the model uses an op outside qcv's table, or the importer (or its shape inference)
// rejects it with a reason, or the test data uses a dtype qcv lacks.
#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <map>
#include <string>
#include <vector>

#include "onnx/onnx.h"
#include "ref/ref.h"

namespace qcv::ref::test {
namespace {

namespace fs = std::filesystem;
const char* const kNodeTests = "/usr/share/libonnx-testdata/data/node";
constexpr double kRtol = 1e-4, kAtol = 1e-5;

enum class Verdict { Pass, Fail, Skip };
struct Outcome {
  Verdict verdict;
  std::string reason;
};

std::vector<std::string> list_cases() {
  std::vector<std::string> names;
  std::error_code ec;
  if (!fs::is_directory(kNodeTests, ec)) return names;
  for (const auto& entry : fs::directory_iterator(kNodeTests, ec))
    if (fs::exists(entry.path() / "model.onnx")) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// prefix_0.pb, prefix_1.pb, ... in index order.
std::vector<fs::path> numbered_files(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> files;
  for (int i = 0;; ++i) {
    fs::path p = dir / (prefix + "_" + std::to_string(i) + ".pb");
    if (!fs::exists(p)) break;
    files.push_back(p);
  }
  return files;
}

// Empty when equal within tolerance; otherwise what differs.
std::string compare(const ir::Tensor& got, const ir::Tensor& want) {
  if (got.dtype() != want.dtype())
    return fmt::format("dtype {} != expected {}", ir::dtype_name(got.dtype()),
                       ir::dtype_name(want.dtype()));
  if (got.shape() != want.shape())
    return fmt::format("shape {} != expected {}", ir::shape_str(got.shape()),
                       ir::shape_str(want.shape()));
  for (int64_t i = 0; i < got.numel(); ++i) {
    if (got.dtype() == ir::DType::Float32) {
      double g = got.as_double(i), w = want.as_double(i);
      if (std::isnan(g) && std::isnan(w)) continue;
      if (!(std::abs(g - w) <= kAtol + kRtol * std::abs(w)))
        return fmt::format("element {}: {} != expected {}", i, g, w);
    } else if (got.as_int64(i) != want.as_int64(i)) {
      return fmt::format("element {}: {} != expected {}", i, got.as_int64(i), want.as_int64(i));
    }
  }
  return "";
}

Outcome run_case_uncached(const std::string& name) {
  const fs::path dir = fs::path(kNodeTests) / name;
  ir::Graph graph;
  try {
    graph = onnx::load((dir / "model.onnx").string());
  } catch (const Error& e) {
    return {Verdict::Skip, std::string("importer: ") + e.what()};
  }
  int sets = 0;
  for (int s = 0;; ++s) {
    const fs::path set = dir / ("test_data_set_" + std::to_string(s));
    if (!fs::is_directory(set)) break;
    ++sets;
    std::map<std::string, ir::Tensor> feeds;
    std::vector<ir::Tensor> expected;
    try {
      auto inputs = numbered_files(set, "input");
      if (inputs.size() != graph.inputs.size())
        return {Verdict::Skip, fmt::format("test data has {} inputs, graph {}", inputs.size(),
                                           graph.inputs.size())};
      for (size_t i = 0; i < inputs.size(); ++i)
        feeds[graph.inputs[i].name] = onnx::load_tensor(inputs[i].string());
      for (const fs::path& p : numbered_files(set, "output"))
        expected.push_back(onnx::load_tensor(p.string()));
    } catch (const Error& e) {
      return {Verdict::Skip, std::string("test data: ") + e.what()};
    }
    std::vector<ir::Tensor> got;
    try {
      got = run_graph(graph, feeds);
    } catch (const Error& e) {
      // A kernel refusing a form qcv does not support (e.g. random training-mode Dropout) is a
      // clear rejection, not a wrong answer.
      std::string what = e.what();
      if (what.find("not supported") != std::string::npos)
        return {Verdict::Skip, "kernel: " + what};
      return {Verdict::Fail, what};
    }
    if (got.size() != expected.size())
      return {Verdict::Fail, fmt::format("{} outputs, expected {}", got.size(), expected.size())};
    for (size_t i = 0; i < got.size(); ++i) {
      std::string diff = compare(got[i], expected[i]);
      if (!diff.empty())
        return {Verdict::Fail,
                fmt::format("data set {}, output {} '{}': {}", s, i, graph.outputs[i].name, diff)};
    }
  }
  if (sets == 0) return {Verdict::Skip, "no test_data_set_* directory"};
  return {Verdict::Pass, ""};
}

const Outcome& run_case(const std::string& name) {
  static std::map<std::string, Outcome> cache;
  auto it = cache.find(name);
  if (it == cache.end()) it = cache.emplace(name, run_case_uncached(name)).first;
  return it->second;
}

class RefOnnxNodeTest : public ::testing::TestWithParam<std::string> {};

TEST_P(RefOnnxNodeTest, MatchesExpectedOutputs) {
  const Outcome& o = run_case(GetParam());
  if (o.verdict == Verdict::Skip) GTEST_SKIP() << o.reason;
  EXPECT_EQ(o.verdict, Verdict::Pass) << o.reason;
}

INSTANTIATE_TEST_SUITE_P(RefOnnxNode, RefOnnxNodeTest, ::testing::ValuesIn(list_cases()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           std::string n = info.param;
                           for (char& c : n)
                             if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
                           return n;
                         });
GTEST_ALLOW_UNINSTANTIATED_PARAMETERIZED_TEST(RefOnnxNodeTest);

TEST(RefOnnxConformance, MostRunnableNodeTestsPass) {
  std::vector<std::string> cases = list_cases();
  if (cases.empty()) GTEST_SKIP() << "libonnx-testdata is not installed at " << kNodeTests;
  int passed = 0, failed = 0, skipped = 0;
  std::string failures, refusals;
  for (const std::string& name : cases) {
    const Outcome& o = run_case(name);
    if (o.verdict == Verdict::Pass) ++passed;
    if (o.verdict == Verdict::Skip) {
      ++skipped;
      // Ops outside the table are expected; other skips are worth a look.
      if (o.reason.find("unsupported op") == std::string::npos)
        refusals += "  " + name + ": " + o.reason + "\n";
    }
    if (o.verdict == Verdict::Fail) {
      ++failed;
      failures += "  " + name + ": " + o.reason + "\n";
    }
  }
  std::printf("Skipped for a reason other than an op outside the table:\n%s", refusals.c_str());
  std::printf("ONNX node tests: %d passed, %d failed, %d skipped (of %zu)\n%s", passed, failed,
              skipped, cases.size(), failures.c_str());
  const int runnable = passed + failed;
  ASSERT_GT(runnable, 0);
  EXPECT_GE(passed, 0.85 * runnable) << failures;
}

}  // namespace
}  // namespace qcv::ref::test
