// MobileNetV3's int8 pieces against the reference kernels (the FP32 fake-quant oracle) on odd
// shapes: HardSwish written as x * HardSigmoid(x) between QDQ pairs (a lookup table: exact),
// the squeeze-excite Mul of an int8 tensor by per-channel float gates (one step at most), and a
// Flatten of an int8 channels-last pooling result read by an int8 Gemm (TFLite placement).
#include "int8_test_util.h"
#include "runtime/dnnl_util.h"
#include "runtime/int8_kernels.h"

#include <fmt/format.h>
#include <oneapi/dnnl/dnnl.hpp>

using namespace qcv;
using namespace qcv::testing;

namespace {

const ir::DType u8 = ir::DType::UInt8, s8 = ir::DType::Int8;

// Asymmetric parameters for both types (TFLite's int8 has zero points too).
Range asym(float lo, float hi, ir::DType t) {
  Range r = range_params(lo, hi, u8);
  if (t == s8) r.zp -= 128;
  return r;
}

// Appended to the plan in failure messages: without VNNI the runtime runs int8 Conv/Gemm in
// FP32 (runtime/dnnl_util.h), so the fused int8 steps those tests look for are not planned.
std::string isa_note() {
  const unsigned isa = static_cast<unsigned>(dnnl::get_effective_cpu_isa());  // feature bits
  return "oneDNN effective ISA: " + fmt::format("{:#x}", isa) +
         (runtime::int8_sums_exact() ? " (int8 sums exact)\n" : " (no VNNI: int8 Conv/Gemm in FP32)\n");
}

std::string hard_sigmoid(GraphMaker& m, const std::string& x) {
  return m.node("HardSigmoid", {x}, {{"alpha", 1.f / 6}, {"beta", 0.5f}});
}

}  // namespace

TEST(Int8MobileNetV3, HardSwishBetweenQdqPairsIsALookupTableAndExact) {
  for (ir::DType t : {u8, s8}) {
    for (bool op : {false, true}) {  // x * HardSigmoid(x) (opset 13 exports) or HardSwish
      GraphMaker m;
      const ir::Shape shape = {2, 5, 7, 3};  // 210 bytes: vector iterations and a tail
      std::string x = m.input("x", shape);
      Range r = asym(-4.5f, 5.f, t), ry = asym(-0.4f, 5.f, t);
      std::string xd = qdq(m, x, r.scale, r.zp, t);
      std::string y = op ? m.node("HardSwish", {xd}) : m.node("Mul", {xd, hard_sigmoid(m, xd)});
      m.output(quantize(m, y, ry.scale, ry.zp, t));
      std::map<std::string, ir::Tensor> feeds = {{"x", random_tensor(shape, 7, -6.f, 6.f)}};
      runtime::Session s(m.g, {2, true});
      EXPECT_EQ(max_step_diff(s.run(feeds)[0], ref::run_graph(m.g, feeds)[0]), 0)
          << s.describe_plan();
      EXPECT_NE(s.describe_plan().find("QLookup"), std::string::npos) << s.describe_plan();
      EXPECT_EQ(s.describe_plan().find("reference"), std::string::npos) << s.describe_plan();
    }
  }
}

TEST(Int8MobileNetV3, FloatResultOfOneInt8TensorIsALookupTable) {
  // The squeeze-excite gate: HardSigmoid of a dequantized tensor read by a float Mul.
  GraphMaker m;
  std::string x = m.input("x", {1, 37, 1, 1});
  Range r = asym(-3.f, 7.f, u8);
  m.output(hard_sigmoid(m, qdq(m, x, r.scale, r.zp, u8)));
  std::map<std::string, ir::Tensor> feeds = {{"x", random_tensor({1, 37, 1, 1}, 9, -5.f, 9.f)}};
  runtime::Session s(m.g, {1, true});
  EXPECT_EQ(s.run(feeds)[0].to_float_vector(), ref::run_graph(m.g, feeds)[0].to_float_vector());
  EXPECT_NE(s.describe_plan().find("QLookup HardSigmoid: table int8 u8->f32"), std::string::npos)
      << s.describe_plan();
}

TEST(Int8MobileNetV3, SqueezeExciteMulRunsOnInt8Numbers) {
  for (ir::DType t : {u8, s8}) {
    for (int64_t gate_batch : {1, 2}) {
      for (bool gate_first : {false, true}) {
        GraphMaker m;
        const ir::Shape shape = {2, 19, 5, 3};  // 19 channels: one 16-wide block and a tail
        std::string x = m.input("x", shape), g = m.input("g", {gate_batch, 19, 1, 1});
        Range r = asym(-1.5f, 4.f, t), ry = asym(-1.f, 3.f, t);
        std::string xd = qdq(m, x, r.scale, r.zp, t), gate = hard_sigmoid(m, g);
        std::string y = m.node("Mul", gate_first ? std::vector<std::string>{gate, xd}
                                                 : std::vector<std::string>{xd, gate});
        m.output(quantize(m, y, ry.scale, ry.zp, t));
        std::map<std::string, ir::Tensor> feeds = {
            {"x", random_tensor(shape, 5, -2.f, 5.f)},
            {"g", random_tensor({gate_batch, 19, 1, 1}, 6, -4.f, 4.f)}};
        runtime::Session s(m.g, {2, true});
        EXPECT_LE(max_step_diff(s.run(feeds)[0], ref::run_graph(m.g, feeds)[0]), 1)
            << s.describe_plan();
        EXPECT_NE(s.describe_plan().find("QScaleChannels+QuantizeLinear"), std::string::npos)
            << s.describe_plan();
      }
    }
  }
}

