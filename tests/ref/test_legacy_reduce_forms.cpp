// Older op forms of the reduce family are rewritten at import into the IR's form: ReduceSum's
// axes attribute (before opset 13) becomes an input, TopK-1's k attribute an input, and
// LogSoftmax/Hardmax before opset 13 coerce to 2-D at `axis` as Softmax does. Structure is checked,
// and the numbers against hand-computed values through the reference kernels.
#include <onnx/onnx_pb.h>

#include <cmath>

#include "onnx/onnx.h"
#include "ref_test_util.h"

namespace qcv::ref::test {
namespace {

namespace pb = ::onnx;

pb::ModelProto model(int64_t opset, const std::vector<int64_t>& in_dims) {
  pb::ModelProto m;
  m.set_ir_version(6);
  auto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(opset);
  auto* vi = m.mutable_graph()->add_input();
  vi->set_name("x");
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(pb::TensorProto::FLOAT);
  for (int64_t d : in_dims) tt->mutable_shape()->add_dim()->set_dim_value(d);
  return m;
}

pb::NodeProto* node(pb::ModelProto& m, const std::string& op, const std::string& in,
                    const std::vector<std::string>& outs) {
  auto* n = m.mutable_graph()->add_node();
  n->set_name(op + "_node");
  n->set_op_type(op);
  n->add_input(in);
  for (const auto& o : outs) {
    n->add_output(o);
    auto* vi = m.mutable_graph()->add_output();
    vi->set_name(o);
    vi->mutable_type()->mutable_tensor_type()->set_elem_type(o == "i" ? pb::TensorProto::INT64
                                                                      : pb::TensorProto::FLOAT);
  }
  return n;
}

void attr(pb::NodeProto* n, const std::string& key, std::vector<int64_t> v, bool list) {
  auto* a = n->add_attribute();
  a->set_name(key);
  if (list) {
    a->set_type(pb::AttributeProto::INTS);
    for (int64_t x : v) a->add_ints(x);
  } else {
    a->set_type(pb::AttributeProto::INT);
    a->set_i(v.at(0));
  }
}

std::vector<ir::Tensor> run_model(const pb::ModelProto& m, const ir::Tensor& x,
                                  ir::Graph* out = nullptr) {
  ir::Graph g = onnx::load_from_bytes(m.SerializeAsString(), "legacy");
  auto result = run_graph(g, {{"x", x}});
  if (out) *out = g;
  return result;
}

TEST(LegacyReduceForms, ReduceSumAxesAttributeBecomesAnInputOthersKeepIt) {
  pb::ModelProto m = model(11, {2, 3});
  auto* sum = node(m, "ReduceSum", "x", {"s"});
  attr(sum, "axes", {1}, true);
  attr(sum, "keepdims", {0}, false);
  attr(node(m, "ReduceMean", "x", {"mean"}), "axes", {0}, true);
  ir::Graph g;
  auto out = run_model(m, ir::Tensor::from_vector<float>({2, 3}, {1, 2, 3, 4, 5, 6}), &g);
  const ir::Node& s = g.nodes[g.find_node("ReduceSum_node")];
  ASSERT_EQ(s.inputs.size(), 2u);
  EXPECT_FALSE(s.has_attr("axes"));
  EXPECT_EQ(g.initializer(s.inputs[1])->to_int64_vector(), (std::vector<int64_t>{1}));
  EXPECT_EQ(g.outputs[0].shape, (ir::Shape{2}));  // known at import: the axes are a constant
  EXPECT_TRUE(g.nodes[g.find_node("ReduceMean_node")].has_attr("axes"));
  expect_floats(out[0], {2}, {6, 15});
  expect_floats(out[1], {1, 3}, {2.5f, 3.5f, 4.5f});
}

TEST(LegacyReduceForms, TopK1AttributeKBecomesAnInput) {
  pb::ModelProto m = model(1, {1, 4});
  attr(node(m, "TopK", "x", {"v", "i"}), "k", {2}, false);
  ir::Graph g;
  auto out = run_model(m, ir::Tensor::from_vector<float>({1, 4}, {3, 9, -1, 4}), &g);
  const ir::Node& t = g.nodes[0];
  ASSERT_EQ(t.inputs.size(), 2u);
  EXPECT_FALSE(t.has_attr("k"));
  EXPECT_EQ(g.outputs[0].shape, (ir::Shape{1, 2}));
  expect_floats(out[0], {1, 2}, {9, 4});
  expect_values<int64_t>(out[1], {1, 2}, {1, 3});
}

TEST(LegacyReduceForms, LogSoftmaxAndHardmaxBeforeOpset13CoerceTo2D) {
  // Axis 1 (the default) of [1, 2, 2]: both ops see the 4 trailing values as one row.
  pb::ModelProto m = model(11, {1, 2, 2});
  node(m, "LogSoftmax", "x", {"ls"});
  node(m, "Hardmax", "x", {"hm"});
  ir::Graph g;
  auto out = run_model(m, ir::Tensor::from_vector<float>({1, 2, 2}, {0, 1, 3, 2}), &g);
  std::vector<std::string> ops;
  for (const ir::Node& n : g.nodes) ops.push_back(n.op);
  EXPECT_EQ(ops, (std::vector<std::string>{"Flatten", "LogSoftmax", "Reshape", "Flatten", "Hardmax",
                                           "Reshape"}));
  const float lse = std::log(std::exp(0.f) + std::exp(1.f) + std::exp(3.f) + std::exp(2.f));
  expect_floats(out[0], {1, 2, 2}, {-lse, 1 - lse, 3 - lse, 2 - lse});
  expect_floats(out[1], {1, 2, 2}, {0, 0, 1, 0});  // opset 13 would give {0,1,1,0} per row
}

}  // namespace
}  // namespace qcv::ref::test
