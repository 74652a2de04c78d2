// A float Conv whose residual Add reads a dequantized tensor (what `qcv sensitivity` builds when
// only a residual Add is quantized): the conv's sum post-op must see the DequantizeLinear's
// output, computed before the conv and in the conv's destination layout. Oracle: ref::run_graph.
#include <gtest/gtest.h>

#include "runtime_test_util.h"

using namespace qcv;
using namespace qcv::testing;

TEST(FloatResidualQdq, ConvSumReadsTheDequantizedSkip) {
  for (int64_t channels : {8, 16}) {
    GraphMaker m;
    const std::string x = m.input("x", {-1, channels, 6, 6});
    const std::string scale = m.constant(ir::Tensor::from_vector<float>({}, {0.02f}));
    const std::string zero = m.constant(ir::Tensor::from_vector<int8_t>({}, {0}));
    const std::string c =
        m.conv(x, channels, channels, 3, {{"pads", std::vector<int64_t>{1, 1, 1, 1}}});
    const std::string q = m.node("QuantizeLinear", {x, scale, zero});
    const std::string dq = m.node("DequantizeLinear", {q, scale, zero});
    const std::string y = m.node("Add", {c, dq});
    m.output(y);
    ir::validate(m.g);
    ir::infer_shapes(m.g);
    EXPECT_LT(compare_with_ref(m.g, {{2, channels, 6, 6}}), 1e-4) << channels << " channels";
  }
}
