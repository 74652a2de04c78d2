// Small hand-built graphs and helpers shared by the ONNX layer's tests.
#pragma once
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>

#include "ir/ir.h"

namespace qcv::test {

inline ir::Node make_node(std::string name, std::string op, std::vector<std::string> in,
                          std::vector<std::string> out,
                          std::map<std::string, ir::Attribute> attrs = {}) {
  return ir::Node{std::move(name), std::move(op), std::move(in), std::move(out), std::move(attrs)};
}

inline ir::Tensor random_floats(ir::Shape shape, unsigned seed, float scale = 1.0f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(-scale, scale);
  ir::Tensor t(ir::DType::Float32, std::move(shape));
  for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = dist(rng);
  return t;
}

// x[batch,3,8,8] -> Q/DQ (per-tensor int8) -> Conv (weights through a per-channel int8 Q/DQ pair)
// -> BatchNormalization -> Relu -> GlobalAveragePool -> Flatten -> Gemm -> y[batch,10].
inline ir::Graph small_classifier() {
  ir::Graph g;
  g.name = "small_classifier";
  ir::Value x = ir::make_value("x", ir::DType::Float32, {-1, 3, 8, 8});
  x.dim_names = {"batch", "", "", ""};
  g.inputs = {x};
  g.outputs = {ir::make_value("y")};
  g.metadata["labels"] = "a,b,c,d,e,f,g,h,i,j";

  g.initializers["x_scale"] = ir::Tensor::scalar(0.05f);
  g.initializers["x_zero"] = ir::Tensor::scalar<int8_t>(3);
  g.initializers["w"] = random_floats({4, 3, 3, 3}, 1, 0.5f);
  g.initializers["w_scale"] = ir::Tensor::from_vector<float>({4}, {0.01f, 0.02f, 0.004f, 0.03f});
  g.initializers["w_zero"] = ir::Tensor::from_vector<int8_t>({4}, {0, 0, 0, 0});
  g.initializers["conv_b"] = random_floats({4}, 2);
  g.initializers["bn_scale"] = ir::Tensor::from_vector<float>({4}, {1.0f, 0.5f, 2.0f, 1.5f});
  g.initializers["bn_bias"] = random_floats({4}, 3);
  g.initializers["bn_mean"] = random_floats({4}, 4);
  g.initializers["bn_var"] = ir::Tensor::from_vector<float>({4}, {1.0f, 0.25f, 4.0f, 0.5f});
  g.initializers["fc_w"] = random_floats({10, 4}, 5);
  g.initializers["fc_b"] = random_floats({10}, 6);

  g.nodes = {
      make_node("x_q", "QuantizeLinear", {"x", "x_scale", "x_zero"}, {"xq"}),
      make_node("x_dq", "DequantizeLinear", {"xq", "x_scale", "x_zero"}, {"xd"}),
      make_node("w_q", "QuantizeLinear", {"w", "w_scale", "w_zero"}, {"wq"},
                {{"axis", int64_t{0}}}),
      make_node("w_dq", "DequantizeLinear", {"wq", "w_scale", "w_zero"}, {"wd"},
                {{"axis", int64_t{0}}}),
      make_node("conv", "Conv", {"xd", "wd", "conv_b"}, {"c"},
                {{"pads", std::vector<int64_t>{1, 1, 1, 1}},
                 {"kernel_shape", std::vector<int64_t>{3, 3}},
                 {"strides", std::vector<int64_t>{1, 1}},
                 {"group", int64_t{1}},
                 {"auto_pad", std::string("NOTSET")}}),
      make_node("bn", "BatchNormalization", {"c", "bn_scale", "bn_bias", "bn_mean", "bn_var"},
                {"b"}, {{"epsilon", 1e-3f}, {"momentum", 0.9f}}),
      make_node("relu", "Relu", {"b"}, {"r"}),
      make_node("gap", "GlobalAveragePool", {"r"}, {"p"}),
      make_node("flatten", "Flatten", {"p"}, {"f"}, {{"axis", int64_t{1}}}),
      make_node("fc", "Gemm", {"f", "fc_w", "fc_b"}, {"y"},
                {{"transB", int64_t{1}}, {"alpha", 1.0f}, {"beta", 1.0f}}),
  };
  return g;
}

// A fresh directory under the system temp dir, removed with its contents at destruction.
class TempDir {
 public:
  TempDir() {
    std::random_device rd;
    path_ = std::filesystem::temp_directory_path() / ("qcv_onnx_test_" + std::to_string(rd()));
    std::filesystem::create_directories(path_);
  }
  ~TempDir() {
    std::error_code ec;
    std::filesystem::remove_all(path_, ec);
  }
  std::string file(const std::string& name) const { return (path_ / name).string(); }
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
};

inline void write_file(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

inline std::string read_file(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

}  // namespace qcv::test