TEST(Int8MobileNetV3, FlattenOfChannelsLastInt8PoolFeedsInt8Gemm) {
  GraphMaker m;
  std::string x = m.input("x", {1, 6, 9, 7});
  Range r = asym(-1.f, 1.f, s8), rc = asym(-0.5f, 2.f, s8), rp = asym(-0.1f, 0.9f, s8);
  std::string c = m.node(
      "Conv", {qdq(m, x, r.scale, r.zp, s8), int8_weight(m, random_tensor({21, 6, 3, 3}, 11, -0.3f, 0.3f), true)});
  std::string pooled = m.node("GlobalAveragePool", {qdq(m, m.node("Relu", {c}), rc.scale, rc.zp, s8)});
  std::string flat = m.node("Flatten", {qdq(m, pooled, rp.scale, rp.zp, s8)});
  std::string w = int8_weight(m, random_tensor({10, 21}, 12, -0.5f, 0.5f), true);
  m.output(m.node("Gemm", {flat, w, m.constant({10})}, {{"transB", int64_t{1}}}));
  std::map<std::string, ir::Tensor> feeds = {{"x", random_tensor({1, 6, 9, 7}, 13)}};
  runtime::Session s(m.g, {2, true});
  // A misread layout scrambles channels (errors of the order of the outputs); one step of the
  // pooled value moves an output by rp.scale * |w| * ... well under 2%.
  EXPECT_LT(relative_error(s.run(feeds)[0], ref::run_graph(m.g, feeds)[0]), 0.02)
      << s.describe_plan() << isa_note();
  if (runtime::int8_sums_exact()) {  // the fused int8 steps (else Conv/Gemm run in FP32)
    EXPECT_NE(s.describe_plan().find("QGemm"), std::string::npos) << s.describe_plan() << isa_note();
    EXPECT_EQ(s.describe_plan().find("reference"), std::string::npos) << s.describe_plan() << isa_note();
  }
}

TEST(Int8MobileNetV3, GlobalAveragePoolOfAConvResultWithNewParametersRunsOnInt8) {
  for (ir::DType t : {u8, s8}) {
    GraphMaker m;
    std::string x = m.input("x", {2, 5, 7, 9});
    Range r = asym(-1.f, 1.f, t), rc = asym(-0.7f, 2.f, t), rp = asym(-0.05f, 0.6f, t);
    std::string c = m.node("Conv", {qdq(m, x, r.scale, r.zp, t),
                                    int8_weight(m, random_tensor({19, 5, 3, 3}, 21, -0.3f, 0.3f), true)});
    std::string pooled = m.node("GlobalAveragePool", {qdq(m, c, rc.scale, rc.zp, t)});
    m.output(quantize(m, pooled, rp.scale, rp.zp, t));
    std::map<std::string, ir::Tensor> feeds = {{"x", random_tensor({2, 5, 7, 9}, 22)}};
    runtime::Session s(m.g, {2, true});
    // The conv's own int8 result may differ from the reference by a step; averaged, well under one.
    EXPECT_LE(max_step_diff(s.run(feeds)[0], ref::run_graph(m.g, feeds)[0]), 1) << s.describe_plan() << isa_note();
    if (runtime::int8_sums_exact())
      EXPECT_NE(s.describe_plan().find("QGlobalAveragePool+QuantizeLinear: loop"), std::string::npos)
          << s.describe_plan() << isa_note();
  }
}

TEST(Int8MobileNetV3, ConvHardSwishIntoQuantizeLinearIsOneInt8Primitive) {
  // TensorRT's placement: no Q between the Conv and x * HardSigmoid(x).
  for (ir::DType t : {u8, s8}) {
    GraphMaker m;
    std::string x = m.input("x", {1, 7, 11, 9});
    Range r = asym(-1.f, 1.f, t), ry = asym(-0.4f, 3.f, t);
    std::string c = m.node("Conv", {qdq(m, x, r.scale, r.zp, t),
                                    int8_weight(m, random_tensor({13, 7, 3, 3}, 31, -0.4f, 0.4f), true)});
    std::string h = m.node("HardSigmoid", {c}, {{"alpha", 1.f / 6}, {"beta", 0.5f}});
    m.output(quantize(m, m.node("Mul", {c, h}), ry.scale, ry.zp, t));
    std::map<std::string, ir::Tensor> feeds = {{"x", random_tensor({1, 7, 11, 9}, 32)}};
    runtime::Session s(m.g, {2, true});
    EXPECT_LE(max_step_diff(s.run(feeds)[0], ref::run_graph(m.g, feeds)[0]), 1) << s.describe_plan() << isa_note();
    if (runtime::int8_sums_exact())
      EXPECT_NE(s.describe_plan().find("QConv+HardSigmoid+Mul+QuantizeLinear"), std::string::npos)
          << s.describe_plan() << isa_note();
  }
}

