// Corrupt files and unsupported models give one qcv::Error naming the file (never a crash).
#include <gtest/gtest.h>
#include <onnx/onnx_pb.h>

#include <random>

#include "onnx/onnx.h"
#include "load_errors.h"
#include "sample_graphs.h"

namespace ir = qcv::ir;
namespace pb = ::onnx;
namespace qonnx = qcv::onnx;
using qcv::test::TempDir;
using qcv::test::bytes_error;
using qcv::test::contains;
using qcv::test::load_error;
using qcv::test::write_file;

namespace {

// The message of the qcv::Error that loading `path` throws ("" if it does not throw).



// A valid opset-13 model (one Relu) to break in various ways.
pb::ModelProto relu_model() {
  pb::ModelProto m;
  m.ParseFromString(qonnx::save_to_bytes([] {
    ir::Graph g;
    g.inputs = {ir::make_value("x", ir::DType::Float32, {1, 4})};
    g.outputs = {ir::make_value("y")};
    g.nodes = {qcv::test::make_node("relu", "Relu", {"x"}, {"y"})};
    return g;
  }()));
  return m;
}

}  // namespace

TEST(BadInput, EmptyFile) {
  TempDir dir;
  std::string path = dir.file("empty.onnx");
  write_file(path, "");
  std::string msg = load_error(path);
  EXPECT_TRUE(contains(msg, path)) << msg;
  EXPECT_TRUE(contains(msg, "empty")) << msg;
}

TEST(BadInput, MissingFile) {
  std::string msg = load_error("/nonexistent/model.onnx");
  EXPECT_TRUE(contains(msg, "/nonexistent/model.onnx")) << msg;
}

TEST(BadInput, TextFile) {
  TempDir dir;
  std::string path = dir.file("notes.onnx");
  write_file(path, "This is not a model.\nJust some text, a few lines long.\n");
  std::string msg = load_error(path);
  EXPECT_TRUE(contains(msg, path)) << msg;
}

TEST(BadInput, TruncatedModelAtEveryFewBytes) {
  TempDir dir;
  std::string full = qonnx::save_to_bytes(qcv::test::small_classifier());
  std::string path = dir.file("truncated.onnx");
  int cuts = 0;
  for (size_t len = 1; len < full.size(); len += 37, ++cuts) {
    write_file(path, full.substr(0, len));
    std::string msg = load_error(path);
    EXPECT_TRUE(contains(msg, path)) << "length " << len << ": " << msg;
  }
  EXPECT_GT(cuts, 20);
}

TEST(BadInput, RandomBytesWithAFixedSeed) {
  std::mt19937 rng(1234);
  for (int trial = 0; trial < 300; ++trial) {
    std::string bytes(1 + rng() % 2000, '\0');
    for (char& c : bytes) c = static_cast<char>(rng());
    std::string origin = "random_" + std::to_string(trial) + ".onnx";
    std::string msg = bytes_error(bytes, origin);
    EXPECT_TRUE(contains(msg, origin)) << msg;
  }
}

TEST(BadInput, RandomlyCorruptedBytesOfARealModel) {
  std::string full = qonnx::save_to_bytes(qcv::test::small_classifier());
  std::mt19937 rng(99);
  for (int trial = 0; trial < 200; ++trial) {
    std::string bytes = full;
    for (int k = 0; k < 4; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng());
    try {
      qonnx::load_from_bytes(bytes, "corrupt.onnx");  // may still be a valid model
    } catch (const qcv::Error& e) {
      EXPECT_TRUE(contains(e.what(), "corrupt.onnx")) << e.what();
    }
  }
}

TEST(BadInput, UnknownOpNamesFileNodeAndOp) {
  pb::ModelProto m = relu_model();
  m.mutable_graph()->mutable_node(0)->set_op_type("Frobnicate");
  std::string msg = bytes_error(m.SerializeAsString(), "frob.onnx");
  EXPECT_TRUE(contains(msg, "file 'frob.onnx': node 'relu' (Frobnicate): unsupported op 'Frobnicate' (opset 13)"))
      << msg;
}

TEST(BadInput, UnsupportedControlFlowOp) {
  pb::ModelProto m = relu_model();
  m.mutable_graph()->mutable_node(0)->set_op_type("Loop");
  std::string msg = bytes_error(m.SerializeAsString());
  EXPECT_TRUE(contains(msg, "unsupported op 'Loop'")) << msg;
}

