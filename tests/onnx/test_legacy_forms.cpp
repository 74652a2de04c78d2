// Older ONNX op forms (opsets 7-12) are rewritten into the IR's opset-13 semantics. Structure is
// checked here, and ONNX Runtime checks that the rewritten export computes what the original did.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <set>

#include "onnx/onnx.h"
#include "ort_peer.h"

namespace ir = qcv::ir;
namespace pb = ::onnx;
namespace qonnx = qcv::onnx;
using qcv::test::TempDir;

namespace {

pb::ModelProto model_with_opset(int64_t opset) {
  pb::ModelProto m;
  m.set_ir_version(3);
  m.set_producer_name("qcv-test");
  auto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  m.mutable_graph()->set_name("legacy");
  return m;
}

void add_value(google::protobuf::RepeatedPtrField<pb::ValueInfoProto>* list,
               const std::string& name, std::vector<int64_t> dims) {
  auto* vi = list->Add();
  vi->set_name(name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(pb::TensorProto::FLOAT);
  for (int64_t d : dims) {
    auto* dim = tt->mutable_shape()->add_dim();
    if (d < 0)
      dim->set_dim_param("N");
    else
      dim->set_dim_value(d);
  }
}

pb::NodeProto* add_node(pb::ModelProto& m, const std::string& name, const std::string& op,
                        std::vector<std::string> in, std::vector<std::string> out) {
  auto* n = m.mutable_graph()->add_node();
  n->set_name(name);
  n->set_op_type(op);
  for (auto& s : in) n->add_input(s);
  for (auto& s : out) n->add_output(s);
  return n;
}

void attr_float(pb::NodeProto* n, const std::string& key, float v) {
  auto* a = n->add_attribute();
  a->set_name(key);
  a->set_type(pb::AttributeProto::FLOAT);
  a->set_f(v);
}
void attr_int(pb::NodeProto* n, const std::string& key, int64_t v) {
  auto* a = n->add_attribute();
  a->set_name(key);
  a->set_type(pb::AttributeProto::INT);
  a->set_i(v);
}
void attr_ints(pb::NodeProto* n, const std::string& key, std::vector<int64_t> v) {
  auto* a = n->add_attribute();
  a->set_name(key);
  a->set_type(pb::AttributeProto::INTS);
  for (int64_t x : v) a->add_ints(x);
}
void add_initializer(pb::ModelProto& m, const std::string& name, std::vector<float> values) {
  auto* t = m.mutable_graph()->add_initializer();
  t->set_name(name);
  t->set_data_type(pb::TensorProto::FLOAT);
  t->add_dims(static_cast<int64_t>(values.size()));
  for (float v : values) t->add_float_data(v);  // the typed field, not raw_data
}

// Opset 7: Clip with min/max attributes, Squeeze/Unsqueeze with axes attributes, and a Softmax
// whose 2-D coercion at axis 1 of a rank-4 input differs from opset 13's per-axis softmax.
pb::ModelProto opset7_model() {
  pb::ModelProto m = model_with_opset(7);
  add_value(m.mutable_graph()->mutable_input(), "x", {2, 1, 4, 5});
  add_value(m.mutable_graph()->mutable_output(), "y", {1, 2, 4, 5});
  auto* clip = add_node(m, "clip", "Clip", {"x"}, {"c"});
  attr_float(clip, "min", -1.0f);
  attr_float(clip, "max", 1.5f);
  attr_ints(add_node(m, "squeeze", "Squeeze", {"c"}, {"s"}), "axes", {1});
  attr_ints(add_node(m, "unsqueeze", "Unsqueeze", {"s"}, {"u"}), "axes", {0});
  attr_int(add_node(m, "softmax", "Softmax", {"u"}, {"y"}), "axis", 1);
  return m;
}

// Opset 8: BatchNormalization with spatial=1, Clip with only max, Softmax on a rank-2 input with
// the default axis, weights also listed as graph inputs, empty (and optionally repeated) node
// names. ONNX Runtime refuses repeated names, so the numeric check runs without them.
pb::ModelProto opset8_model(bool repeat_a_name) {
  pb::ModelProto m = model_with_opset(8);
  add_value(m.mutable_graph()->mutable_input(), "x", {-1, 3, 2, 2});
  for (const char* p : {"scale", "bias", "mean", "var"})
    add_value(m.mutable_graph()->mutable_input(), p, {3});
  add_value(m.mutable_graph()->mutable_output(), "y", {-1, 3});
  add_initializer(m, "scale", {1.0f, 2.0f, 0.5f});
  add_initializer(m, "bias", {0.1f, -0.2f, 0.3f});
  add_initializer(m, "mean", {0.0f, 0.5f, -0.5f});
  add_initializer(m, "var", {1.0f, 4.0f, 0.25f});
  auto* bn = add_node(m, "", "BatchNormalization", {"x", "scale", "bias", "mean", "var"}, {"b"});
  attr_int(bn, "spatial", 1);
  attr_float(bn, "epsilon", 1e-5f);
  attr_float(add_node(m, "dup", "Clip", {"b"}, {"c"}), "max", 0.8f);
  add_node(m, repeat_a_name ? "dup" : "", "GlobalAveragePool", {"c"}, {"p"});
  add_node(m, "", "Flatten", {"p"}, {"f"});
  add_node(m, "", "Softmax", {"f"}, {"y"});
  return m;
}

std::string to_file(const pb::ModelProto& m, const TempDir& dir, const std::string& name) {
  std::string path = dir.file(name);
  qcv::test::write_file(path, m.SerializeAsString());
  return path;
}

// The original model and qcv's re-export of it give the same outputs in ONNX Runtime.
void expect_same_in_ort(const std::string& original, const ir::Graph& g, const ir::Tensor& x,
                        const TempDir& dir) {
  if (!qcv::test::ort_available()) {
    std::printf("onnxruntime-node not available: numeric check skipped\n");
    return;
  }
  std::string exported = dir.file("exported.onnx");
  qonnx::save(g, exported);
  std::vector<float> want = qcv::test::run_ort(original, x, dir);
  std::vector<float> got = qcv::test::run_ort(exported, x, dir);
  ASSERT_FALSE(want.empty());
  ASSERT_EQ(got.size(), want.size());
  for (size_t i = 0; i < want.size(); ++i) EXPECT_NEAR(got[i], want[i], 1e-6f) << i;
}

}  // namespace

TEST(LegacyForms, Opset7ClipSqueezeUnsqueezeSoftmax) {
  TempDir dir;
  std::string path = to_file(opset7_model(), dir, "opset7.onnx");
  ir::Graph g = qonnx::load(path);
  EXPECT_EQ(g.opset, 7);

  const ir::Node& clip = g.nodes[g.find_node("clip")];
  EXPECT_TRUE(clip.attrs.empty());
  ASSERT_EQ(clip.inputs.size(), 3u);
  EXPECT_EQ(g.initializer(clip.inputs[1])->as_double(0), -1.0);
  EXPECT_EQ(g.initializer(clip.inputs[2])->as_double(0), 1.5);

  const ir::Node& squeeze = g.nodes[g.find_node("squeeze")];
  ASSERT_EQ(squeeze.inputs.size(), 2u);
  EXPECT_FALSE(squeeze.has_attr("axes"));
  EXPECT_EQ(g.initializer(squeeze.inputs[1])->dtype(), ir::DType::Int64);
  EXPECT_EQ(g.initializer(squeeze.inputs[1])->to_int64_vector(), (std::vector<int64_t>{1}));
  const ir::Node& unsqueeze = g.nodes[g.find_node("unsqueeze")];
  EXPECT_EQ(g.initializer(unsqueeze.inputs.at(1))->to_int64_vector(), (std::vector<int64_t>{0}));

  // Softmax-7 at axis 1 of [1,2,4,5] normalizes over 2*4*5 values: Flatten -> Softmax -> Reshape.
  std::vector<std::string> ops;
  for (const ir::Node& n : g.nodes) ops.push_back(n.op);
  EXPECT_EQ(ops, (std::vector<std::string>{"Clip", "Squeeze", "Unsqueeze", "Flatten", "Softmax",
                                           "Reshape"}));
  const ir::Node& softmax = g.nodes[g.find_node("softmax")];
  EXPECT_EQ(softmax.op, "Softmax");
  EXPECT_EQ(softmax.attr_int("axis"), -1);
  EXPECT_EQ(g.value_type(softmax.inputs[0])->shape, (ir::Shape{1, 40}));
  EXPECT_EQ(g.outputs[0].shape, (ir::Shape{1, 2, 4, 5}));
  EXPECT_EQ(g.initializer(g.nodes.back().inputs[1])->to_int64_vector(),
            (std::vector<int64_t>{1, 2, 4, 5}));

  expect_same_in_ort(path, g, qcv::test::random_floats({2, 1, 4, 5}, 11, 2.0f), dir);
}

TEST(LegacyForms, Opset8BatchNormClipMaxSoftmaxAndNodeNames) {
  TempDir dir;
  std::string path = to_file(opset8_model(false), dir, "opset8.onnx");
  ir::Graph g = qonnx::load(path);
  // Weights that old exporters also list as graph inputs are initializers only.
  ASSERT_EQ(g.inputs.size(), 1u);
  EXPECT_EQ(g.inputs[0].dim_names.at(0), "N");

  const ir::Node& bn = g.nodes[0];
  ASSERT_EQ(bn.op, "BatchNormalization");
  EXPECT_FALSE(bn.has_attr("spatial"));
  EXPECT_FLOAT_EQ(bn.attr_float("epsilon", 0), 1e-5f);

  const ir::Node& clip = g.nodes[1];
  ASSERT_EQ(clip.op, "Clip");
  ASSERT_EQ(clip.inputs.size(), 3u);
  EXPECT_EQ(clip.inputs[1], "");  // no lower bound
  EXPECT_FLOAT_EQ(static_cast<float>(g.initializer(clip.inputs[2])->as_double(0)), 0.8f);

  // Rank 2 at the default axis 1: the same as opset 13's softmax over the last axis.
  const ir::Node& softmax = g.nodes.back();
  ASSERT_EQ(softmax.op, "Softmax");
  EXPECT_EQ(softmax.attr_int("axis"), 1);
  EXPECT_EQ(g.nodes.size(), 5u);

  expect_same_in_ort(path, g, qcv::test::random_floats({4, 3, 2, 2}, 12, 2.0f), dir);
}

TEST(LegacyForms, EmptyAndRepeatedNodeNamesBecomeUnique) {
  ir::Graph g = qonnx::load_from_bytes(opset8_model(true).SerializeAsString(), "opset8");
  std::set<std::string> names;
  for (const ir::Node& n : g.nodes) {
    EXPECT_FALSE(n.name.empty());
    names.insert(n.name);
  }
  EXPECT_EQ(names.size(), g.nodes.size());
  EXPECT_EQ(g.nodes[g.find_node("dup")].op, "Clip");  // the first keeps its name
  EXPECT_EQ(g.nodes[0].name, "BatchNormalization_0");
}

// Softmax-7 on an input with two unknown dims cannot use a constant target: Shape feeds Reshape.
TEST(LegacyForms, SoftmaxWithUnknownDimsReshapesThroughShape) {
  pb::ModelProto m = model_with_opset(11);
  add_value(m.mutable_graph()->mutable_input(), "x", {-1, -1, 3});
  add_value(m.mutable_graph()->mutable_output(), "y", {-1, -1, 3});
  attr_int(add_node(m, "sm", "Softmax", {"x"}, {"y"}), "axis", 1);
  ir::Graph g = qonnx::load_from_bytes(m.SerializeAsString(), "softmax11");
  std::vector<std::string> ops;
  for (const ir::Node& n : g.nodes) ops.push_back(n.op);
  EXPECT_EQ(ops, (std::vector<std::string>{"Flatten", "Softmax", "Shape", "Reshape"}));
  EXPECT_EQ(g.outputs[0].dtype, ir::DType::Float32);

  TempDir dir;
  expect_same_in_ort(to_file(m, dir, "softmax11.onnx"), g,
                     qcv::test::random_floats({2, 4, 3}, 13, 3.0f), dir);
}
