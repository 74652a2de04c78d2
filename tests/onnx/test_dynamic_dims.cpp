// A dynamic dimension written as dim_value -1 (paddle2onnx does; ONNX Runtime accepts it) is an
// unknown dimension like a dim_param; other negative values stay errors.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include "ir/error.h"
#include "onnx/onnx.h"

namespace pb = ::onnx;
namespace qonnx = qcv::onnx;

namespace {

// x[d0, 3] -> Relu -> y[d0, 3].
std::string relu_model(int64_t d0) {
  pb::ModelProto m;
  m.set_ir_version(4);
  auto* o = m.add_opset_import();
  o->set_domain("");
  o->set_version(9);
  auto* g = m.mutable_graph();
  g->set_name("dims");
  for (auto* list : {g->mutable_input(), g->mutable_output()}) {
    auto* vi = list->Add();
    vi->set_name(list == g->mutable_input() ? "x" : "y");
    auto* tt = vi->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(pb::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_value(d0);
    tt->mutable_shape()->add_dim()->set_dim_value(3);
  }
  auto* n = g->add_node();
  n->set_op_type("Relu");
  n->add_input("x");
  n->add_output("y");
  return m.SerializeAsString();
}

}  // namespace

TEST(DynamicDims, MinusOneDimValueIsUnknown) {
  qcv::ir::Graph g = qonnx::load_from_bytes(relu_model(-1));
  ASSERT_EQ(g.inputs.size(), 1u);
  EXPECT_EQ(g.inputs[0].shape, (qcv::ir::Shape{-1, 3}));
}

TEST(DynamicDims, OtherNegativeDimValueIsAnError) {
  try {
    qonnx::load_from_bytes(relu_model(-2));
    FAIL() << "a dim_value of -2 was accepted";
  } catch (const qcv::Error& e) {
    EXPECT_NE(std::string(e.what()).find("negative dimension -2"), std::string::npos) << e.what();
  }
}
