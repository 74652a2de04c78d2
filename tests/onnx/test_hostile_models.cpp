// Issue 15: sizes in a model or tensor file are checked (overflow, QCV_MAX_TENSOR_BYTES, node
// count) before anything is allocated, and malformed graphs are refused, each with one qcv::Error
// naming the file and what was wrong.
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>
#include <stdlib.h>

#include <filesystem>

#include "onnx/onnx.h"
#include "load_errors.h"
#include "sample_graphs.h"

namespace ir = qcv::ir;
namespace pb = ::onnx;
namespace qonnx = qcv::onnx;
using qcv::test::TempDir;
using qcv::test::bytes_error;
using qcv::test::contains;
using qcv::test::write_file;

namespace {



// x[1,4] -> Relu -> y, opset 13, written field by field.
pb::ModelProto relu_model() {
  pb::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  pb::GraphProto* g = m.mutable_graph();
  for (auto [list, name] : {std::pair{g->mutable_input(), "x"}, std::pair{g->mutable_output(), "y"}}) {
    pb::ValueInfoProto* v = list->Add();
    v->set_name(name);
    auto* tt = v->mutable_type()->mutable_tensor_type();
    tt->set_elem_type(pb::TensorProto::FLOAT);
    tt->mutable_shape()->add_dim()->set_dim_value(1);
    tt->mutable_shape()->add_dim()->set_dim_value(4);
  }
  pb::NodeProto* n = g->add_node();
  n->set_op_type("Relu");
  n->add_input("x");
  n->add_output("y");
  return m;
}

pb::TensorProto* add_int64_initializer(pb::GraphProto* g, const std::string& name,
                                       std::vector<int64_t> values) {
  pb::TensorProto* t = g->add_initializer();
  t->set_name(name);
  t->set_data_type(pb::TensorProto::INT64);
  t->add_dims(static_cast<int64_t>(values.size()));
  for (int64_t v : values) t->add_int64_data(v);
  return t;
}

}  // namespace

TEST(HostileModels, InitializerDimsThatWrapInt64) {
  pb::ModelProto m = relu_model();
  pb::TensorProto* t = m.mutable_graph()->add_initializer();
  t->set_name("w");
  t->set_data_type(pb::TensorProto::FLOAT);
  t->add_dims(int64_t{1} << 32);
  t->add_dims(int64_t{1} << 32);  // 2^64 elements: wraps to 0, which an empty raw_data matches
  t->set_raw_data("");
  std::string e = bytes_error(m, "hostile.onnx");
  EXPECT_TRUE(contains(e, "hostile.onnx") && contains(e, "'w'") && contains(e, "overflows")) << e;
}

TEST(HostileModels, InitializerOverTheCeilingIsRefusedBeforeAllocating) {
  pb::ModelProto m = relu_model();
  pb::TensorProto* t = m.mutable_graph()->add_initializer();
  t->set_name("big");
  t->set_data_type(pb::TensorProto::FLOAT);
  t->add_dims(int64_t{1} << 31);  // 8 GiB claimed by a few bytes of raw_data
  t->set_raw_data("abcd");
  std::string e = bytes_error(m, "hostile.onnx");
  EXPECT_TRUE(contains(e, "'big'") && contains(e, "QCV_MAX_TENSOR_BYTES")) << e;
}

TEST(HostileModels, GraphInputShapeThatWrapsOrIsExabytes) {
  pb::ModelProto m = relu_model();
  auto* shape = m.mutable_graph()->mutable_input(0)->mutable_type()->mutable_tensor_type()->mutable_shape();
  shape->mutable_dim(0)->set_dim_value(int64_t{1} << 33);
  shape->mutable_dim(1)->set_dim_value(int64_t{1} << 33);
  std::string e = bytes_error(m, "hostile.onnx");
  EXPECT_TRUE(contains(e, "graph input 'x'") && contains(e, "overflows")) << e;
  shape->mutable_dim(1)->set_dim_value(int64_t{1} << 20);  // 2^53 floats: no overflow, 32 PiB
  e = bytes_error(m, "hostile.onnx");
  EXPECT_TRUE(contains(e, "graph input 'x'") && contains(e, "QCV_MAX_TENSOR_BYTES")) << e;
}

// A shape computed inside the graph (Expand to a constant target) that wraps int64 or is larger
// than the ceiling is refused at import, naming the node, instead of reaching the runtime as a
// request for 1.8e19 bytes.
TEST(HostileModels, ComputedShapeOverTheCeilingNamesTheNode) {
  for (std::vector<int64_t> target : {std::vector<int64_t>{int64_t{1} << 32, int64_t{1} << 32, 4},
                                      std::vector<int64_t>{1 << 20, 1 << 20, 4}}) {
    pb::ModelProto m = relu_model();
    pb::GraphProto* g = m.mutable_graph();
    g->mutable_node(0)->set_output(0, "r");
    pb::NodeProto* n = g->add_node();
    n->set_op_type("Expand");
    n->set_name("blow_up");
    n->add_input("r");
    n->add_input("target");
    n->add_output("y");
    add_int64_initializer(g, "target", target);
    g->mutable_output(0)->mutable_type()->mutable_tensor_type()->clear_shape();
    std::string e = bytes_error(m, "hostile.onnx");
    EXPECT_TRUE(contains(e, "hostile.onnx") && contains(e, "blow_up")) << e;
  }
}

