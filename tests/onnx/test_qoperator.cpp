// QOperator models (QLinearConv, QLinearMatMul, com.microsoft QLinear*/QGemm) import as QDQ, run
// the runtime's fused int8 kernels, and agree with a hand computation and with ONNX Runtime.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <map>

#include "ir/npy.h"
#include "onnx/onnx.h"
#include "load_errors.h"
#include "ort_peer.h"
#include "ref/ref.h"
#include "runtime/session.h"
#include "sample_graphs.h"

namespace ir = qcv::ir;
namespace pb = ::onnx;
namespace qonnx = qcv::onnx;
using qcv::test::bytes_error;

namespace {

const std::string kTiny = std::string(QCV_SOURCE_DIR) + "/tests/data/onnx/qop_tiny.onnx";

std::map<std::string, int> op_counts(const ir::Graph& g) {
  std::map<std::string, int> counts;
  for (const ir::Node& n : g.nodes) ++counts[n.op];
  return counts;
}

int count_of(const std::string& text, const std::string& needle) {
  int n = 0;
  for (size_t p = text.find(needle); p != std::string::npos; p = text.find(needle, p + 1)) ++n;
  return n;
}


// A protobuf model under construction: opset 13 plus com.microsoft 1.
struct ModelBuilder {
  pb::ModelProto m;
  ModelBuilder() {
    m.set_ir_version(7);
    auto* o = m.add_opset_import();
    o->set_domain("");
    o->set_version(13);
    o = m.add_opset_import();
    o->set_domain("com.microsoft");
    o->set_version(1);
  }
  pb::GraphProto& g() { return *m.mutable_graph(); }

  template <typename T>
  void init(const std::string& name, int type, std::vector<int64_t> dims, std::vector<T> values) {
    pb::TensorProto* t = g().add_initializer();
    t->set_name(name);
    t->set_data_type(type);
    for (int64_t d : dims) t->add_dims(d);
    t->set_raw_data(
        std::string(reinterpret_cast<const char*>(values.data()), values.size() * sizeof(T)));
  }
  pb::NodeProto& node(const std::string& name, const std::string& op, std::vector<std::string> in,
                      std::vector<std::string> out, const std::string& domain = "") {
    pb::NodeProto* n = g().add_node();
    n->set_name(name);
    n->set_op_type(op);
    n->set_domain(domain);
    for (auto& s : in) n->add_input(s);
    for (auto& s : out) n->add_output(s);
    return *n;
  }
  void io(const std::string& name, int type, std::vector<int64_t> dims, bool input) {
    pb::ValueInfoProto* v = input ? g().add_input() : g().add_output();
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(type);
    for (int64_t d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  }
};

void add_int(pb::NodeProto& n, const std::string& name, int64_t v) {
  auto* a = n.add_attribute();
  a->set_name(name);
  a->set_type(pb::AttributeProto::INT);
  a->set_i(v);
}

// float x[1,2,3,3] -> QuantizeLinear (uint8) -> QLinearConv 1x1 (2 -> 3 channels, per-channel
// int8 weights, int32 bias, uint8 output) -> DequantizeLinear -> y.
struct OneConv {
  float x_scale = 0.02f, y_scale = 0.05f;
  uint8_t x_zp = 128, y_zp = 100;
  std::vector<float> w_scale = {0.01f, 0.02f, 0.005f};
  std::vector<int8_t> w = {10, -20, 30, 40, -127, 127};  // [3,2,1,1]
  std::vector<int32_t> bias = {100, -250, 4000};

