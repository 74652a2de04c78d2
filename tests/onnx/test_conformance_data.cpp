// Imports ONNX's own node conformance models (Debian's libonnx-testdata) and their tensors.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include "onnx/onnx.h"

namespace fs = std::filesystem;
namespace ir = qcv::ir;
namespace qonnx = qcv::onnx;

namespace {

const fs::path kNodeTests = "/usr/share/libonnx-testdata/data/node";

std::vector<fs::path> node_test_dirs() {
  std::vector<fs::path> dirs;
  if (!fs::exists(kNodeTests)) return dirs;
  for (const auto& e : fs::directory_iterator(kNodeTests))
    if (fs::exists(e.path() / "model.onnx")) dirs.push_back(e.path());
  std::sort(dirs.begin(), dirs.end());
  return dirs;
}

::onnx::ModelProto read_model(const fs::path& file) {
  std::ifstream in(file, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  ::onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromString(ss.str())) << file;
  return m;
}

// True if every node is a default-domain op that the IR op table knows.
bool uses_only_ir_ops(const ::onnx::ModelProto& m) {
  for (const auto& n : m.graph().node())
    if (!(n.domain().empty() || n.domain() == "ai.onnx") || !ir::find_op(n.op_type())) return false;
  return true;
}

// Checks a tensor from the test data against the type the ONNX model declares for it.
void expect_matches_declared(const ir::Tensor& t, const ::onnx::ValueInfoProto& vi,
                             const fs::path& file) {
  const auto& tt = vi.type().tensor_type();
  EXPECT_EQ(static_cast<int32_t>(t.dtype()), tt.elem_type()) << file;
  if (!tt.has_shape()) return;
  ASSERT_EQ(static_cast<int>(t.rank()), tt.shape().dim_size()) << file;
  for (int i = 0; i < tt.shape().dim_size(); ++i) {
    if (tt.shape().dim(i).has_dim_value()) {
      EXPECT_EQ(t.dim(i), tt.shape().dim(i).dim_value()) << file << " dim " << i;
    }
  }
}

}  // namespace

TEST(ConformanceData, LoadsAModelAndItsTensors) {
  fs::path dir = kNodeTests / "test_relu";
  if (!fs::exists(dir)) GTEST_SKIP() << "libonnx-testdata not installed";
  ir::Graph g = qonnx::load((dir / "model.onnx").string());
  ASSERT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op, "Relu");
  ASSERT_EQ(g.inputs.size(), 1u);
  EXPECT_EQ(g.inputs[0].dtype, ir::DType::Float32);
  EXPECT_EQ(g.inputs[0].shape, (ir::Shape{3, 4, 5}));
  ir::Tensor x = qonnx::load_tensor((dir / "test_data_set_0/input_0.pb").string());
  ir::Tensor y = qonnx::load_tensor((dir / "test_data_set_0/output_0.pb").string());
  ASSERT_EQ(x.shape(), (ir::Shape{3, 4, 5}));
  ASSERT_EQ(y.shape(), x.shape());
  // Independent truth: relu of the stored input equals the stored output.
  for (int64_t i = 0; i < x.numel(); ++i)
    EXPECT_EQ(y.data<float>()[i], std::max(0.0f, x.data<float>()[i]));
}

// Imports every node test whose ops the IR supports; most must import. Failures are printed: they
// are opsets outside 7-17, dtypes qcv lacks (float16, double...) and semantics qcv refuses.
TEST(ConformanceData, ImportsNodeTestsWithSupportedOps) {
  auto dirs = node_test_dirs();
  if (dirs.empty()) GTEST_SKIP() << "libonnx-testdata not installed";
  int candidates = 0, imported = 0, tensors_checked = 0;
  std::string failures;
  for (const fs::path& dir : dirs) {
    ::onnx::ModelProto m = read_model(dir / "model.onnx");
    if (!uses_only_ir_ops(m)) continue;
    ++candidates;
    try {
      ir::Graph g = qonnx::load((dir / "model.onnx").string());
      ++imported;
    } catch (const qcv::Error& e) {
      failures += std::string("  ") + e.what() + "\n";
      continue;
    }
    // Declared graph inputs minus initializers, in order, match input_<i>.pb.
    std::vector<const ::onnx::ValueInfoProto*> inputs;
    for (const auto& vi : m.graph().input()) {
      bool is_init = false;
      for (const auto& t : m.graph().initializer()) is_init = is_init || t.name() == vi.name();
      if (!is_init) inputs.push_back(&vi);
    }
    fs::path data = dir / "test_data_set_0";
    for (size_t i = 0; i < inputs.size(); ++i) {
      fs::path f = data / ("input_" + std::to_string(i) + ".pb");
      if (!fs::exists(f)) continue;  // omitted optional input
      expect_matches_declared(qonnx::load_tensor(f.string()), *inputs[i], f);
      ++tensors_checked;
    }
    for (int i = 0; i < m.graph().output_size(); ++i) {
      fs::path f = data / ("output_" + std::to_string(i) + ".pb");
      if (!fs::exists(f)) continue;
      expect_matches_declared(qonnx::load_tensor(f.string()), m.graph().output(i), f);
      ++tensors_checked;
    }
  }
  std::printf("node tests with IR ops: %d, imported: %d, tensors checked: %d\nnot imported:\n%s",
              candidates, imported, tensors_checked, failures.c_str());
  EXPECT_GT(candidates, 150);
  EXPECT_GE(imported, candidates * 8 / 10);
  EXPECT_GT(tensors_checked, 2 * imported);
}
