// Shape inference of the tensor-family ops: concrete shapes where the value-dependent input is an
// initializer, unknown dims (-1) where it is not. Expected shapes are worked by hand from ONNX's
// definitions.
#include <gtest/gtest.h>

#include <climits>

#include "ir/ir.h"

using namespace qcv::ir;

namespace {

Value input(const std::string& name, Shape shape, DType t = DType::Float32) {
  return make_value(name, t, std::move(shape));
}
Tensor i64(std::vector<int64_t> v) {
  return Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v);
}

// A one-node graph: "x" plus the given extra inputs (graph inputs or initializers).
struct OneNode {
  Graph g;
  OneNode(const std::string& op, Value x, std::map<std::string, Attribute> attrs = {},
          size_t outputs = 1) {
    g.inputs = {std::move(x)};
    Node n;
    n.name = "n";
    n.op = op;
    n.inputs = {"x"};
    n.attrs = std::move(attrs);
    for (size_t k = 0; k < outputs; ++k) {
      n.outputs.push_back("out" + std::to_string(k));
      g.outputs.push_back(make_value("out" + std::to_string(k)));
    }
    g.nodes = {n};
  }
  OneNode& constant(const std::string& name, Tensor t) {
    g.initializers[name] = std::move(t);
    g.nodes[0].inputs.push_back(name);
    return *this;
  }
  OneNode& dynamic(Value v) {
    g.nodes[0].inputs.push_back(v.name);
    g.inputs.push_back(std::move(v));
    return *this;
  }
  OneNode& none() {
    g.nodes[0].inputs.push_back("");
    return *this;
  }
  Value out(size_t k = 0) {
    infer_shapes(g);
    return g.outputs.at(k);
  }
};

}  // namespace

TEST(InferTensor, PadFromConstantPadsIncludingCrop) {
  OneNode n("Pad", input("x", {1, 3, 4, 5}));
  n.constant("pads", i64({0, 0, 1, -2, 0, 1, 2, 0}));
  EXPECT_EQ(n.out().shape, (Shape{1, 4, 7, 3}));
  OneNode d("Pad", input("x", {1, 3, 4, 5}));
  d.dynamic(input("pads", {8}, DType::Int64));
  Value v = d.out();
  EXPECT_TRUE(v.has_shape);
  EXPECT_EQ(v.shape, (Shape{-1, -1, -1, -1}));
}

TEST(InferTensor, TransposeDefaultAndPerm) {
  EXPECT_EQ(OneNode("Transpose", input("x", {2, 3, 4})).out().shape, (Shape{4, 3, 2}));
  EXPECT_EQ(OneNode("Transpose", input("x", {2, 3, 4}), {{"perm", std::vector<int64_t>{1, 2, 0}}})
                .out()
                .shape,
            (Shape{3, 4, 2}));
  EXPECT_THROW(
      OneNode("Transpose", input("x", {2, 3}), {{"perm", std::vector<int64_t>{0, 0}}}).out(),
      qcv::Error);
}

TEST(InferTensor, SliceClampsAndNegativeSteps) {
  // dim 20: [1, INT64_MAX) step 3 -> 1,4,...,19 = 7; dim 10: from -1 down to INT64_MIN, step -2
  // -> 9,7,5,3,1 = 5; dim 5 untouched.
  OneNode n("Slice", input("x", {20, 10, 5}));
  n.constant("s", i64({1, -1})).constant("e", i64({LLONG_MAX, LLONG_MIN}));
  n.constant("a", i64({0, -2})).constant("st", i64({3, -2}));
  EXPECT_EQ(n.out().shape, (Shape{7, 5, 5}));
  OneNode empty("Slice", input("x", {20, 10, 5}));
  empty.constant("s", i64({1000})).constant("e", i64({1000})).constant("a", i64({1}));
  EXPECT_EQ(empty.out().shape, (Shape{20, 0, 5}));
  OneNode d("Slice", input("x", {20, 10, 5}));
  d.dynamic(input("s", {1}, DType::Int64)).constant("e", i64({3}));
  EXPECT_EQ(d.out().shape, (Shape{-1, -1, -1}));
}

