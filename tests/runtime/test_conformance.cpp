// ONNX's node conformance tests (Debian's libonnx-testdata) through Session: every model the
// importer accepts is compiled and run; the expected outputs come with the test data.
#include <gtest/gtest.h>

#include <cmath>
#include <filesystem>

#include "onnx/onnx.h"
#include "runtime/session.h"

using namespace qcv;
namespace fs = std::filesystem;

namespace {

const fs::path kNodeTests = "/usr/share/libonnx-testdata/data/node";

// numpy.allclose with ONNX's backend-test tolerances; exact for integers.
bool close(const ir::Tensor& got, const ir::Tensor& want, std::string& why) {
  if (got.dtype() != want.dtype() || got.shape() != want.shape()) {
    why = fmt::format("got {} {}, expected {} {}", ir::dtype_name(got.dtype()),
                      ir::shape_str(got.shape()), ir::dtype_name(want.dtype()),
                      ir::shape_str(want.shape()));
    return false;
  }
  for (int64_t i = 0; i < got.numel(); ++i) {
    double a = got.as_double(i), b = want.as_double(i);
    if (std::isnan(a) && std::isnan(b)) continue;
    bool ok = got.dtype() == ir::DType::Float32 ? std::fabs(a - b) <= 1e-5 + 1e-4 * std::fabs(b)
                                                : got.as_int64(i) == want.as_int64(i);
    if (!ok) {
      why = fmt::format("element {}: {} != expected {}", i, a, b);
      return false;
    }
  }
  return true;
}

enum class Verdict { Pass, Fail, Skip };

Verdict run_case(const fs::path& dir, std::string& why) {
  ir::Graph g;
  try {
    g = onnx::load((dir / "model.onnx").string());
  } catch (const Error& e) {
    why = e.what();
    return Verdict::Skip;  // op or attribute outside qcv's IR
  }
  std::vector<std::pair<std::map<std::string, ir::Tensor>, std::vector<ir::Tensor>>> sets;
  try {
    for (int s = 0; fs::is_directory(dir / ("test_data_set_" + std::to_string(s))); ++s) {
      fs::path set = dir / ("test_data_set_" + std::to_string(s));
      std::map<std::string, ir::Tensor> feeds;
      std::vector<ir::Tensor> expected;
      for (size_t i = 0; i < g.inputs.size(); ++i)
        feeds[g.inputs[i].name] =
            onnx::load_tensor((set / ("input_" + std::to_string(i) + ".pb")).string());
      for (size_t i = 0; fs::exists(set / ("output_" + std::to_string(i) + ".pb")); ++i)
        expected.push_back(
            onnx::load_tensor((set / ("output_" + std::to_string(i) + ".pb")).string()));
      sets.emplace_back(std::move(feeds), std::move(expected));
    }
  } catch (const Error& e) {
    why = std::string("test data: ") + e.what();
    return Verdict::Skip;
  }
  if (sets.empty()) return Verdict::Skip;
  try {
    runtime::Session session(g, {2, true});
    for (auto& [feeds, expected] : sets) {
      std::vector<ir::Tensor> got = session.run(feeds);
      if (got.size() != expected.size()) {
        why = fmt::format("{} outputs, expected {}", got.size(), expected.size());
        return Verdict::Fail;
      }
      for (size_t i = 0; i < got.size(); ++i)
        if (!close(got[i], expected[i], why)) return Verdict::Fail;
    }
  } catch (const Error& e) {
    why = e.what();
    // The same refusals as the reference kernels (e.g. training-mode Dropout): not a wrong answer.
    return why.find("not supported") != std::string::npos ? Verdict::Skip : Verdict::Fail;
  }
  return Verdict::Pass;
}

}  // namespace

TEST(RuntimeConformance, OnnxNodeTestsThroughSession) {
  if (!fs::is_directory(kNodeTests)) GTEST_SKIP() << "libonnx-testdata not installed";
  std::vector<fs::path> dirs;
  for (const auto& e : fs::directory_iterator(kNodeTests))
    if (fs::exists(e.path() / "model.onnx")) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  int pass = 0, fail = 0, skip = 0;
  std::string failures;
  for (const fs::path& d : dirs) {
    std::string why;
    Verdict v = run_case(d, why);
    if (v == Verdict::Pass) ++pass;
    if (v == Verdict::Skip) ++skip;
    if (v == Verdict::Fail) {
      ++fail;
      failures += "  " + d.filename().string() + ": " + why + "\n";
    }
  }
  std::printf("ONNX node tests through Session: %d passed, %d failed, %d skipped (of %zu)\n%s",
              pass, fail, skip, dirs.size(), failures.c_str());
  ASSERT_GT(pass + fail, 0);
  EXPECT_GE(pass, 0.85 * (pass + fail));
}
