// External data: an Add whose constant operand lives in a .data file beside the model, written
// here byte by byte as ONNX's save_as_external_data lays it out (location, offset, length).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <cstring>

#include "onnx/onnx.h"
#include "ref/ref.h"
#include "load_errors.h"
#include "sample_graphs.h"

namespace ir = qcv::ir;
namespace pb = ::onnx;
namespace qonnx = qcv::onnx;
using qcv::test::TempDir;
using qcv::test::load_error;
using qcv::test::write_file;

namespace {

// y = x + w, with w = [1.5, -2, 3, 0.25] stored at `offset` in file `location`.
std::string model_with_external(const std::string& location, int64_t offset, int64_t length) {
  pb::ModelProto m;
  m.set_ir_version(8);
  m.add_opset_import()->set_version(13);
  pb::GraphProto* g = m.mutable_graph();
  auto add_value = [](google::protobuf::RepeatedPtrField<pb::ValueInfoProto>* list,
                      const std::string& name) {
    pb::ValueInfoProto* v = list->Add();
    v->set_name(name);
    v->mutable_type()->mutable_tensor_type()->set_elem_type(pb::TensorProto::FLOAT);
    v->mutable_type()->mutable_tensor_type()->mutable_shape()->add_dim()->set_dim_value(4);
  };
  add_value(g->mutable_input(), "x");
  add_value(g->mutable_output(), "y");
  pb::NodeProto* n = g->add_node();
  n->set_op_type("Add");
  n->add_input("x");
  n->add_input("w");
  n->add_output("y");
  pb::TensorProto* w = g->add_initializer();
  w->set_name("w");
  w->set_data_type(pb::TensorProto::FLOAT);
  w->add_dims(4);
  w->set_data_location(pb::TensorProto::EXTERNAL);
  auto entry = [w](const std::string& key, const std::string& value) {
    auto* e = w->add_external_data();
    e->set_key(key);
    e->set_value(value);
  };
  entry("location", location);
  entry("offset", std::to_string(offset));
  if (length >= 0) entry("length", std::to_string(length));
  return m.SerializeAsString();
}

std::string weight_bytes(size_t leading_zeros) {
  const float w[4] = {1.5f, -2.0f, 3.0f, 0.25f};
  std::string bytes(leading_zeros, '\0');
  bytes.append(reinterpret_cast<const char*>(w), sizeof w);
  return bytes;
}


}  // namespace

TEST(ExternalData, ReadsWeightsRelativeToTheModelFolder) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("weights"));
  write_file(dir.file("weights/model.data"), weight_bytes(16));
  write_file(dir.file("m.onnx"), model_with_external("weights/model.data", 16, 16));
  ir::Graph g = qonnx::load(dir.file("m.onnx"));
  ir::Tensor x = ir::Tensor::from_vector<float>({4}, {1, 1, 1, 1});
  std::vector<ir::Tensor> y = qcv::ref::run_graph(g, {{"x", x}});
  EXPECT_EQ(y.at(0).to_float_vector(), (std::vector<float>{2.5f, -1.0f, 4.0f, 1.25f}));
}

TEST(ExternalData, WithoutLengthReadsToTheEnd) {
  TempDir dir;
  write_file(dir.file("w.bin"), weight_bytes(4));
  write_file(dir.file("m.onnx"), model_with_external("w.bin", 4, -1));
  ir::Graph g = qonnx::load(dir.file("m.onnx"));
  EXPECT_EQ(g.initializer("w")->to_float_vector(),
            (std::vector<float>{1.5f, -2.0f, 3.0f, 0.25f}));
}

TEST(ExternalData, LocationsOutsideTheFolderAreRefused) {
  TempDir dir;
  std::filesystem::create_directories(dir.file("sub"));
  write_file(dir.file("w.bin"), weight_bytes(0));
  write_file(dir.file("sub/up.onnx"), model_with_external("../w.bin", 0, 16));
  std::string msg = load_error(dir.file("sub/up.onnx"));
  EXPECT_NE(msg.find("leaves the model's folder"), std::string::npos) << msg;
  EXPECT_NE(msg.find("up.onnx"), std::string::npos) << msg;

  write_file(dir.file("abs.onnx"), model_with_external(dir.file("w.bin"), 0, 16));
  msg = load_error(dir.file("abs.onnx"));
  EXPECT_NE(msg.find("is absolute"), std::string::npos) << msg;

  std::filesystem::create_symlink(dir.file("w.bin"), dir.file("sub/link.bin"));
  write_file(dir.file("sub/link.onnx"), model_with_external("link.bin", 0, 16));
  msg = load_error(dir.file("sub/link.onnx"));
  EXPECT_NE(msg.find("leaves the model's folder"), std::string::npos) << msg;
}

TEST(ExternalData, ShortFileAndMissingFileAreNamed) {
  TempDir dir;
  write_file(dir.file("w.bin"), weight_bytes(0).substr(0, 10));
  write_file(dir.file("m.onnx"), model_with_external("w.bin", 0, 16));
  std::string msg = load_error(dir.file("m.onnx"));
  EXPECT_NE(msg.find("initializer 'w'"), std::string::npos) << msg;
  EXPECT_NE(msg.find("16 wanted"), std::string::npos) << msg;

  write_file(dir.file("n.onnx"), model_with_external("missing.bin", 0, 16));
  msg = load_error(dir.file("n.onnx"));
  EXPECT_NE(msg.find("missing.bin"), std::string::npos) << msg;
}