TEST(InferTensor, ExpandTileRangeConstantOfShape) {
  OneNode e("Expand", input("x", {3, 1}));
  e.constant("s", i64({2, 1, 6}));
  EXPECT_EQ(e.out().shape, (Shape{2, 3, 6}));
  OneNode ed("Expand", input("x", {3, 1}));
  ed.dynamic(input("s", {3}, DType::Int64));
  EXPECT_EQ(ed.out().shape, (Shape{-1, -1, -1}));

  OneNode t("Tile", input("x", {2, 3}));
  t.constant("r", i64({3, 1}));
  EXPECT_EQ(t.out().shape, (Shape{6, 3}));

  OneNode r("Range", input("x", {}, DType::Int32));
  r.constant("l", Tensor::scalar<int32_t>(-7)).constant("d", Tensor::scalar<int32_t>(-3));
  r.g.inputs.clear();
  r.g.initializers["x"] = Tensor::scalar<int32_t>(10);
  EXPECT_EQ(r.out().shape, (Shape{6}));  // 10, 7, 4, 1, -2, -5

  OneNode c("ConstantOfShape", input("x", {3}, DType::Int64));
  EXPECT_EQ(c.out().shape, (Shape{-1, -1, -1}));
  OneNode cc("ConstantOfShape", input("x", {3}, DType::Int64));
  cc.g.inputs.clear();
  cc.g.initializers["x"] = i64({2, 0, 4});
  EXPECT_EQ(cc.out().shape, (Shape{2, 0, 4}));
  EXPECT_EQ(cc.out().dtype, DType::Float32);
}

TEST(InferTensor, SplitFromInputAttributeOrEqualParts) {
  OneNode eq("Split", input("x", {2, 9}), {{"axis", int64_t{1}}}, 3);
  EXPECT_EQ(eq.out(2).shape, (Shape{2, 3}));
  OneNode parts("Split", input("x", {2, 9}), {{"axis", int64_t{-1}}}, 2);
  parts.constant("split", i64({4, 5}));
  EXPECT_EQ(parts.out(1).shape, (Shape{2, 5}));
  OneNode bad("Split", input("x", {2, 9}), {{"axis", int64_t{1}}}, 2);
  EXPECT_THROW(bad.out(), qcv::Error);  // 9 does not split in 2
}

TEST(InferTensor, IndexingOps) {
  OneNode nd("GatherND", input("x", {2, 3, 4, 5}), {{"batch_dims", int64_t{1}}});
  nd.dynamic(input("i", {2, 7, 2}, DType::Int64));
  EXPECT_EQ(nd.out().shape, (Shape{2, 7, 5}));
  OneNode oh("OneHot", input("x", {2, 3}, DType::Int64), {{"axis", int64_t{1}}});
  oh.constant("depth", Tensor::scalar<float>(4.0f)).dynamic(input("v", {2}, DType::Int32));
  Value v = oh.out();
  EXPECT_EQ(v.shape, (Shape{2, 4, 3}));
  EXPECT_EQ(v.dtype, DType::Int32);
  OneNode dts("DepthToSpace", input("x", {1, 8, 2, 3}), {{"blocksize", int64_t{2}}});
  EXPECT_EQ(dts.out().shape, (Shape{1, 2, 4, 6}));
  OneNode std_("SpaceToDepth", input("x", {1, 2, 4, 6}), {{"blocksize", int64_t{2}}});
  EXPECT_EQ(std_.out().shape, (Shape{1, 8, 2, 3}));
  OneNode nz("NonZero", input("x", {2, 3}));
  EXPECT_EQ(nz.out().shape, (Shape{2, -1}));
  OneNode cp("Compress", input("x", {3, 2}), {{"axis", int64_t{0}}});
  cp.constant("c", Tensor::from_vector<bool>({3}, {true, false, true}));
  EXPECT_EQ(cp.out().shape, (Shape{2, 2}));
  OneNode u("Unique", input("x", {3, 4}), {{"axis", int64_t{-1}}}, 4);
  EXPECT_EQ(u.out(0).shape, (Shape{3, -1}));
  EXPECT_EQ(u.out(2).dtype, DType::Int64);
}

TEST(InferTensor, ValueDependentShapesRefuseAbsurdSizes) {
  OneNode c("ConstantOfShape", input("x", {2}, DType::Int64));
  c.g.inputs.clear();
  c.g.initializers["x"] = i64({int64_t{1} << 30, int64_t{1} << 30});
  EXPECT_THROW(c.out(), qcv::Error);
  OneNode r("Range", input("x", {}, DType::Int64));
  r.g.inputs.clear();
  r.g.initializers["x"] = Tensor::scalar<int64_t>(LLONG_MIN);
  r.constant("l", Tensor::scalar<int64_t>(LLONG_MAX)).constant("d", Tensor::scalar<int64_t>(1));
  EXPECT_THROW(r.out(), qcv::Error);
  OneNode ok("Range", input("x", {}, DType::Int64));
  ok.g.inputs.clear();
  ok.g.initializers["x"] = Tensor::scalar<int64_t>(LLONG_MIN);
  ok.constant("l", Tensor::scalar<int64_t>(LLONG_MAX))
      .constant("d", Tensor::scalar<int64_t>(LLONG_MAX));
  EXPECT_EQ(ok.out().shape, (Shape{3}));  // MIN, MIN + MAX = -1, -1 + MAX = MAX - 1
}