  pb::ModelProto model() const {
    ModelBuilder b;
    b.io("x", pb::TensorProto::FLOAT, {1, 2, 3, 3}, true);
    b.io("y", pb::TensorProto::FLOAT, {1, 3, 3, 3}, false);
    b.init<float>("xs", pb::TensorProto::FLOAT, {}, {x_scale});
    b.init<uint8_t>("xz", pb::TensorProto::UINT8, {}, {x_zp});
    b.init<int8_t>("w", pb::TensorProto::INT8, {3, 2, 1, 1}, w);
    b.init<float>("ws", pb::TensorProto::FLOAT, {3}, w_scale);
    b.init<int8_t>("wz", pb::TensorProto::INT8, {3}, {0, 0, 0});
    b.init<int32_t>("b", pb::TensorProto::INT32, {3}, bias);
    b.init<float>("ys", pb::TensorProto::FLOAT, {}, {y_scale});
    b.init<uint8_t>("yz", pb::TensorProto::UINT8, {}, {y_zp});
    b.node("quant", "QuantizeLinear", {"x", "xs", "xz"}, {"xq"});
    b.node("conv", "QLinearConv", {"xq", "xs", "xz", "w", "ws", "wz", "ys", "yz", "b"}, {"yq"});
    b.node("dequant", "DequantizeLinear", {"yq", "ys", "yz"}, {"y"});
    return b.m;
  }

