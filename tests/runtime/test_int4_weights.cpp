// 4-bit weights in int8 containers: the QDQ file passes ONNX's checker (opset 13: int8 zero
// points), its weights lie in [-7, 7], and qcv's runtime agrees with the reference interpreter
// and with ONNX Runtime on it.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdlib>

#include "onnx/onnx.h"
#include "onnx/ort_peer.h"
#include "quant/quant.h"
#include "ref/ref.h"
#include "runtime/session.h"

namespace qcv {
namespace {

using test::make_node;

// x[2,3,8,8] -> Conv3x3 [8,3] -> Relu -> Conv1x1 [6,8] -> Relu -> GAP -> Flatten -> Gemm [4,6].
ir::Graph small_net() {
  ir::Graph g;
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {2, 3, 8, 8}));
  g.outputs.push_back(ir::make_value("y"));
  g.initializers["W1"] = test::random_floats({8, 3, 3, 3}, 1, 0.5f);
  g.initializers["B1"] = test::random_floats({8}, 2, 0.1f);
  g.initializers["W2"] = test::random_floats({6, 8, 1, 1}, 3, 0.5f);
  g.initializers["B2"] = test::random_floats({6}, 4, 0.1f);
  g.initializers["Wfc"] = test::random_floats({4, 6}, 5);
  g.initializers["Bfc"] = test::random_floats({4}, 6, 0.1f);
  g.nodes = {
      make_node("c1", "Conv", {"x", "W1", "B1"}, {"t1"},
                {{"kernel_shape", std::vector<int64_t>{3, 3}},
                 {"pads", std::vector<int64_t>{1, 1, 1, 1}}}),
      make_node("r1", "Relu", {"t1"}, {"a1"}),
      make_node("c2", "Conv", {"a1", "W2", "B2"}, {"t2"}),
      make_node("r2", "Relu", {"t2"}, {"a2"}),
      make_node("gap", "GlobalAveragePool", {"a2"}, {"p"}),
      make_node("flat", "Flatten", {"p"}, {"f"}),
      make_node("fc", "Gemm", {"f", "Wfc", "Bfc"}, {"y"}, {{"transB", int64_t{1}}}),
  };
  ir::validate(g);
  ir::infer_shapes(g);
  return g;
}

ir::Tensor input(unsigned seed) { return test::random_floats({2, 3, 8, 8}, seed, 2.0f); }

float max_abs_diff(const float* a, const float* b, int64_t n) {
  float d = 0;
  for (int64_t i = 0; i < n; ++i) d = std::max(d, std::fabs(a[i] - b[i]));
  return d;
}

class Int4Weights : public ::testing::TestWithParam<bool> {};

TEST_P(Int4Weights, ExportValidQdqThatRuntimeAndOrtAgreeOn) {
  const bool per_channel = GetParam();
  auto data = quant::feeds_data({{{"x", input(10)}}, {{"x", input(11)}}});
  quant::PtqOptions o;
  o.scheme.weight_bits = 4;
  o.scheme.weight_per_channel = per_channel;
  o.calibration.show_progress = false;
  const quant::PtqResult r = quant::quantize_ptq(small_net(), quant::reference_backend(), *data, o);
  const ir::Graph& g = r.graph;

  // Every weight a DequantizeLinear reads from an int8 initializer: values in [-7, 7], and each
  // channel's (or the tensor's) abs-max element at +-7; zero points int8 0.
  int weights = 0;
  for (const auto& n : g.nodes) {
    if (n.op != "DequantizeLinear") continue;
    const ir::Tensor* q = g.initializer(n.inputs[0]);
    if (!q || q->dtype() != ir::DType::Int8) continue;
    ++weights;
    const ir::Tensor* zp = g.initializer(n.inputs[2]);
    ASSERT_TRUE(zp && zp->dtype() == ir::DType::Int8) << n.name;
    for (int64_t i = 0; i < zp->numel(); ++i) EXPECT_EQ(zp->data<int8_t>()[i], 0);
    const int64_t channels = per_channel ? q->dim(0) : 1, inner = q->numel() / channels;
    EXPECT_EQ(g.initializer(n.inputs[1])->numel(), channels) << n.name;
    for (int64_t c = 0; c < channels; ++c) {
      int peak = 0;
      for (int64_t j = 0; j < inner; ++j) {
        const int v = q->data<int8_t>()[c * inner + j];
        ASSERT_GE(v, -7) << n.name;
        ASSERT_LE(v, 7) << n.name;
        peak = std::max(peak, std::abs(v));
      }
      EXPECT_EQ(peak, 7) << n.name << " channel " << c;
    }
  }
  EXPECT_EQ(weights, 3);
  for (const auto& e : r.report.entries)
    if (e.role == quant::TensorRole::Weight) EXPECT_EQ(e.params.bits, 4);

  const ir::Tensor x = input(20);
  const ir::Tensor want = ref::run_graph(g, {{"x", x}})[0];
  runtime::Session session(g, {1, true});
  const ir::Tensor got = session.run({{"x", x}})[0];
  ASSERT_EQ(got.numel(), want.numel());
  float peak = 0;
  for (int64_t i = 0; i < want.numel(); ++i)
    peak = std::max(peak, std::fabs(want.data<float>()[i]));
  // Same QDQ arithmetic; the runtime's integer kernels may round an activation one step apart.
  EXPECT_LE(max_abs_diff(got.data<float>(), want.data<float>(), want.numel()), 0.02f * peak);

  test::TempDir dir;
  const std::string path = dir.file("int4.onnx");
  onnx::save(g, path);
  if (std::system("/usr/bin/python3 -c 'import onnx' >/dev/null 2>&1") == 0) {
    const std::string check =
        "/usr/bin/python3 -c \"import onnx,sys; m = onnx.load(sys.argv[1]); "
        "onnx.checker.check_model(m, full_check=True); "
        "assert m.opset_import[0].version == 13, m.opset_import\" '" +
        path + "'";
    EXPECT_EQ(std::system(check.c_str()), 0);
  }
  if (!test::ort_available()) GTEST_SKIP() << "onnxruntime-node not installed in bench/";
  const std::vector<float> ort = test::run_ort(path, x, dir);
  ASSERT_EQ(static_cast<int64_t>(ort.size()), got.numel());
  EXPECT_LE(max_abs_diff(ort.data(), got.data<float>(), got.numel()), 0.02f * peak);
}

INSTANTIATE_TEST_SUITE_P(PerChannelAndPerTensor, Int4Weights, ::testing::Bool());

}  // namespace
}  // namespace qcv
