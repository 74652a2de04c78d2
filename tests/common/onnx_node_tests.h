// ONNX's node conformance tests (Debian's libonnx-testdata), shared by the reference-kernel and
// the runtime suites: listing, loading a case with its data sets, comparing with ONNX's backend
// tolerances, and the one rule for what may be skipped.
//
// A case is skipped only when qcv refuses it by design: an op outside the op table, a type qcv
// has no IR for (sequence, optional, string, float16/bfloat16), a non-default domain, or a kernel's
// explicit "not supported" for a random or training-only form. Any other importer or kernel error
// on an op the table lists is a failure, as is any wrong number.
#pragma once
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "ir/ir.h"
#include "onnx/onnx.h"

namespace qcv::test::node_tests {

namespace fs = std::filesystem;
inline const char* const kNodeTests = "/usr/share/libonnx-testdata/data/node";
// ONNX's backend test runner compares with numpy's assert_allclose(rtol=1e-3, atol=1e-7).
constexpr double kRtol = 1e-3, kAtol = 1e-7;

enum class Verdict { Pass, Fail, Skip };
struct Outcome {
  Verdict verdict;
  std::string reason;
};

inline std::vector<std::string> list_cases() {
  std::vector<std::string> names;
  std::error_code ec;
  if (!fs::is_directory(kNodeTests, ec)) return names;
  for (const auto& entry : fs::directory_iterator(kNodeTests, ec))
    if (fs::exists(entry.path() / "model.onnx")) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

// Why qcv refuses this model by design, or "" when it should run: read from the model itself
// (protobuf), independently of qcv's importer.
inline std::string refused_by_design(const fs::path& model_path) {
  ::onnx::ModelProto m;
  std::ifstream in(model_path, std::ios::binary);
  if (!m.ParseFromIstream(&in)) return "";
  for (const auto& o : m.opset_import())
    if (!o.domain().empty() && o.domain() != "ai.onnx" && o.domain() != "com.microsoft")
      return "domain '" + o.domain() + "'";
  auto bad_type = [](const ::onnx::TypeProto& t) -> std::string {
    if (!t.has_tensor_type()) return "a non-tensor (sequence/optional/map) value";
    int e = t.tensor_type().elem_type();
    if (ir::dtype_from_onnx(e) == ir::DType::Undefined)
      return "element type " + ::onnx::TensorProto_DataType_Name(
                                   static_cast<::onnx::TensorProto_DataType>(e));
    return "";
  };
  for (const auto* list : {&m.graph().input(), &m.graph().output()})
    for (const auto& v : *list)
      if (std::string why = bad_type(v.type()); !why.empty()) return why;
  for (const auto& n : m.graph().node()) {
    if (!n.domain().empty() && n.domain() != "ai.onnx" && n.domain() != "com.microsoft")
      return "domain '" + n.domain() + "'";
    if (!ir::find_op(n.op_type())) return "op '" + n.op_type() + "' outside the op table";
    for (const auto& a : n.attribute())
      if (a.type() == ::onnx::AttributeProto::GRAPH || a.type() == ::onnx::AttributeProto::GRAPHS)
        return "a subgraph attribute";
  }
  return "";
}

// Empty when equal within tolerance; otherwise what differs.
inline std::string compare(const ir::Tensor& got, const ir::Tensor& want) {
  if (got.dtype() != want.dtype())
    return fmt::format("dtype {} != expected {}", ir::dtype_name(got.dtype()),
                       ir::dtype_name(want.dtype()));
  if (got.shape() != want.shape())
    return fmt::format("shape {} != expected {}", ir::shape_str(got.shape()),
                       ir::shape_str(want.shape()));
  for (int64_t i = 0; i < got.numel(); ++i) {
    if (ir::is_float(got.dtype())) {
      double g = got.as_double(i), w = want.as_double(i);
      if (std::isnan(g) && std::isnan(w)) continue;
      if (std::isinf(w) && g == w) continue;
      if (!(std::abs(g - w) <= kAtol + kRtol * std::abs(w)))
        return fmt::format("element {}: {} != expected {}", i, g, w);
    } else if (got.as_int64(i) != want.as_int64(i)) {
      return fmt::format("element {}: {} != expected {}", i, got.as_int64(i), want.as_int64(i));
    }
  }
  return "";
}

inline std::vector<fs::path> numbered_files(const fs::path& dir, const std::string& prefix) {
  std::vector<fs::path> files;
  for (int i = 0; fs::exists(dir / (prefix + "_" + std::to_string(i) + ".pb")); ++i)
    files.push_back(dir / (prefix + "_" + std::to_string(i) + ".pb"));
  return files;
}

// Runs one case: `run` maps the imported graph and one data set's feeds to outputs.
using Runner = std::function<std::vector<ir::Tensor>(const ir::Graph&,
                                                     const std::map<std::string, ir::Tensor>&)>;

inline Outcome run_case(const std::string& name, const Runner& run) {
  const fs::path dir = fs::path(kNodeTests) / name;
  const std::string by_design = refused_by_design(dir / "model.onnx");
  ir::Graph graph;
  try {
    graph = onnx::load((dir / "model.onnx").string());
  } catch (const Error& e) {
    if (!by_design.empty()) return {Verdict::Skip, by_design};
    return {Verdict::Fail, std::string("importer: ") + e.what()};
  }
  int sets = 0;
  for (int s = 0; fs::is_directory(dir / ("test_data_set_" + std::to_string(s))); ++s) {
    const fs::path set = dir / ("test_data_set_" + std::to_string(s));
    ++sets;
    std::map<std::string, ir::Tensor> feeds;
    std::vector<ir::Tensor> expected;
    try {
      auto inputs = numbered_files(set, "input");
      if (inputs.size() != graph.inputs.size())
        return {Verdict::Fail, fmt::format("test data has {} inputs, graph {}", inputs.size(),
                                           graph.inputs.size())};
      for (size_t i = 0; i < inputs.size(); ++i)
        feeds[graph.inputs[i].name] = onnx::load_tensor(inputs[i].string());
      for (const fs::path& p : numbered_files(set, "output"))
        expected.push_back(onnx::load_tensor(p.string()));
    } catch (const Error& e) {
      if (!by_design.empty()) return {Verdict::Skip, by_design};
      return {Verdict::Fail, std::string("test data: ") + e.what()};
    }
    std::vector<ir::Tensor> got;
    try {
      got = run(graph, feeds);
    } catch (const Error& e) {
      std::string what = e.what();
      // A kernel refusing a random or training-only form (e.g. training-mode Dropout).
      if (what.find("not supported") != std::string::npos) return {Verdict::Skip, what};
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
  if (sets == 0) return {Verdict::Fail, "no test_data_set_* directory"};
  return {Verdict::Pass, ""};
}

inline std::string case_test_name(const std::string& name) {
  std::string n = name;
  for (char& c : n)
    if (!std::isalnum(static_cast<unsigned char>(c))) c = '_';
  return n;
}

}  // namespace qcv::test::node_tests
