// Older forms of the elementwise math ops (opset < 7 broadcast/axis, consumed_inputs) import into
// their opset-17 meaning; the expected numbers are computed by hand from ONNX's definitions.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "common/onnx_node_tests.h"
#include "onnx/onnx.h"
#include "ref/ref.h"

namespace qcv::ref::test {
namespace {

namespace pb = ::onnx;

pb::ModelProto model(int64_t opset) {
  pb::ModelProto m;
  m.set_ir_version(3);
  auto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  m.mutable_graph()->set_name("legacy_math");
  return m;
}

void add_value(google::protobuf::RepeatedPtrField<pb::ValueInfoProto>* list,
               const std::string& name, std::vector<int64_t> dims) {
  auto* vi = list->Add();
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(pb::TensorProto::FLOAT);
  for (int64_t d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
}

void attr_int(pb::NodeProto* n, const std::string& key, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(key);
  a->set_type(pb::AttributeProto::INT);
  a->set_i(v);
}

// Opset 6 Add(A[2,3,2], B[3]) with broadcast=1, axis=1: B[j] is added along A's axis 1 (numpy
// would align B with the last axis and fail). B is an initializer or a graph input.
ir::Graph legacy_add(bool b_is_initializer) {
  pb::ModelProto m = model(6);
  auto* g = m.mutable_graph();
  add_value(g->mutable_input(), "a", {2, 3, 2});
  if (!b_is_initializer) add_value(g->mutable_input(), "b", {3});
  add_value(g->mutable_output(), "y", {2, 3, 2});
  if (b_is_initializer) {
    auto* t = g->add_initializer();
    t->set_name("b");
    t->set_data_type(pb::TensorProto::FLOAT);
    t->add_dims(3);
    for (float v : {10.f, 20.f, 30.f}) t->add_float_data(v);
  }
  auto* n = g->add_node();
  n->set_name("add");
  n->set_op_type("Add");
  n->add_input("a");
  n->add_input("b");
  n->add_output("y");
  attr_int(n, "broadcast", 1);
  attr_int(n, "axis", 1);
  return onnx::load_from_bytes(m.SerializeAsString());
}

std::vector<float> iota(int n) {
  std::vector<float> v(static_cast<size_t>(n));
  for (int i = 0; i < n; ++i) v[static_cast<size_t>(i)] = static_cast<float>(i);
  return v;
}

void expect_axis1_sum(const ir::Tensor& y) {
  ASSERT_EQ(y.shape(), (ir::Shape{2, 3, 2}));
  const float* d = y.data<float>();
  for (int n = 0; n < 2; ++n)
    for (int c = 0; c < 3; ++c)
      for (int w = 0; w < 2; ++w) {
        int i = (n * 3 + c) * 2 + w;
        EXPECT_EQ(d[i], static_cast<float>(i) + 10.f * static_cast<float>(c + 1)) << i;
      }
}

TEST(LegacyMath, BroadcastAxisWithInitializer) {
  ir::Graph g = legacy_add(true);
  for (const ir::Node& n : g.nodes) EXPECT_FALSE(n.has_attr("broadcast") || n.has_attr("axis"));
  auto out = run_graph(g, {{"a", ir::Tensor::from_vector<float>({2, 3, 2}, iota(12))}});
  expect_axis1_sum(out.at(0));
}

TEST(LegacyMath, BroadcastAxisWithGraphInput) {
  ir::Graph g = legacy_add(false);
  auto out = run_graph(g, {{"a", ir::Tensor::from_vector<float>({2, 3, 2}, iota(12))},
                           {"b", ir::Tensor::from_vector<float>({3}, {10.f, 20.f, 30.f})}});
  expect_axis1_sum(out.at(0));
}

TEST(LegacyMath, ConsumedInputsIsDropped) {
  pb::ModelProto m = model(5);
  auto* g = m.mutable_graph();
  add_value(g->mutable_input(), "x", {3});
  add_value(g->mutable_output(), "y", {3});
  auto* n = g->add_node();
  n->set_op_type("Neg");
  n->add_input("x");
  n->add_output("y");
  auto* a = n->add_attribute();
  a->set_name("consumed_inputs");
  a->set_type(pb::AttributeProto::INTS);
  a->add_ints(0);
  ir::Graph ig = onnx::load_from_bytes(m.SerializeAsString());
  EXPECT_FALSE(ig.nodes.at(0).has_attr("consumed_inputs"));
  auto out = run_graph(ig, {{"x", ir::Tensor::from_vector<float>({3}, {1.f, -2.f, 0.5f})}});
  EXPECT_EQ(out.at(0).to_float_vector(), (std::vector<float>{-1.f, 2.f, -0.5f}));
}

// PyTorch's opset-6 exports from Debian's libonnx-testdata: Add with broadcast=1 and an axis,
// and PRelu with a per-channel slope of shape [C].
TEST(LegacyMath, PyTorchOpset6Exports) {
  const std::string root = "/usr/share/libonnx-testdata/data/";
  int ran = 0;
  for (const char* name :
       {"pytorch-operator/test_operator_add_broadcast",
        "pytorch-operator/test_operator_add_size1_broadcast",
        "pytorch-operator/test_operator_add_size1_right_broadcast",
        "pytorch-operator/test_operator_add_size1_singleton_broadcast",
        "pytorch-operator/test_operator_addconstant", "pytorch-converted/test_PReLU_1d_multiparam",
        "pytorch-converted/test_PReLU_2d_multiparam",
        "pytorch-converted/test_PReLU_3d_multiparam"}) {
    const std::string dir = root + name;
    if (!std::filesystem::exists(dir + "/model.onnx")) continue;
    ir::Graph g = onnx::load(dir + "/model.onnx");
    std::map<std::string, ir::Tensor> feeds;
    const std::string set = dir + "/test_data_set_0/";
    for (size_t i = 0; i < g.inputs.size(); ++i)
      feeds[g.inputs[i].name] = onnx::load_tensor(set + "input_" + std::to_string(i) + ".pb");
    std::vector<ir::Tensor> got = run_graph(g, feeds);
    ir::Tensor want = onnx::load_tensor(set + "output_0.pb");
    EXPECT_EQ(qcv::test::node_tests::compare(got.at(0), want), "") << name;
    ++ran;
  }
  if (ran == 0) GTEST_SKIP() << "libonnx-testdata's pytorch tests are not installed";
}

}  // namespace
}  // namespace qcv::ref::test
