// Upsample (opset 7 scales attribute, opset 9 scales input) and Resize-10 are imported as the
// IR's Resize with asymmetric coordinates and floor rounding; the values are worked out by hand.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "onnx/onnx.h"
#include "ref_test_util.h"

namespace qcv::ref::test {
namespace {

namespace pb = ::onnx;

// One node `op` at `opset` from input x [1, 1, h, w] to y, with an optional float initializer
// `scales` as its second input.
pb::ModelProto one_node_model(int64_t opset, const std::string& op, int64_t h, int64_t w,
                              const std::vector<float>& scales_input) {
  pb::ModelProto m;
  m.set_ir_version(4);
  auto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  auto* g = m.mutable_graph();
  g->set_name("upsample");
  auto* in = g->add_input();
  in->set_name("x");
  auto* tt = in->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(pb::TensorProto::FLOAT);
  for (int64_t d : {int64_t{1}, int64_t{1}, h, w}) tt->mutable_shape()->add_dim()->set_dim_value(d);
  auto* out = g->add_output();
  out->set_name("y");
  out->mutable_type()->mutable_tensor_type()->set_elem_type(pb::TensorProto::FLOAT);
  auto* n = g->add_node();
  n->set_name("up");
  n->set_op_type(op);
  n->add_input("x");
  n->add_output("y");
  if (!scales_input.empty()) {
    n->add_input("scales");
    auto* t = g->add_initializer();
    t->set_name("scales");
    t->set_data_type(pb::TensorProto::FLOAT);
    t->add_dims(static_cast<int64_t>(scales_input.size()));
    for (float v : scales_input) t->add_float_data(v);
  }
  return m;
}

void set_string(pb::NodeProto* n, const std::string& key, const std::string& value) {
  auto* a = n->add_attribute();
  a->set_name(key);
  a->set_type(pb::AttributeProto::STRING);
  a->set_s(value);
}

ir::Tensor run_model(const pb::ModelProto& m, const ir::Tensor& x) {
  ir::Graph g = onnx::load_from_bytes(m.SerializeAsString(), "upsample.onnx");
  EXPECT_EQ(g.nodes.size(), 1u);
  EXPECT_EQ(g.nodes[0].op, "Resize");
  EXPECT_EQ(g.nodes[0].attr_string("coordinate_transformation_mode", ""), "asymmetric");
  return run_graph(g, {{"x", x}}).at(0);
}

const ir::Tensor kTwoByTwo = ir::Tensor::from_vector<float>({1, 1, 2, 2}, {1, 2, 3, 4});

TEST(UpsampleImport, Opset7ScalesAttributeNearest) {
  // Nearest x2 rows, x3 columns: each pixel becomes a 2x3 block.
  pb::ModelProto m = one_node_model(7, "Upsample", 2, 2, {});
  auto* a = m.mutable_graph()->mutable_node(0)->add_attribute();
  a->set_name("scales");
  a->set_type(pb::AttributeProto::FLOATS);
  for (float s : {1.f, 1.f, 2.f, 3.f}) a->add_floats(s);
  expect_floats(run_model(m, kTwoByTwo), {1, 1, 4, 6},
                {1, 1, 1, 2, 2, 2, 1, 1, 1, 2, 2, 2, 3, 3, 3, 4, 4, 4, 3, 3, 3, 4, 4, 4});
}

TEST(UpsampleImport, Opset9ScalesInputLinearAndOpset7Bilinear) {
  // Asymmetric x2: sources 0, 0.5, 1, 1.5 (clamped to 1) in each dim.
  const std::vector<float> want = {1, 1.5f, 2, 2, 2, 2.5f, 3, 3, 3, 3.5f, 4, 4, 3, 3.5f, 4, 4};
  pb::ModelProto m = one_node_model(9, "Upsample", 2, 2, {1, 1, 2, 2});
  set_string(m.mutable_graph()->mutable_node(0), "mode", "linear");
  expect_floats(run_model(m, kTwoByTwo), {1, 1, 4, 4}, want);

  pb::ModelProto m7 = one_node_model(7, "Upsample", 2, 2, {});
  auto* n = m7.mutable_graph()->mutable_node(0);
  set_string(n, "mode", "bilinear");
  auto* a = n->add_attribute();
  a->set_name("scales");
  a->set_type(pb::AttributeProto::FLOATS);
  for (float s : {1.f, 1.f, 2.f, 2.f}) a->add_floats(s);
  expect_floats(run_model(m7, kTwoByTwo), {1, 1, 4, 4}, want);
}

TEST(UpsampleImport, Resize10DownsamplesWithFloor) {
  // 4x4 = 1..16 at scale 0.5: asymmetric floor takes rows and columns 0 and 2.
  ir::Tensor x(ir::DType::Float32, {1, 1, 4, 4});
  for (int i = 0; i < 16; ++i) x.data<float>()[i] = static_cast<float>(i + 1);
  pb::ModelProto m = one_node_model(10, "Resize", 4, 4, {1, 1, 0.5f, 0.5f});
  expect_floats(run_model(m, x), {1, 1, 2, 2}, {1, 3, 9, 11});
}

TEST(UpsampleImport, UnsupportedModeNamesTheNode) {
  pb::ModelProto m = one_node_model(9, "Upsample", 2, 2, {1, 1, 2, 2});
  set_string(m.mutable_graph()->mutable_node(0), "mode", "cubic");
  try {
    onnx::load_from_bytes(m.SerializeAsString(), "upsample.onnx");
    FAIL() << "expected qcv::Error";
  } catch (const Error& e) {
    std::string msg = e.what();
    EXPECT_NE(msg.find("node 'up' (Upsample)"), std::string::npos) << msg;
    EXPECT_NE(msg.find("cubic"), std::string::npos) << msg;
  }
}

}  // namespace
}  // namespace qcv::ref::test
