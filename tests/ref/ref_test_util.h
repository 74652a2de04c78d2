// Helpers for the reference-kernel tests: build a node, run it, compare with expected values.
#pragma once
#include <gtest/gtest.h>

#include <string>
#include <vector>

#include "ref/ref.h"

namespace qcv::ref::test {

inline ir::Node make_node(const std::string& op, size_t inputs, size_t outputs = 1) {
  ir::Node n;
  n.name = op + "_under_test";
  n.op = op;
  for (size_t i = 0; i < inputs; ++i) n.inputs.push_back("in" + std::to_string(i));
  for (size_t i = 0; i < outputs; ++i) n.outputs.push_back("out" + std::to_string(i));
  return n;
}

inline std::vector<ir::Tensor> run(const ir::Node& n, const std::vector<ir::Tensor>& inputs) {
  std::vector<const ir::Tensor*> ptrs;
  for (const ir::Tensor& t : inputs) ptrs.push_back(t.empty() ? nullptr : &t);
  return run_node(n, ptrs);
}

inline void expect_floats(const ir::Tensor& t, const ir::Shape& shape,
                          const std::vector<float>& expected, float tol = 1e-5f) {
  ASSERT_EQ(t.dtype(), ir::DType::Float32);
  ASSERT_EQ(t.shape(), shape);
  std::vector<float> got = t.to_float_vector();
  ASSERT_EQ(got.size(), expected.size());
  for (size_t i = 0; i < got.size(); ++i) EXPECT_NEAR(got[i], expected[i], tol) << "element " << i;
}

template <typename T>
void expect_values(const ir::Tensor& t, const ir::Shape& shape, const std::vector<T>& expected) {
  ASSERT_EQ(t.dtype(), ir::dtype_of<T>());
  ASSERT_EQ(t.shape(), shape);
  std::vector<T> got(t.data<T>(), t.data<T>() + t.numel());
  EXPECT_EQ(got, expected);
}

}  // namespace qcv::ref::test
