// Export then import: the graph must come back with the same structure and the same bytes.
#include <gtest/gtest.h>

#include <cstring>

#include "onnx/onnx.h"
#include "sample_graphs.h"

namespace ir = qcv::ir;
namespace qonnx = qcv::onnx;
using qcv::test::make_node;
using qcv::test::small_classifier;
using qcv::test::TempDir;

namespace {

void expect_same_tensor(const ir::Tensor& a, const ir::Tensor& b, const std::string& what) {
  ASSERT_EQ(a.dtype(), b.dtype()) << what;
  ASSERT_EQ(a.shape(), b.shape()) << what;
  EXPECT_EQ(std::memcmp(a.raw(), b.raw(), a.nbytes()), 0) << what;
}

void expect_same_attribute(const ir::Attribute& a, const ir::Attribute& b,
                           const std::string& what) {
  ASSERT_EQ(a.index(), b.index()) << what;
  std::visit(
      [&](const auto& va) {
        using T = std::decay_t<decltype(va)>;
        if constexpr (std::is_same_v<T, ir::Tensor>)
          expect_same_tensor(va, std::get<T>(b), what);
        else
          EXPECT_EQ(va, std::get<T>(b)) << what;
      },
      a);
}

void expect_same_graph(const ir::Graph& a, const ir::Graph& b) {
  EXPECT_EQ(a.name, b.name);
  ASSERT_EQ(a.nodes.size(), b.nodes.size());
  for (size_t i = 0; i < a.nodes.size(); ++i) {
    const ir::Node &na = a.nodes[i], &nb = b.nodes[i];
    EXPECT_EQ(na.name, nb.name);
    EXPECT_EQ(na.op, nb.op);
    EXPECT_EQ(na.inputs, nb.inputs) << na.name;
    EXPECT_EQ(na.outputs, nb.outputs) << na.name;
    ASSERT_EQ(na.attrs.size(), nb.attrs.size()) << na.name;
    for (const auto& [key, value] : na.attrs) {
      ASSERT_TRUE(nb.has_attr(key)) << na.name << "." << key;
      expect_same_attribute(value, nb.attrs.at(key), na.name + "." + key);
    }
  }
  ASSERT_EQ(a.initializers.size(), b.initializers.size());
  for (const auto& [name, t] : a.initializers) {
    ASSERT_TRUE(b.is_initializer(name)) << name;
    expect_same_tensor(t, *b.initializer(name), name);
  }
  EXPECT_EQ(a.metadata, b.metadata);
}

}  // namespace

TEST(RoundTrip, SmallQdqClassifierThroughAFile) {
  ir::Graph g = small_classifier();
  TempDir dir;
  std::string path = dir.file("small.onnx");
  qonnx::save(g, path);
  ir::Graph back = qonnx::load(path);

  ir::infer_shapes(g);  // the reference, sorted and typed as load() returns graphs
  expect_same_graph(g, back);
  EXPECT_EQ(back.opset, 13);
  ASSERT_EQ(back.inputs.size(), 1u);
  EXPECT_EQ(back.inputs[0].name, "x");
  EXPECT_EQ(back.inputs[0].shape, (ir::Shape{-1, 3, 8, 8}));
  EXPECT_EQ(back.inputs[0].dim_names, (std::vector<std::string>{"batch", "", "", ""}));
  ASSERT_EQ(back.outputs.size(), 1u);
  EXPECT_EQ(back.outputs[0].dtype, ir::DType::Float32);
  EXPECT_EQ(back.outputs[0].shape, (ir::Shape{-1, 10}));
  // The per-channel weight quantization keeps its axis and int8 zero points.
  const ir::Node& wq = back.nodes[back.find_node("w_q")];
  EXPECT_EQ(wq.attr_int("axis"), 0);
  EXPECT_EQ(back.initializer("w_zero")->dtype(), ir::DType::Int8);
  EXPECT_EQ(back.value_type("wq")->dtype, ir::DType::Int8);
  // No temporary file is left behind.
  int files = 0;
  for (const auto& e : std::filesystem::directory_iterator(dir.path()))
    files += e.is_regular_file();
  EXPECT_EQ(files, 1);
}

