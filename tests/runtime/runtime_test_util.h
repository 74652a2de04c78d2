// Helpers for runtime tests: small graphs built by hand with seeded random weights, and the
// comparison of a Session against the reference kernels (the oracle).
#pragma once
#include <gtest/gtest.h>

#include <cmath>
#include <map>
#include <random>
#include <string>
#include <vector>

#include "ir/ir.h"
#include "ref/ref.h"
#include "runtime/session.h"

namespace qcv::testing {

inline ir::Tensor random_tensor(ir::Shape shape, uint32_t seed, float lo = -1.f, float hi = 1.f) {
  std::mt19937 rng(seed);
  std::uniform_real_distribution<float> dist(lo, hi);
  ir::Tensor t(ir::DType::Float32, std::move(shape));
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) p[i] = dist(rng);
  return t;
}

// Builds graphs node by node; names are generated.
class GraphMaker {
 public:
  ir::Graph g;
  uint32_t seed = 1;

  std::string input(const std::string& name, ir::Shape shape) {
    g.inputs.push_back(ir::make_value(name, ir::DType::Float32, std::move(shape)));
    return name;
  }
  std::string constant(ir::Shape shape, float lo = -1.f, float hi = 1.f) {
    return g.add_initializer("c", random_tensor(std::move(shape), seed++, lo, hi));
  }
  std::string constant(const ir::Tensor& t) { return g.add_initializer("c", t); }
  std::string node(const std::string& op, std::vector<std::string> inputs,
                   std::map<std::string, ir::Attribute> attrs = {}) {
    ir::Node n;
    n.name = op + "_" + std::to_string(g.nodes.size());
    n.op = op;
    n.inputs = std::move(inputs);
    n.outputs = {n.name + "_out"};
    n.attrs = std::move(attrs);
    g.nodes.push_back(n);
    return n.outputs[0];
  }
  // Conv with random weights [out, in/group, k, k] and bias.
  std::string conv(const std::string& x, int64_t in, int64_t out, int64_t k,
                   std::map<std::string, ir::Attribute> attrs = {}, bool bias = true) {
    int64_t group = attrs.count("group") ? std::get<int64_t>(attrs["group"]) : 1;
    float bound = 1.f / std::sqrt(static_cast<float>(in / group * k * k));
    std::vector<std::string> ins = {x, constant({out, in / group, k, k}, -bound, bound)};
    if (bias) ins.push_back(constant({out}, -0.1f, 0.1f));
    return node("Conv", ins, std::move(attrs));
  }
  void output(const std::string& name) { g.outputs.push_back(ir::make_value(name)); }
};

// max |a - b| / max |b| over all elements (relative to the reference's scale).
inline double relative_error(const ir::Tensor& got, const ir::Tensor& want) {
  EXPECT_EQ(got.shape(), want.shape());
  if (got.shape() != want.shape()) return INFINITY;
  const float* a = got.data<float>();
  const float* b = want.data<float>();
  double diff = 0, scale = 1e-12;
  for (int64_t i = 0; i < got.numel(); ++i) {
    diff = std::max(diff, static_cast<double>(std::fabs(a[i] - b[i])));
    scale = std::max(scale, static_cast<double>(std::fabs(b[i])));
    if (std::isnan(a[i]) != std::isnan(b[i])) return INFINITY;
  }
  return diff / scale;
}

// Runs the graph through a Session and through ref::run_graph on the same random inputs; returns
// the largest relative error over the outputs.
inline double compare_with_ref(const ir::Graph& g, runtime::Session& s,
                               const std::vector<ir::Shape>& input_shapes, uint32_t seed = 7) {
  std::map<std::string, ir::Tensor> feeds;
  for (size_t k = 0; k < g.inputs.size(); ++k)
    feeds[g.inputs[k].name] = random_tensor(input_shapes[k], seed + static_cast<uint32_t>(k));
  std::vector<ir::Tensor> want = ref::run_graph(g, feeds);
  std::vector<ir::Tensor> got = s.run(feeds);
  EXPECT_EQ(got.size(), want.size());
  double err = 0;
  for (size_t k = 0; k < got.size() && k < want.size(); ++k)
    err = std::max(err, relative_error(got[k], want[k]));
  return err;
}

inline double compare_with_ref(const ir::Graph& g, const std::vector<ir::Shape>& input_shapes,
                               runtime::SessionOptions options = {}) {
  runtime::Session s(g, options);
  return compare_with_ref(g, s, input_shapes);
}

}  // namespace qcv::testing
