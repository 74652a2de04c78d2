// Issue 15: constant folding of a small model must not allocate gigabytes. Each folded value and
// the total folded by one call are bounded (both scale down with QCV_MAX_TENSOR_BYTES, so these
// tests run at a few MB); what is not folded stays a node and the graph still computes the same.
#include <gtest/gtest.h>
#include <stdlib.h>

#include "graph_builder.h"
#include "passes/passes.h"
#include "ref/ref.h"

using namespace qcv;
using qcv::test::i64;
using qcv::test::make_node;

namespace {

// Sets QCV_MAX_TENSOR_BYTES for one test, whatever way the test ends.
struct TensorCeiling {
  explicit TensorCeiling(const char* value) { ::setenv("QCV_MAX_TENSOR_BYTES", value, 1); }
  ~TensorCeiling() { ::unsetenv("QCV_MAX_TENSOR_BYTES"); }
};

uint64_t initializer_bytes(const ir::Graph& g) {
  uint64_t total = 0;
  for (const auto& [name, t] : g.initializers) total += t.nbytes();
  return total;
}

// `count` ConstantOfShape nodes, each a float32 [elements] filled with its index, summed into y.
ir::Graph many_constants(int count, int64_t elements) {
  ir::Graph g;
  g.initializers["shape"] = i64({elements});
  g.outputs = {ir::make_value("y")};
  std::string sum;
  for (int i = 0; i < count; ++i) {
    std::string c = "c" + std::to_string(i);
    g.nodes.push_back(make_node(c, "ConstantOfShape", {"shape"}, {c},
                                {{"value", ir::Tensor::from_vector<float>({1}, {float(i)})}}));
    if (i == 0) {
      sum = c;
      continue;
    }
    std::string next = i == count - 1 ? "y" : "s" + std::to_string(i);
    g.nodes.push_back(make_node("add" + std::to_string(i), "Add", {sum, c}, {next}));
    sum = next;
  }
  return g;
}

}  // namespace

TEST(FoldLimits, TotalFoldedBytesAreBounded) {
  TensorCeiling ceiling("1M");  // per value 1 MiB, per call 4 MiB (+ 1 MiB small)
  // 64 values of 256 KiB and 63 sums: 32 MiB if everything folded.
  ir::Graph g = many_constants(64, 65536);
  passes::fold_constants(g);
  const uint64_t folded = initializer_bytes(g);
  EXPECT_LE(folded, (4u << 20) + (1u << 20) + 8);
  EXPECT_GT(folded, 1u << 20);  // it still folds what fits
  EXPECT_FALSE(g.nodes.empty());
  // A second call (canonicalize and optimize repeat the pass) cannot add more: the graph's
  // constants are already at the ceiling.
  passes::fold_constants(g);
  EXPECT_LE(initializer_bytes(g), (4u << 20) + (2u << 20) + 8);
  // The rest is computed at run time, with the same result: sum of 0..63 everywhere.
  auto out = ref::run_graph(g, {});
  ASSERT_EQ(out.at(0).numel(), 65536);
  EXPECT_EQ(out.at(0).data<float>()[0], 2016.0f);
  EXPECT_EQ(out.at(0).data<float>()[65535], 2016.0f);
}

// A value larger than the per-value ceiling (64 MiB; Expand, Tile, ConstantOfShape, Range of a
// small input) is left to run time: the kernel is never run at fold time (nothing of 128 MiB is
// allocated here).
TEST(FoldLimits, LargeValuesAreNotFolded) {
  ir::Graph g;
  g.initializers["one"] = ir::Tensor::from_vector<float>({1}, {1.0f});
  g.initializers["big_shape"] = i64({1 << 13, 1 << 12});  // 128 MiB of float
  g.initializers["reps"] = i64({1 << 25});                  // 128 MiB of float
  g.initializers["zero"] = i64({0}, true);
  g.initializers["limit"] = i64({1 << 24}, true);           // 128 MiB of int64
  g.initializers["step"] = i64({1}, true);
  g.outputs = {ir::make_value("e"), ir::make_value("t"), ir::make_value("c"), ir::make_value("r")};
  g.nodes = {
      make_node("expand", "Expand", {"one", "big_shape"}, {"e"}),
      make_node("tile", "Tile", {"one", "reps"}, {"t"}),
      make_node("cos", "ConstantOfShape", {"big_shape"}, {"c"}),
      make_node("range", "Range", {"zero", "limit", "step"}, {"r"}),
  };
  passes::fold_constants(g);
  EXPECT_EQ(g.nodes.size(), 4u);
  for (const char* v : {"e", "t", "c", "r"}) EXPECT_FALSE(g.is_initializer(v)) << v;
}