TEST(RoundTrip, BytesAreStableAcrossTwoExports) {
  ir::Graph g = small_classifier();
  std::string once = qonnx::save_to_bytes(g);
  std::string twice = qonnx::save_to_bytes(qonnx::load_from_bytes(once));
  EXPECT_EQ(once, twice);
}

TEST(RoundTrip, EveryAttributeTypeSurvives) {
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {2, 3})};
  g.outputs = {ir::make_value("y")};
  // Relu ignores attributes, which lets this test carry one of each kind.
  g.nodes = {make_node("r", "Relu", {"x"}, {"y"},
                       {{"an_int", int64_t{-7}},
                        {"a_float", 0.25f},
                        {"a_string", std::string("hello")},
                        {"ints", std::vector<int64_t>{1, -2, 3}},
                        {"floats", std::vector<float>{0.5f, -1.5f}},
                        {"empty_ints", std::vector<int64_t>{}},
                        {"tensor", ir::Tensor::from_vector<int32_t>({2, 2}, {1, 2, 3, 4})}})};
  ir::Graph back = qonnx::load_from_bytes(qonnx::save_to_bytes(g));
  ir::infer_shapes(g);
  expect_same_graph(g, back);
}

TEST(RoundTrip, ConstantNodeBecomesAnInitializer) {
  ir::Graph g;
  g.inputs = {ir::make_value("x", ir::DType::Float32, {2, 6})};
  g.outputs = {ir::make_value("y")};
  g.nodes = {make_node("shape", "Constant", {}, {"s"},
                       {{"value", ir::Tensor::from_vector<int64_t>({2}, {3, 4})}}),
             make_node("reshape", "Reshape", {"x", "s"}, {"y"})};
  ir::Graph back = qonnx::load_from_bytes(qonnx::save_to_bytes(g));
  ASSERT_EQ(back.nodes.size(), 1u);
  EXPECT_EQ(back.nodes[0].op, "Reshape");
  ASSERT_TRUE(back.is_initializer("s"));
  EXPECT_EQ(back.initializer("s")->to_int64_vector(), (std::vector<int64_t>{3, 4}));
  EXPECT_EQ(back.outputs[0].shape, (ir::Shape{3, 4}));
}

TEST(RoundTrip, TensorFileKeepsDtypeShapeAndBytes) {
  TempDir dir;
  for (ir::Tensor t : {qcv::test::random_floats({2, 3, 4}, 9),
                       ir::Tensor::from_vector<int8_t>({3}, {-128, 0, 127}),
                       ir::Tensor::from_vector<uint8_t>({2}, {0, 255}),
                       ir::Tensor::from_vector<int64_t>({2}, {-5, int64_t{1} << 40}),
                       ir::Tensor::from_vector<bool>({3}, {true, false, true}),
                       ir::Tensor::scalar<int32_t>(-3), ir::Tensor(ir::DType::Float32, {0, 4})}) {
    std::string path = dir.file("t.pb");
    qonnx::save_tensor(t, path, "t");
    expect_same_tensor(t, qonnx::load_tensor(path), ir::dtype_name(t.dtype()));
  }
}

TEST(RoundTrip, SaveToAnUnwritableDirectoryNamesThePath) {
  const std::string path = "/nonexistent_qcv_dir/model.onnx";
  try {
    qonnx::save(small_classifier(), path);
    FAIL() << "expected qcv::Error";
  } catch (const qcv::Error& e) {
    EXPECT_NE(std::string(e.what()).find(path), std::string::npos) << e.what();
  }
}

TEST(RoundTrip, InvalidGraphIsNotExported) {
  ir::Graph g = small_classifier();
  g.nodes[4].inputs[0] = "missing";  // the conv reads a value nobody produces
  TempDir dir;
  std::string path = dir.file("bad.onnx");
  EXPECT_THROW(qonnx::save(g, path), qcv::Error);
  EXPECT_FALSE(std::filesystem::exists(path));
}