TEST(BadInput, NonDefaultDomainIsNamed) {
  pb::ModelProto m = relu_model();
  m.mutable_graph()->mutable_node(0)->set_domain("ai.onnx.ml");
  auto* o = m.add_opset_import();
  o->set_domain("ai.onnx.ml");
  o->set_version(1);
  std::string msg = bytes_error(m.SerializeAsString());
  EXPECT_TRUE(contains(msg, "ai.onnx.ml")) << msg;
}

TEST(BadInput, OpsetOutOfRange) {
  for (int64_t opset : {0, 18}) {
    pb::ModelProto m = relu_model();
    m.mutable_opset_import(0)->set_version(opset);
    std::string msg = bytes_error(m.SerializeAsString());
    EXPECT_TRUE(contains(msg, "opset " + std::to_string(opset))) << msg;
  }
}

TEST(BadInput, NoGraphOrNoNodesOrNoIrVersion) {
  pb::ModelProto m = relu_model();
  m.clear_ir_version();
  EXPECT_TRUE(contains(bytes_error(m.SerializeAsString()), "ir_version"));
  m = relu_model();
  m.mutable_graph()->clear_node();
  EXPECT_TRUE(contains(bytes_error(m.SerializeAsString()), "no nodes"));
  m = relu_model();
  m.clear_graph();
  EXPECT_TRUE(contains(bytes_error(m.SerializeAsString()), "no graph"));
}

TEST(BadInput, UnsupportedAttributeValuesNameNodeOpAndAttribute) {
  pb::ModelProto m = relu_model();
  auto* n = m.mutable_graph()->mutable_node(0);
  n->set_op_type("BatchNormalization");
  auto* a = n->add_attribute();
  a->set_name("spatial");  // per-activation statistics (BatchNormalization before opset 9)
  a->set_type(pb::AttributeProto::INT);
  a->set_i(0);
  std::string msg = bytes_error(m.SerializeAsString(), "bn.onnx");
  EXPECT_TRUE(contains(msg, "bn.onnx")) << msg;
  EXPECT_TRUE(contains(msg, "node 'relu' (BatchNormalization)")) << msg;
  EXPECT_TRUE(contains(msg, "spatial")) << msg;
}

TEST(BadInput, ExternalDataAndUnsupportedDtypeNameTheTensor) {
  pb::ModelProto m = relu_model();
  auto* t = m.mutable_graph()->add_initializer();
  t->set_name("big_weight");
  t->set_data_type(pb::TensorProto::FLOAT);
  t->add_dims(4);
  t->set_data_location(pb::TensorProto::EXTERNAL);
  auto* e = t->add_external_data();
  e->set_key("location");
  e->set_value("weights.bin");
  std::string msg = bytes_error(m.SerializeAsString());
  EXPECT_TRUE(contains(msg, "big_weight")) << msg;
  EXPECT_TRUE(contains(msg, "external data")) << msg;

  t->clear_external_data();
  t->set_data_location(pb::TensorProto::DEFAULT);
  t->set_data_type(pb::TensorProto::FLOAT16);
  for (int i = 0; i < 4; ++i) t->add_int32_data(0x3c00);
  msg = bytes_error(m.SerializeAsString());
  EXPECT_TRUE(contains(msg, "big_weight")) << msg;
  EXPECT_TRUE(contains(msg, "FLOAT16")) << msg;
}

TEST(BadInput, TensorWithTooFewValues) {
  pb::ModelProto m = relu_model();
  auto* t = m.mutable_graph()->add_initializer();
  t->set_name("w");
  t->set_data_type(pb::TensorProto::FLOAT);
  t->add_dims(1000000000);
  t->add_dims(1000000000);  // 10^18 elements with 1 value: refused before allocating
  t->add_float_data(1.0f);
  std::string msg = bytes_error(m.SerializeAsString());
  EXPECT_TRUE(contains(msg, "'w'")) << msg;
}

TEST(BadInput, CorruptTensorFiles) {
  TempDir dir;
  std::string path = dir.file("t.pb");
  qonnx::save_tensor(qcv::test::random_floats({8, 8}, 3), path, "t");
  std::string full = qcv::test::read_file(path);
  for (std::string bytes : {std::string(), full.substr(0, full.size() / 2), std::string("hello")}) {
    write_file(path, bytes);
    try {
      qonnx::load_tensor(path);
      FAIL() << "expected qcv::Error for " << bytes.size() << " bytes";
    } catch (const qcv::Error& e) {
      EXPECT_TRUE(contains(e.what(), path)) << e.what();
    }
  }
}