  // By hand: integer accumulation of (x_q - zp) * w + bias, requantized with
  // x_scale * w_scale / y_scale, rounded half to even, saturated.
  std::vector<float> expected(const ir::Tensor& x) const {
    std::vector<float> y(27);
    for (int o = 0; o < 3; ++o)
      for (int p = 0; p < 9; ++p) {
        int64_t acc = bias[o];
        for (int c = 0; c < 2; ++c) {
          float v = std::nearbyint(x.data<float>()[c * 9 + p] / x_scale) + x_zp;
          int64_t q = static_cast<int64_t>(std::fmin(std::fmax(v, 0.f), 255.f));
          acc += (q - x_zp) * w[o * 2 + c];
        }
        double r = std::nearbyint(static_cast<double>(acc) * x_scale * w_scale[o] / y_scale) + y_zp;
        r = std::fmin(std::fmax(r, 0.0), 255.0);
        y[o * 9 + p] = static_cast<float>((r - y_zp) * y_scale);
      }
    return y;
  }
};

}  // namespace

TEST(QOperator, QLinearConvBecomesQdqWithInt32Bias) {
  ir::Graph g = qonnx::load_from_bytes(OneConv().model().SerializeAsString(), "q.onnx");
  auto ops = op_counts(g);
  EXPECT_EQ(ops.count("QLinearConv"), 0u);
  EXPECT_EQ(ops["Conv"], 1);
  EXPECT_EQ(ops["QuantizeLinear"], 2);    // the input's and the conv output's
  EXPECT_EQ(ops["DequantizeLinear"], 4);  // x, w, bias, output
  const ir::Node& conv = g.nodes[g.find_node("conv")];
  ASSERT_EQ(conv.inputs.size(), 3u);
  const ir::Node& bias_dq = g.nodes[g.producer(conv.inputs[2])];
  ASSERT_EQ(bias_dq.op, "DequantizeLinear");
  const ir::Tensor* bq = g.initializer(bias_dq.inputs[0]);
  ASSERT_NE(bq, nullptr);
  EXPECT_EQ(bq->dtype(), ir::DType::Int32);
  const ir::Tensor* bs = g.initializer(bias_dq.inputs[1]);
  ASSERT_NE(bs, nullptr);
  OneConv c;
  for (int o = 0; o < 3; ++o) EXPECT_EQ(bs->data<float>()[o], c.x_scale * c.w_scale[o]);
  const ir::Tensor* bz = g.initializer(bias_dq.input(2));
  ASSERT_NE(bz, nullptr);
  for (int o = 0; o < 3; ++o) EXPECT_EQ(bz->as_int64(o), 0);
}

TEST(QOperator, QLinearConvRunsInt8ConvAndMatchesHandComputation) {
  OneConv c;
  ir::Graph g = qonnx::load_from_bytes(c.model().SerializeAsString(), "q.onnx");
  ir::Tensor x = qcv::test::random_floats({1, 2, 3, 3}, 5, 2.f);
  std::vector<float> want = c.expected(x);
  qcv::runtime::Session s(g, {1, true});
  const std::string plan = s.describe_plan();
  EXPECT_NE(plan.find("QConv"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("Conv: reference"), std::string::npos) << plan;
  std::vector<ir::Tensor> got = s.run({{"x", x}});
  std::vector<ir::Tensor> ref = qcv::ref::run_graph(g, {{"x", x}});
  ASSERT_EQ(got[0].numel(), 27);
  for (int i = 0; i < 27; ++i) {
    // Both at most one output step (ties and float products may round the other way) apart.
    EXPECT_NEAR(got[0].data<float>()[i], want[i], c.y_scale * 1.01f) << i;
    EXPECT_NEAR(ref[0].data<float>()[i], want[i], c.y_scale * 1.01f) << i;
  }
}

TEST(QOperator, TinyFileImportsAsQdq) {
  ir::Graph g = qonnx::load(kTiny);
  auto ops = op_counts(g);
  for (const char* q :
       {"QLinearConv", "QLinearAdd", "QLinearMul", "QLinearSigmoid", "QLinearLeakyRelu",
        "QLinearAveragePool", "QLinearConcat", "QLinearGlobalAveragePool", "QGemm"})
    EXPECT_EQ(ops.count(q), 0u) << q;
  EXPECT_EQ(ops["Conv"], 3);
  EXPECT_EQ(ops["Add"], 1);
  EXPECT_EQ(ops["Mul"], 1);
  EXPECT_EQ(ops["Sigmoid"], 1);
  EXPECT_EQ(ops["LeakyRelu"], 1);
  EXPECT_EQ(ops["AveragePool"], 1);
  EXPECT_EQ(ops["Concat"], 1);
  EXPECT_EQ(ops["GlobalAveragePool"], 1);
  EXPECT_EQ(ops["Gemm"], 1);
  // One Q per quantized output plus the input's; DQs on every quantized input, weights and biases.
  EXPECT_EQ(ops["QuantizeLinear"], 12);
  EXPECT_GE(ops["DequantizeLinear"], 20);
}

TEST(QOperator, TinyFileRunsInt8KernelsAndMatchesOrt) {
  ir::Graph g = qonnx::load(kTiny);
  const std::string dir = std::string(QCV_SOURCE_DIR) + "/tests/data/onnx/";
  ir::Tensor x = ir::load_npy(dir + "qop_tiny_input.npy");
  // ONNX Runtime 1.30's output on this input (bench/ort_run.js), committed beside the model.
  ir::Tensor ort = ir::load_npy(dir + "qop_tiny_ort.npy");
  qcv::runtime::Session s(g, {1, true});
  const std::string plan = s.describe_plan();
  EXPECT_EQ(count_of(plan, "(QConv"), 3) << plan;
  EXPECT_NE(plan.find("QGemm"), std::string::npos) << plan;
  EXPECT_EQ(plan.find("Conv: reference"), std::string::npos) << plan;
  ir::Tensor got = s.run({{g.inputs[0].name, x}})[0];
  ir::Tensor ref = qcv::ref::run_graph(g, {{g.inputs[0].name, x}})[0];
  ASSERT_EQ(got.shape(), ort.shape());
  const float step =
      g.initializers.at(g.nodes[g.producer(g.outputs[0].name)].inputs[1]).data<float>()[0];
  auto steps = [&](const ir::Tensor& a) {
    double worst = 0;
    for (int64_t i = 0; i < a.numel(); ++i)
      worst = std::max(
          worst, std::abs(static_cast<double>(a.data<float>()[i]) - ort.data<float>()[i]) / step);
    return worst;
  };
  auto top1 = [](const ir::Tensor& a, int64_t row) {
    const float* p = a.data<float>() + row * a.dim(1);
    return std::max_element(p, p + a.dim(1)) - p;
  };
  if (getenv("QCV_SHOW_PLAN")) std::cout << plan;
  std::cout << "runtime vs ORT: " << steps(got) << " steps, reference vs ORT: " << steps(ref)
            << " steps\n";
  // Integer-exact int8 kernels and ONNX Runtime differ only at rounding ties; the reference
  // kernels' float convolution moves near-ties too. Either may carry one step down the chain.
  EXPECT_LE(steps(ref), 2.01);
  EXPECT_LE(steps(got), 2.01);
  if (qcv::test::ort_available()) {
    // The committed output is what ORT computes on this file, and ORT computes the same numbers
    // on the QDQ graph the import made of it (written back as standard ONNX).
    qcv::test::TempDir tmp;
    const std::string qdq = tmp.file("qdq.onnx");
    qonnx::save(g, qdq);
    for (const std::string& file : {kTiny, qdq}) {
      std::vector<float> live = qcv::test::run_ort(file, x, tmp);
      ASSERT_EQ(live.size(), static_cast<size_t>(ort.numel())) << file;
      for (int64_t i = 0; i < ort.numel(); ++i) EXPECT_EQ(live[i], ort.data<float>()[i]) << file;
    }
  }
  int agree = 0;
  for (int64_t r = 0; r < x.dim(0); ++r) agree += top1(got, r) == top1(ort, r);
  EXPECT_GE(agree, x.dim(0) - 1);
}

TEST(QOperator, OtherDomainsAreRefusedByName) {
  for (const char* domain : {"com.microsoft", "ai.onnx.ml", "ai.onnx.preview.training"}) {
    ModelBuilder b;
    auto* o = b.m.add_opset_import();
    o->set_domain(domain);
    o->set_version(1);
    b.io("x", pb::TensorProto::FLOAT, {1, 4}, true);
    b.io("y", pb::TensorProto::FLOAT, {1, 4}, false);
    b.node("x1", "Frob", {"x"}, {"y"}, domain);
    std::string msg = bytes_error(b.m, "q.onnx");
    EXPECT_NE(msg.find(std::string("node 'x1' (Frob): op 'Frob' of domain '") + domain +
                       "' is not supported"),
              std::string::npos)
        << msg;
  }
  // A com.microsoft op name in the default domain is no QOperator op.
  ModelBuilder b;
  b.io("x", pb::TensorProto::FLOAT, {1, 4}, true);
  b.io("y", pb::TensorProto::FLOAT, {1, 4}, false);
  b.node("add", "QLinearAdd", {"x", "x", "x", "x", "x", "x", "x", "x"}, {"y"});
  EXPECT_NE(bytes_error(b.m, "q.onnx").find("unsupported op 'QLinearAdd'"), std::string::npos);
}

TEST(QOperator, ChannelsLastIsRefused) {
  ModelBuilder b;
  b.io("x", pb::TensorProto::UINT8, {1, 2, 2, 4}, true);
  b.io("y", pb::TensorProto::UINT8, {1, 1, 1, 4}, false);
  b.init<float>("s", pb::TensorProto::FLOAT, {}, {0.1f});
  b.init<uint8_t>("z", pb::TensorProto::UINT8, {}, {3});
  pb::NodeProto& n =
      b.node("gap", "QLinearGlobalAveragePool", {"x", "s", "z", "s", "z"}, {"y"}, "com.microsoft");
  add_int(n, "channels_last", 1);
  std::string msg = bytes_error(b.m, "q.onnx");
  EXPECT_NE(msg.find("node 'gap' (QLinearGlobalAveragePool): channels_last=1"), std::string::npos)
      << msg;
}

TEST(QOperator, OmittedZeroPointsKeepTheInt8Type) {
  // x -> QuantizeLinear (int8, zero point 0) -> QLinearAdd(x, x) with every zero point omitted
  // -> DequantizeLinear: the Add's output must stay int8 (its zero point type comes from x).
  ModelBuilder b;
  b.io("x", pb::TensorProto::FLOAT, {1, 5}, true);
  b.io("y", pb::TensorProto::FLOAT, {1, 5}, false);
  b.init<float>("s", pb::TensorProto::FLOAT, {}, {0.5f});
  b.init<int8_t>("z", pb::TensorProto::INT8, {}, {0});
  b.init<float>("ys", pb::TensorProto::FLOAT, {}, {1.0f});
  b.node("quant", "QuantizeLinear", {"x", "s", "z"}, {"xq"});
  b.node("add", "QLinearAdd", {"xq", "s", "", "xq", "s", "", "ys"}, {"yq"}, "com.microsoft");
  b.node("dequant", "DequantizeLinear", {"yq", "ys"}, {"y"});
  ir::Graph g = qonnx::load_from_bytes(b.m.SerializeAsString(), "q.onnx");
  EXPECT_EQ(g.value_type("yq")->dtype, ir::DType::Int8);
  ir::Tensor x = ir::Tensor::from_vector<float>({1, 5}, {-100.f, -1.25f, 0.75f, 3.f, 100.f});
  // xq = round(x / 0.5) saturated: {-128, -2, 2, 6, 127}; y = sat(round(2 * xq * 0.5)).
  const std::vector<float> want = {-128.f, -2.f, 2.f, 6.f, 127.f};
  for (const ir::Tensor& y : {qcv::ref::run_graph(g, {{"x", x}})[0],
                              qcv::runtime::Session(g, {1, true}).run({{"x", x}})[0]})
    for (int i = 0; i < 5; ++i) EXPECT_EQ(y.data<float>()[i], want[i]) << i;
}

TEST(QOperator, QGemmWithoutOutputScaleIsFloat) {
  // Y = alpha * a_scale * b_scale * ((A - a_zp) B^T + C): C is int32 in the accumulator's units.
  ModelBuilder b;
  b.io("a", pb::TensorProto::FLOAT, {1, 3}, true);
  b.io("y", pb::TensorProto::FLOAT, {1, 2}, false);
  b.init<float>("as", pb::TensorProto::FLOAT, {}, {0.25f});
  b.init<uint8_t>("az", pb::TensorProto::UINT8, {}, {10});
  b.init<int8_t>("w", pb::TensorProto::INT8, {2, 3}, {1, 2, 3, -4, 5, -6});
  b.init<float>("ws", pb::TensorProto::FLOAT, {2}, {0.5f, 0.125f});
  b.init<int8_t>("wz", pb::TensorProto::INT8, {2}, {0, 0});
  b.init<int32_t>("c", pb::TensorProto::INT32, {2}, {100, -64});
  b.node("quant", "QuantizeLinear", {"a", "as", "az"}, {"aq"});
  pb::NodeProto& n =
      b.node("gemm", "QGemm", {"aq", "as", "az", "w", "ws", "wz", "c"}, {"y"}, "com.microsoft");
  add_int(n, "transB", 1);
  auto* alpha = n.add_attribute();
  alpha->set_name("alpha");
  alpha->set_type(pb::AttributeProto::FLOAT);
  alpha->set_f(2.f);
  ir::Graph g = qonnx::load_from_bytes(b.m.SerializeAsString(), "q.onnx");
  // a = {1, -0.5, 2} -> A - a_zp = {4, -2, 8}; rows: 4 - 4 + 24 = 24 (+100), -16 - 10 - 48 = -74
  // (-64); y = 2 * 0.25 * {0.5 * 124, 0.125 * -138} = {31, -8.625}.
  ir::Tensor a = ir::Tensor::from_vector<float>({1, 3}, {1.f, -0.5f, 2.f});
  for (const ir::Tensor& y : {qcv::ref::run_graph(g, {{"a", a}})[0],
                              qcv::runtime::Session(g, {1, true}).run({{"a", a}})[0]}) {
    ASSERT_EQ(y.dtype(), ir::DType::Float32);
    EXPECT_FLOAT_EQ(y.data<float>()[0], 31.f);
    EXPECT_FLOAT_EQ(y.data<float>()[1], -8.625f);
  }
}