TEST(HostileModels, NodeCountOverTheCeiling) {
  pb::ModelProto m = relu_model();
  pb::GraphProto* g = m.mutable_graph();
  g->mutable_node(0)->set_output(0, "r0");
  for (int i = 1; i <= 10; ++i) {
    pb::NodeProto* n = g->add_node();
    n->set_op_type("Relu");
    n->add_input("r" + std::to_string(i - 1));
    n->add_output(i == 10 ? "y" : "r" + std::to_string(i));
  }
  EXPECT_EQ(bytes_error(m, "hostile.onnx"), "");  // 11 nodes load under the default ceiling
  ::setenv("QCV_MAX_GRAPH_NODES", "10", 1);
  std::string e = bytes_error(m, "hostile.onnx");
  ::unsetenv("QCV_MAX_GRAPH_NODES");
  EXPECT_TRUE(contains(e, "hostile.onnx") && contains(e, "11 nodes") && contains(e, "QCV_MAX_GRAPH_NODES")) << e;
}

TEST(HostileModels, DuplicateGraphInputs) {
  pb::ModelProto m = relu_model();
  *m.mutable_graph()->add_input() = m.graph().input(0);
  std::string e = bytes_error(m, "hostile.onnx");
  EXPECT_TRUE(contains(e, "hostile.onnx") && contains(e, "graph input 'x' appears twice")) << e;
}

TEST(HostileModels, ValueProducedTwiceOrOverwritingAnInput) {
  pb::ModelProto m = relu_model();
  *m.mutable_graph()->add_node() = m.graph().node(0);
  std::string e = bytes_error(m, "hostile.onnx");
  EXPECT_TRUE(contains(e, "hostile.onnx") && contains(e, "'y'") && contains(e, "produced by both")) << e;

  m = relu_model();
  pb::NodeProto* n = m.mutable_graph()->add_node();
  n->set_op_type("Relu");
  n->set_name("overwrite");
  n->add_input("y");
  n->add_output("x");  // writes the graph input
  e = bytes_error(m, "hostile.onnx");
  EXPECT_TRUE(contains(e, "overwrite") && contains(e, "already a graph input")) << e;
}

TEST(HostileModels, DirectoryPassedAsModel) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("model.onnx"));
  std::string e;
  try {
    qonnx::load(dir.file("model.onnx"));
  } catch (const qcv::Error& err) {
    e = err.what();
  }
  EXPECT_TRUE(contains(e, dir.file("model.onnx")) && contains(e, "is a directory")) << e;
  try {
    qonnx::load_tensor(dir.path().string());
    e = "";
  } catch (const qcv::Error& err) {
    e = err.what();
  }
  EXPECT_TRUE(contains(e, "is a directory")) << e;
}

TEST(HostileModels, TensorFileSizesAreChecked) {
  TempDir dir;
  pb::TensorProto t;
  t.set_name("t");
  t.set_data_type(pb::TensorProto::FLOAT);
  t.add_dims(int64_t{1} << 32);
  t.add_dims(int64_t{1} << 32);
  write_file(dir.file("wrap.pb"), t.SerializeAsString());
  std::string e;
  try {
    qonnx::load_tensor(dir.file("wrap.pb"));
  } catch (const qcv::Error& err) {
    e = err.what();
  }
  EXPECT_TRUE(contains(e, "wrap.pb") && contains(e, "overflows")) << e;

  // A bool byte other than 0/1 (ONNX: nonzero is true) becomes 1: C++ bool may only hold 0/1.
  pb::TensorProto b;
  b.set_data_type(pb::TensorProto::BOOL);
  b.add_dims(3);
  b.set_raw_data(std::string("\x00\x07\x01", 3));
  write_file(dir.file("bool.pb"), b.SerializeAsString());
  ir::Tensor got = qonnx::load_tensor(dir.file("bool.pb"));
  const auto* raw = static_cast<const uint8_t*>(got.raw());
  EXPECT_EQ(raw[0], 0);
  EXPECT_EQ(raw[1], 1);
  EXPECT_EQ(raw[2], 1);
}

// External data: the length must be the tensor's size (checked before reading), and a shape over
// the ceiling is refused before the file is touched.
TEST(HostileModels, ExternalDataLengthMustMatchTheShape) {
  TempDir dir;
  write_file(dir.file("w.bin"), std::string(64, '\0'));
  auto model = [](int64_t dim, int64_t length) {
    pb::ModelProto m = relu_model();
    pb::TensorProto* w = m.mutable_graph()->add_initializer();
    w->set_name("w");
    w->set_data_type(pb::TensorProto::FLOAT);
    w->add_dims(dim);
    w->set_data_location(pb::TensorProto::EXTERNAL);
    auto* e = w->add_external_data();
    e->set_key("location");
    e->set_value("w.bin");
    if (length >= 0) {
      e = w->add_external_data();
      e->set_key("length");
      e->set_value(std::to_string(length));
    }
    return m.SerializeAsString();
  };
  auto error = [&](const std::string& bytes) {
    write_file(dir.file("m.onnx"), bytes);
    try {
      qonnx::load(dir.file("m.onnx"));
    } catch (const qcv::Error& e) {
      return std::string(e.what());
    }
    return std::string();
  };
  EXPECT_EQ(error(model(16, -1)), "");  // no length: the tensor's 64 bytes
  EXPECT_EQ(error(model(16, 64)), "");
  std::string e = error(model(4, 64));  // 64 bytes for 4 floats
  EXPECT_TRUE(contains(e, "m.onnx") && contains(e, "'w'") && contains(e, "needs 16")) << e;
  e = error(model(32, -1));  // 128 bytes wanted, 64 present
  EXPECT_TRUE(contains(e, "'w'") && contains(e, "holds 64 bytes")) << e;
  e = error(model(int64_t{1} << 40, -1));
  EXPECT_TRUE(contains(e, "'w'") && contains(e, "QCV_MAX_TENSOR_BYTES")) << e;
}
