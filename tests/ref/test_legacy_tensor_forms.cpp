// Old forms of the tensor-family ops (Pad-1/2, Slice-1, Split-2, Scatter-9, Cast-1, Reshape-1,
// Concat-1, Tile-1) written as ONNX protobuf, imported (legacy_tensor.cpp rewrites them) and run
// with the reference kernels; expected values worked by hand from each op version's definition.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "onnx/onnx.h"
#include "ref/ref.h"

using namespace qcv;
namespace pb = ::onnx;

namespace {

struct Model {
  pb::ModelProto m;
  explicit Model(int64_t opset) {
    m.set_ir_version(3);
    auto* o = m.add_opset_import();
    o->set_domain("");
    o->set_version(opset);
    m.mutable_graph()->set_name("legacy");
  }
  void io(bool input, const std::string& name, std::vector<int64_t> dims,
          int elem = pb::TensorProto::FLOAT) {
    auto* vi = input ? m.mutable_graph()->add_input() : m.mutable_graph()->add_output();
    vi->set_name(name);
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(elem);
    for (int64_t d : dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  }
  pb::NodeProto* node(const std::string& op, std::vector<std::string> in,
                      std::vector<std::string> out) {
    auto* n = m.mutable_graph()->add_node();
    n->set_name(op + "_node");
    n->set_op_type(op);
    for (auto& s : in) n->add_input(s);
    for (auto& s : out) n->add_output(s);
    return n;
  }
  void int64_init(const std::string& name, std::vector<int64_t> v, bool scalar = false) {
    auto* t = m.mutable_graph()->add_initializer();
    t->set_name(name);
    t->set_data_type(pb::TensorProto::INT64);
    if (!scalar) t->add_dims(static_cast<int64_t>(v.size()));
    for (int64_t x : v) t->add_int64_data(x);
  }
  // Imports and runs with x fed; returns the outputs.
  std::vector<ir::Tensor> run(const ir::Tensor& x, ir::Graph* imported = nullptr) {
    ir::Graph g = qcv::onnx::load_from_bytes(m.SerializeAsString());
    if (imported) *imported = g;
    return ref::run_graph(g, {{"x", x}});
  }
};

pb::AttributeProto* attr(pb::NodeProto* n, const std::string& key,
                         pb::AttributeProto::AttributeType type) {
  auto* a = n->add_attribute();
  a->set_name(key);
  a->set_type(type);
  return a;
}
void ints(pb::NodeProto* n, const std::string& key, std::vector<int64_t> v) {
  auto* a = attr(n, key, pb::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}

ir::Tensor f32(ir::Shape s, std::vector<float> v) {
  return ir::Tensor::from_vector<float>(std::move(s), v);
}

}  // namespace

TEST(LegacyTensorForms, Pad2AttributesConstantValue) {
  Model m(2);
  m.io(true, "x", {2, 3});
  m.io(false, "y", {3, 4});
  auto* n = m.node("Pad", {"x"}, {"y"});
  ints(n, "pads", {0, 1, 1, 0});
  attr(n, "value", pb::AttributeProto::FLOAT)->set_f(9.0f);
  ir::Graph g;
  auto y = m.run(f32({2, 3}, {1, 2, 3, 4, 5, 6}), &g);
  EXPECT_FALSE(g.nodes[0].has_attr("pads"));
  EXPECT_EQ(y[0].to_float_vector(), (std::vector<float>{9, 1, 2, 3, 9, 4, 5, 6, 9, 9, 9, 9}));
}

TEST(LegacyTensorForms, Pad1PaddingsReflect) {
  Model m(1);
  m.io(true, "x", {1, 4});
  m.io(false, "y", {1, 7});
  auto* n = m.node("Pad", {"x"}, {"y"});
  ints(n, "paddings", {0, 2, 0, 1});
  attr(n, "mode", pb::AttributeProto::STRING)->set_s("reflect");
  auto y = m.run(f32({1, 4}, {1, 2, 3, 4}));
  EXPECT_EQ(y[0].to_float_vector(), (std::vector<float>{3, 2, 1, 2, 3, 4, 3}));
}

TEST(LegacyTensorForms, Slice1Attributes) {
  Model m(1);
  m.io(true, "x", {3, 4});
  m.io(false, "y", {2, 3});
  auto* n = m.node("Slice", {"x"}, {"y"});
  ints(n, "starts", {0, 1});
  ints(n, "ends", {2, 100});
  ints(n, "axes", {0, 1});
  auto y = m.run(f32({3, 4}, {0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11}));
  EXPECT_EQ(y[0].shape(), (ir::Shape{2, 3}));
  EXPECT_EQ(y[0].to_float_vector(), (std::vector<float>{1, 2, 3, 5, 6, 7}));
}

TEST(LegacyTensorForms, Split2Attribute) {
  Model m(2);
  m.io(true, "x", {5});
  m.io(false, "a", {2});
  m.io(false, "b", {3});
  ints(m.node("Split", {"x"}, {"a", "b"}), "split", {2, 3});
  auto y = m.run(f32({5}, {0, 1, 2, 3, 4}));
  EXPECT_EQ(y[0].to_float_vector(), (std::vector<float>{0, 1}));
  EXPECT_EQ(y[1].to_float_vector(), (std::vector<float>{2, 3, 4}));
}

TEST(LegacyTensorForms, Scatter9IsScatterElements) {
  Model m(9);
  m.io(true, "x", {1, 5});
  m.io(false, "y", {1, 5});
  m.int64_init("idx", {1, 3});
  m.m.mutable_graph()->mutable_initializer(0)->clear_dims();
  m.m.mutable_graph()->mutable_initializer(0)->add_dims(1);
  m.m.mutable_graph()->mutable_initializer(0)->add_dims(2);
  auto* u = m.m.mutable_graph()->add_initializer();
  u->set_name("upd");
  u->set_data_type(pb::TensorProto::FLOAT);
  u->add_dims(1);
  u->add_dims(2);
  u->add_float_data(1.5f);
  u->add_float_data(2.5f);
  attr(m.node("Scatter", {"x", "idx", "upd"}, {"y"}), "axis", pb::AttributeProto::INT)->set_i(1);
  ir::Graph g;
  auto y = m.run(f32({1, 5}, {0, 0, 0, 0, 0}), &g);
  EXPECT_EQ(g.nodes[0].op, "ScatterElements");
  EXPECT_EQ(y[0].to_float_vector(), (std::vector<float>{0, 1.5f, 0, 2.5f, 0}));
}

TEST(LegacyTensorForms, Cast1StringTo) {
  Model m(1);
  m.io(true, "x", {3});
  m.io(false, "y", {3}, pb::TensorProto::INT32);
  attr(m.node("Cast", {"x"}, {"y"}), "to", pb::AttributeProto::STRING)->set_s("INT32");
  auto y = m.run(f32({3}, {-2.7f, 3.9f, 0.5f}));
  ASSERT_EQ(y[0].dtype(), ir::DType::Int32);
  EXPECT_EQ(y[0].to_int64_vector(), (std::vector<int64_t>{-2, 3, 0}));
}

TEST(LegacyTensorForms, Reshape1ShapeAttributeAndConcat1DefaultAxis) {
  Model m(1);
  m.io(true, "x", {2, 3});
  m.io(false, "y", {3, 4});
  ints(m.node("Reshape", {"x"}, {"r"}), "shape", {3, 2});
  m.node("Concat", {"r", "r"}, {"y"});  // Concat-1: axis defaults to 1
  auto y = m.run(f32({2, 3}, {1, 2, 3, 4, 5, 6}));
  EXPECT_EQ(y[0].shape(), (ir::Shape{3, 4}));
  EXPECT_EQ(y[0].to_float_vector(), (std::vector<float>{1, 2, 1, 2, 3, 4, 3, 4, 5, 6, 5, 6}));
}

TEST(LegacyTensorForms, Tile1TilesAlongAxis) {
  Model m(1);
  m.io(true, "x", {2, 2});
  m.io(false, "y", {2, 6});
  m.int64_init("tiles", {3}, true);
  m.int64_init("axis", {1}, true);
  m.node("Tile", {"x", "tiles", "axis"}, {"y"});
  auto y = m.run(f32({2, 2}, {1, 2, 3, 4}));
  EXPECT_EQ(y[0].shape(), (ir::Shape{2, 6}));
  EXPECT_EQ(y[0].to_float_vector(), (std::vector<float>{1, 2, 1, 2, 1, 2, 3, 4, 3, 4, 3, 4}));
}

TEST(LegacyTensorForms, ExportWritesTheOpsetNewerFormsNeed) {
  // Exported at opset 13 unless an op's form is newer: Trilu 14, CastLike 15, ScatterND with a
  // reduction 16. A Pad-2 model comes back as Pad-13 (inputs) and still computes the same.
  auto opset_of = [](const std::string& bytes) {
    pb::ModelProto m;
    EXPECT_TRUE(m.ParseFromString(bytes));
    return m.opset_import(0).version();
  };
  auto one = [](const std::string& op, std::map<std::string, ir::Attribute> attrs,
                std::vector<std::string> extra) {
    ir::Graph g;
    g.inputs = {ir::make_value("x", ir::DType::Float32, {2, 2})};
    g.outputs = {ir::make_value("y")};
    ir::Node n{"n", op, {"x"}, {"y"}, std::move(attrs)};
    for (const std::string& e : extra) {
      n.inputs.push_back(e);
      if (e == "i") g.initializers[e] = ir::Tensor::from_vector<int64_t>({1, 1}, {0});
      if (e == "u") g.initializers[e] = ir::Tensor::from_vector<float>({1, 2}, {1, 2});
      if (e == "like") g.initializers[e] = ir::Tensor::scalar<int32_t>(0);
    }
    g.nodes = {n};
    ir::infer_shapes(g);
    return qcv::onnx::save_to_bytes(g);
  };
  EXPECT_EQ(opset_of(one("Transpose", {}, {})), 13);
  EXPECT_EQ(opset_of(one("Trilu", {}, {})), 14);
  EXPECT_EQ(opset_of(one("CastLike", {}, {"like"})), 15);
  EXPECT_EQ(opset_of(one("ScatterND", {{"reduction", std::string("add")}}, {"i", "u"})), 16);

  Model m(2);
  m.io(true, "x", {2, 3});
  m.io(false, "y", {3, 4});
  auto* n = m.node("Pad", {"x"}, {"y"});
  ints(n, "pads", {0, 1, 1, 0});
  attr(n, "value", pb::AttributeProto::FLOAT)->set_f(9.0f);
  ir::Graph g;
  const ir::Tensor x = f32({2, 3}, {1, 2, 3, 4, 5, 6});
  auto want = m.run(x, &g);
  ir::Graph back = qcv::onnx::load_from_bytes(qcv::onnx::save_to_bytes(g));
  auto got = ref::run_graph(back, {{"x", x}});
  EXPECT_EQ(got[0].to_float_vector(), want[0].to_float_vector());
}
