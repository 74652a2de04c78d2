// Random conv layers as QDQ graphs: the INT8 Session (oneDNN int8 kernels) against the same graph
// in FP32 fake quantization (ref::run_graph), within one quantization step on every element.
#include <cstdlib>
#include <iostream>

#include "int8_test_util.h"

using namespace qcv;
using namespace qcv::testing;

namespace {

struct ConvCase {
  std::string name;
  int64_t in_c, out_c, k, stride, pad, group, h, w;
  std::string act;  // "", "Relu", "Relu6"
  bool residual;    // Add of a second quantized input after the activation-free conv
  bool per_channel;
  ir::DType act_type;            // UInt8 asymmetric or Int8 symmetric activations
  std::string bias;              // "none", "float", "int32"
  bool quantized_output = true;  // false: the conv's float result is the graph output
};

std::ostream& operator<<(std::ostream& os, const ConvCase& c) { return os << c.name; }

// x -> Q -> DQ -> Conv(DQ(W int8), bias) -> act -> [+ DQ(Q(r))] -> [Q]
ir::Graph make_graph(const ConvCase& c, bool with_output_q, Range out = {1.f, 0}) {
  GraphMaker m;
  m.seed = 11;
  const ir::DType t = c.act_type;
  std::string x = m.input("x", {1, c.in_c, c.h, c.w});
  Range rx = range_params(-1.f, 1.f, t);
  if (t == ir::DType::UInt8) rx = range_params(-0.4f, 1.f, t);  // an odd zero point
  std::string xd = qdq(m, x, rx.scale, rx.zp, t);
  std::string rd;  // the residual, quantized before the conv runs (as in a ResNet)
  if (c.residual) {
    int64_t oh = (c.h + 2 * c.pad - c.k) / c.stride + 1,
            ow = (c.w + 2 * c.pad - c.k) / c.stride + 1;
    std::string r = m.input("r", {1, c.out_c, oh, ow});
    Range rr = range_params(-1.f, 1.f, t);
    if (t == ir::DType::UInt8) rr = range_params(-0.7f, 1.f, t);
    rd = qdq(m, r, rr.scale, rr.zp, t);
  }
  float bound = 1.f / std::sqrt(static_cast<float>(c.in_c / c.group * c.k * c.k));
  ir::Tensor wf = random_tensor({c.out_c, c.in_c / c.group, c.k, c.k}, 5, -bound, bound);
  std::vector<std::string> ins = {xd, int8_weight(m, wf, c.per_channel)};
  if (c.bias == "float") {
    ins.push_back(m.constant({c.out_c}, -0.2f, 0.2f));
  } else if (c.bias == "int32") {
    // Bias scale s_x * s_w: read back the weight's scales from its DequantizeLinear.
    const ir::Node& wdq = m.g.nodes.back();
    std::vector<float> ws = m.g.initializer(wdq.inputs[1])->to_float_vector();
    std::vector<int32_t> bq(c.out_c);
    std::vector<float> bs(c.out_c);
    ir::Tensor bf = random_tensor({c.out_c}, 9, -0.2f, 0.2f);
    for (int64_t o = 0; o < c.out_c; ++o) {
      bs[o] = rx.scale * ws[ws.size() == 1 ? 0 : o];
      bq[o] = static_cast<int32_t>(std::nearbyint(bf.data<float>()[o] / bs[o]));
    }
    std::string bqn = m.constant(ir::Tensor::from_vector<int32_t>({c.out_c}, bq));
    std::string bsn = m.constant(ir::Tensor::from_vector<float>({c.out_c}, bs));
    std::string bzn = m.constant(ir::Tensor(ir::DType::Int32, {c.out_c}));
    ins.push_back(m.node("DequantizeLinear", {bqn, bsn, bzn}, {{"axis", int64_t{0}}}));
  }
  std::string y = m.node("Conv", ins,
                         {{"kernel_shape", std::vector<int64_t>{c.k, c.k}},
                          {"strides", std::vector<int64_t>{c.stride, c.stride}},
                          {"pads", std::vector<int64_t>{c.pad, c.pad, c.pad, c.pad}},
                          {"group", c.group}});
  if (c.act == "Relu") y = m.node("Relu", {y});
  if (c.act == "Relu6")
    y = m.node("Clip", {y, m.constant(ir::Tensor::scalar<float>(0.f)),
                        m.constant(ir::Tensor::scalar<float>(6.f))});
  if (c.residual) {
    y = m.node("Add", {y, rd});
    y = m.node("Relu", {y});
  }
  if (with_output_q) y = quantize(m, y, out.scale, out.zp, t);
  m.output(y);
  return m.g;
}

std::map<std::string, ir::Tensor> feeds_for(const ir::Graph& g) {
  std::map<std::string, ir::Tensor> feeds;
  uint32_t seed = 3;
  for (const ir::Value& in : g.inputs) feeds[in.name] = random_tensor(in.shape, seed++);
  return feeds;
}

class Int8Conv : public ::testing::TestWithParam<ConvCase> {};

TEST_P(Int8Conv, AgreesWithFakeQuantWithinOneStep) {
  const ConvCase& c = GetParam();
  // The output range comes from the float result of the fake-quantized graph (max calibration).
  ir::Graph probe = make_graph(c, false);
  auto feeds = feeds_for(probe);
  ir::Tensor y = ref::run_graph(probe, feeds)[0];
  auto [lo, hi] = std::minmax_element(y.data<float>(), y.data<float>() + y.numel());
  ir::Graph g = make_graph(c, c.quantized_output, range_params(*lo, *hi, c.act_type));

  runtime::Session s(g, {2, true});
  std::vector<ir::Tensor> got = s.run(feeds);
  std::vector<ir::Tensor> want = ref::run_graph(g, feeds);
  const std::string plan = s.describe_plan();
  EXPECT_NE(plan.find("QConv"), std::string::npos) << plan;
  EXPECT_NE(plan.find("int8"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("Conv: reference"), std::string::npos) << plan;
  if (getenv("QCV_SHOW_PLAN")) std::cout << plan;
  if (c.quantized_output) {
    EXPECT_LE(max_step_diff(got[0], want[0]), 1) << plan;
  } else {
    EXPECT_LT(relative_error(got[0], want[0]), 1e-4) << plan;
  }
}

const ir::DType u8 = ir::DType::UInt8, s8 = ir::DType::Int8;

INSTANTIATE_TEST_SUITE_P(
    Layers, Int8Conv,
    ::testing::Values(
        ConvCase{"conv3x3_u8_perchannel_relu", 16, 32, 3, 1, 1, 1, 13, 11, "Relu", false, true, u8,
                 "float"},
        ConvCase{"conv3x3_s8_pertensor", 16, 24, 3, 1, 1, 1, 9, 9, "", false, false, s8, "none"},
        ConvCase{"conv1x1_s8_relu6_int32bias", 24, 40, 1, 1, 0, 1, 7, 5, "Relu6", false, true, s8,
                 "int32"},
        ConvCase{"conv1x1_u8_relu6_int32bias", 24, 40, 1, 1, 0, 1, 7, 5, "Relu6", false, true, u8,
                 "int32"},
        ConvCase{"stride2_pad1_u8", 8, 16, 3, 2, 1, 1, 15, 15, "Relu", false, true, u8, "float"},
        ConvCase{"stride2_5x5_s8", 3, 16, 5, 2, 2, 1, 17, 19, "Relu", false, true, s8, "float"},
        ConvCase{"depthwise_u8_relu6", 32, 32, 3, 1, 1, 32, 10, 10, "Relu6", false, true, u8,
                 "float"},
        ConvCase{"depthwise_s8_stride2", 48, 48, 3, 2, 1, 48, 9, 12, "Relu6", false, true, s8,
                 "int32"},
        ConvCase{"odd_channels_u8", 5, 7, 3, 1, 0, 1, 6, 9, "", false, false, u8, "float"},
        ConvCase{"grouped_s8", 16, 16, 3, 1, 1, 4, 8, 8, "Relu", false, true, s8, "float"},
        ConvCase{"residual_s8", 16, 16, 3, 1, 1, 1, 8, 8, "", true, true, s8, "float"},
        ConvCase{"residual_u8", 16, 16, 1, 1, 0, 1, 8, 8, "", true, true, u8, "float"},
        ConvCase{"residual_relu_s8", 32, 32, 3, 1, 1, 1, 7, 7, "Relu", true, true, s8, "int32"},
        ConvCase{"float_output_s8", 16, 32, 3, 1, 1, 1, 8, 8, "Relu", false, true, s8, "float",
                 false},
        ConvCase{"float_output_residual_u8", 16, 16, 3, 1, 1, 1, 8, 8, "", true, true, u8, "float",
                 false}),
    [](const ::testing::TestParamInfo<ConvCase>& info) { return info.param.name; });

}  // namespace
