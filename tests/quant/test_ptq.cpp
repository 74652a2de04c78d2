// The PTQ pipeline end to end with the reference backend, and its QDQ files in ONNX Runtime.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <nlohmann/json.hpp>

#include "ir/npy.h"
#include "onnx/onnx.h"
#include "quant/quant.h"
#include "quant_test_util.h"
#include "ref/ref.h"

namespace qcv::quant {
namespace {

namespace fs = std::filesystem;

PtqResult run_ptq(const std::string& scheme, CalibrationMethod method) {
  auto data = feeds_data(test::random_batches(3, 2));
  PtqOptions o;
  o.scheme = scheme_by_name(scheme);
  o.calibration.method = method;
  o.calibration.num_bins = 512;
  o.calibration.show_progress = false;
  return quantize_ptq(test::residual_block(), reference_backend(), *data, o);
}

double max_abs(const ir::Tensor& t) {
  double m = 0;
  for (int64_t i = 0; i < t.numel(); ++i) m = std::max(m, std::fabs(double(t.data<float>()[i])));
  return m;
}

TEST(Ptq, EverySchemeAndMethodStaysCloseToFp32) {
  const ir::Graph fp32 = test::residual_block();
  const auto x = test::random_batches(1, 4, 99)[0];
  const ir::Tensor want = ref::run_graph(fp32, x)[0];
  for (const auto& scheme : scheme_names()) {
    for (auto method : {CalibrationMethod::Max, CalibrationMethod::Percentile,
                        CalibrationMethod::Entropy, CalibrationMethod::Mse}) {
      SCOPED_TRACE(scheme + "/" + method_name(method));
      PtqResult r = run_ptq(scheme, method);
      EXPECT_GT(test::count_ops(r.graph, "QuantizeLinear"), 3);
      const ir::Tensor got = ref::run_graph(r.graph, x)[0];
      double err = 0;
      for (int64_t i = 0; i < got.numel(); ++i)
        err = std::max(err, std::fabs(double(got.data<float>()[i]) - want.data<float>()[i]));
      // Entropy clips by design (here the Relu outputs at about half their max on 1536 values).
      EXPECT_LT(err, (method == CalibrationMethod::Entropy ? 0.15 : 0.05) * max_abs(want));
      EXPECT_EQ(r.report.entries.size(), r.plan.targets.size());
      auto j = nlohmann::json::parse(r.report.to_json());
      EXPECT_EQ(j["scheme"], scheme);
      EXPECT_EQ(j["tensors"].size(), r.plan.targets.size());
    }
  }
}

TEST(Ptq, ReportNamesRulesAndParameters) {
  PtqResult r = run_ptq("tensorrt", CalibrationMethod::Max);
  const std::string text = r.report.to_text();
  EXPECT_NE(text.find("scheme tensorrt, method max"), std::string::npos);
  EXPECT_NE(text.find("input:Conv+residual-add"), std::string::npos) << text;
  auto j = nlohmann::json::parse(r.report.to_json());
  bool found = false;
  for (const auto& t : j["tensors"]) {
    if (t["tensor"] != "x") continue;
    found = true;
    EXPECT_EQ(t["zero_point"][0], 0);
    // Symmetric: scale = max|x| / 127 over the calibration batches.
    double m = 0;
    for (const auto& b : test::random_batches(3, 2)) m = std::max(m, max_abs(b.at("x")));
    EXPECT_NEAR(t["scale"][0].get<double>(), m / 127, 1e-7);
    EXPECT_EQ(t["consumers"].size(), 2u);
  }
  EXPECT_TRUE(found);
}

TEST(Ptq, RejectsQuantizedGraphsAndEmptyData) {
  PtqResult r = run_ptq("tensorrt", CalibrationMethod::Max);
  auto data = feeds_data(test::random_batches(1, 1));
  EXPECT_THROW(quantize_ptq(r.graph, reference_backend(), *data, PtqOptions{}), Error);
  auto empty = feeds_data({});
  PtqOptions o;
  o.calibration.show_progress = false;
  EXPECT_THROW(quantize_ptq(test::residual_block(), reference_backend(), *empty, o), Error);
}

// ONNX Runtime as the peer: bench/ort_run.js with default (fusing) graph optimizations.
bool ort_available() {
  const std::string cmd =
      std::string("NODE_PATH=") + QCV_SOURCE_DIR +
      "/bench/node_modules node -e \"require('onnxruntime-node')\" >/dev/null 2>&1";
  return fs::exists(std::string(QCV_SOURCE_DIR) + "/bench/node_modules/onnxruntime-node") &&
         std::system(cmd.c_str()) == 0;
}

TEST(Ptq, QdqFilesRunInOnnxRuntime) {
  if (!ort_available()) GTEST_SKIP() << "onnxruntime-node not installed in bench/node_modules";
  const fs::path dir = fs::temp_directory_path() / ("qcv_quant_ort_" + std::to_string(::getpid()));
  fs::create_directories(dir);
  const auto x = test::random_batches(1, 4, 5)[0].at("x");
  ir::save_npy(x, (dir / "x.npy").string());
  for (const auto& scheme : scheme_names()) {
    SCOPED_TRACE(scheme);
    PtqResult r = run_ptq(scheme, CalibrationMethod::Entropy);
    const std::string model = (dir / (scheme + ".onnx")).string();
    onnx::save(r.graph, model);
    const std::string out = (dir / (scheme + "_y.npy")).string();
    const std::string cmd = std::string("NODE_PATH=") + QCV_SOURCE_DIR +
                            "/bench/node_modules node " + QCV_SOURCE_DIR + "/bench/ort_run.js '" +
                            model + "' '" + (dir / "x.npy").string() + "' '" + out + "' 1";
    ASSERT_EQ(std::system(cmd.c_str()), 0) << cmd;
    const ir::Tensor ort = ir::load_npy(out);
    const ir::Tensor qcv = ref::run_graph(r.graph, {{"x", x}})[0];
    ASSERT_EQ(ort.shape(), qcv.shape());
    // Within 2 steps of an 8-bit quantization of the output (ORT runs integer kernels).
    const double step = max_abs(qcv) / 127;
    for (int64_t i = 0; i < qcv.numel(); ++i)
      EXPECT_NEAR(ort.data<float>()[i], qcv.data<float>()[i], 2 * step) << i;
  }
  fs::remove_all(dir);
}

}  // namespace
}  // namespace qcv::quant