TEST(Int8MobileNetV3, OnnxRuntimePlacedSqueezeExciteBlockRunsAllInInt8) {
  // ONNX Runtime's placement: h = x * HardSigmoid(x) stays float and feeds both a Q (for the
  // pooling) and the gate's Mul; the Mul reads DQ(Q(h)) instead (quantized_reads.cpp), which
  // moves its quantized result by at most one step.
  for (ir::DType t : {u8, s8}) {
    GraphMaker m;
    const ir::Shape shape = {1, 19, 6, 5};
    std::string x = m.input("x", shape);
    Range r = asym(-3.f, 4.f, t), rh = asym(-0.4f, 4.f, t), rp = asym(0.f, 2.f, t);
    Range rg = asym(-2.f, 2.f, t), ry = asym(-0.4f, 4.f, t);
    // A depthwise Conv first, as in the model: its int8 result is channels-last.
    std::string c = m.node("Conv", {qdq(m, x, r.scale, r.zp, t),
                                    int8_weight(m, random_tensor({19, 1, 3, 3}, 40, -0.6f, 0.6f), true)},
                           {{"group", int64_t{19}}, {"pads", std::vector<int64_t>{1, 1, 1, 1}}});
    std::string xd = qdq(m, c, r.scale, r.zp, t);
    std::string h = m.node("Mul", {xd, hard_sigmoid(m, xd)});
    std::string pooled = m.node("GlobalAveragePool", {qdq(m, h, rh.scale, rh.zp, t)});
    std::string g = m.node("Conv", {qdq(m, pooled, rp.scale, rp.zp, t),
                                    int8_weight(m, random_tensor({19, 19, 1, 1}, 41, -0.5f, 0.5f), true)});
    std::string gate = hard_sigmoid(m, qdq(m, g, rg.scale, rg.zp, t));
    m.output(quantize(m, m.node("Mul", {h, gate}), ry.scale, ry.zp, t));
    std::map<std::string, ir::Tensor> feeds = {{"x", random_tensor(shape, 42, -4.f, 5.f)}};
    runtime::Session s(m.g, {1, true});
    const std::string plan = s.describe_plan();
    EXPECT_LE(max_step_diff(s.run(feeds)[0], ref::run_graph(m.g, feeds)[0]), 1) << plan << isa_note();
    if (!runtime::int8_sums_exact()) continue;  // the fused int8 steps (else the convs are FP32)
    for (const char* step : {"QLookup HardSigmoid+Mul+QuantizeLinear", "QGlobalAveragePool",
                             "QScaleChannels+QuantizeLinear"})
      EXPECT_NE(plan.find(step), std::string::npos) << step << "\n" << plan << isa_note();
    EXPECT_EQ(plan.find("(Mul:"), std::string::npos) << plan << isa_note();  // no float Mul left
  }
}

TEST(Int8Kernels, LookupAndChannelScalingMatchTheirDefinitions) {
  uint8_t table[256], src[131], got[131];
  for (int k = 0; k < 256; ++k) table[k] = static_cast<uint8_t>((k * 37 + 11) % 256);
  for (int k = 0; k < 131; ++k) src[k] = static_cast<uint8_t>((k * 101 + 3) % 256);
  runtime::lookup_bytes(table, src, got, 131);
  for (int k = 0; k < 131; ++k) EXPECT_EQ(got[k], table[src[k]]) << k;
  // Two pixels of 21 channels, int8 with zero points; multipliers with exact ties (x.5).
  std::vector<float> mult(21);
  for (int c = 0; c < 21; ++c) mult[c] = c % 2 ? 0.5f : 0.25f * static_cast<float>(c - 9);
  uint8_t out[42];
  runtime::scale_channels(src, out, mult.data(), 2, 21, 3, -7, true);
  for (int p = 0; p < 2; ++p)
    for (int c = 0; c < 21; ++c) {
      const int32_t q = static_cast<int8_t>(src[p * 21 + c]);
      const int32_t want =
          ref::quantize_value(static_cast<float>(q - 3) * mult[c], 1.f, -7, -128, 127);
      EXPECT_EQ(static_cast<int8_t>(out[p * 21 + c]), want) << p << "," << c;
    }
  // Sums down 6 pixels of 21 channels, the bytes read as uint8 and as int8.
  for (bool is_signed : {false, true}) {
    int32_t sums[21];
    runtime::sum_channels(src, 6, 21, is_signed, sums);
    for (int c = 0; c < 21; ++c) {
      int32_t want = 0;
      for (int p = 0; p < 6; ++p)
        want += is_signed ? static_cast<int8_t>(src[p * 21 + c]) : src[p * 21 + c];
      EXPECT_EQ(sums[c], want) << c;
    }
  }
}
