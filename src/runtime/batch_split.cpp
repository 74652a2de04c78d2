#include "runtime/batch_split.h"

#include <algorithm>
#include <cstring>
#include <set>

#include "passes/passes.h"

namespace qcv::runtime {

namespace {

// Ops that compute each image from that image alone whatever their attributes (the shape check
// catches any that would change dimension 0, e.g. a Pad of the batch).
const std::set<std::string> kPerImage = {
    "Conv", "ConvTranspose", "MaxPool", "AveragePool", "GlobalAveragePool", "GlobalMaxPool",
    "LpPool", "BatchNormalization", "InstanceNormalization", "LRN", "Relu", "LeakyRelu", "PRelu",
    "Elu", "Selu", "Celu", "Clip", "Sigmoid", "HardSigmoid", "HardSwish", "Tanh", "Softplus",
    "Softsign", "Exp", "Log", "Sqrt", "Reciprocal", "Abs", "Neg", "Erf", "Gelu", "Mish", "Floor",
    "Ceil", "Round", "Sign", "Add", "Sub", "Mul", "Div", "Pow", "Min", "Max", "Sum", "Mean",
    "Where", "Equal", "Less", "LessOrEqual", "Greater", "GreaterOrEqual", "Not", "And", "Or",
    "Xor", "Cast", "QuantizeLinear", "DequantizeLinear", "Identity", "Dropout", "Resize",
    "Upsample", "DepthToSpace", "SpaceToDepth", "Gemm", "MatMul", "Reshape", "Pad", "Expand", "Tile"};

// Ops with an axis (or axes) attribute: fine when none of them is dimension 0.
const std::set<std::string> kAlongAxis = {
    "Softmax", "LogSoftmax", "Hardmax", "Concat", "Split", "Flatten", "Squeeze", "Unsqueeze",
    "ReduceMean", "ReduceSum", "ReduceMax", "ReduceMin", "ReduceProd", "ReduceL1", "ReduceL2",
    "ReduceLogSumExp", "ReduceSumSquare", "ArgMax", "ArgMin", "LayerNormalization", "Gather",
    "CumSum"};

// Ops whose every input is data of the same images; the others read images only through their
// first input (a Split's sizes or a Reshape's shape computed from an input is not a batch).
const std::set<std::string> kAllInputsData = {
    "Add", "Sub", "Mul", "Div", "Pow", "Min", "Max", "Sum", "Mean", "Where", "Equal", "Less",
    "LessOrEqual", "Greater", "GreaterOrEqual", "And", "Or", "Xor", "MatMul", "Concat"};

bool touches_batch_axis(const ir::Node& n, size_t rank) {
  const auto axis0 = [rank](int64_t a) { return a == 0 || a + static_cast<int64_t>(rank) == 0; };
  if (n.has_attr("axis") && axis0(n.attr_int("axis"))) return true;
  if (n.has_attr("axes")) {
    for (int64_t a : n.attr_ints("axes"))
      if (axis0(a)) return true;
  } else if (n.op.rfind("Reduce", 0) == 0 || n.op == "Squeeze" || n.op == "Unsqueeze") {
    return true;  // axes as an input or absent (all axes): not looked into
  }
  // Defaults that are dimension 0 (Concat and CumSum have no default; their axis is set).
  if (!n.has_attr("axis") && (n.op == "Gather" || n.op == "Split" || n.op == "ArgMax" ||
                              n.op == "ArgMin" || n.op == "CumSum"))
    return true;
  return false;
}

}  // namespace

bool batch_is_independent(ir::Graph g) {
  constexpr int64_t kTest = 7;  // an odd size, unlikely to equal any other dimension
  try {
    for (ir::Value& in : g.inputs) {
      if (!in.has_shape || in.shape.empty()) return false;
      in.shape[0] = kTest;
    }
    ir::infer_shapes(g);
    if (passes::fold_constants(g)) {
      passes::eliminate_dead_code(g);
      ir::infer_shapes(g);
    }
    // Values that depend on the images; nodes reading none of them compute constants (e.g. the
    // QuantizeLinear of a weight) and are left out of the check.
    std::set<std::string> imaged;
    for (const ir::Value& in : g.inputs) imaged.insert(in.name);
    for (const ir::Node& n : g.nodes) {
      bool reads = false;
      for (const std::string& name : n.inputs) reads = reads || imaged.count(name) > 0;
      if (!reads) continue;
      for (const std::string& name : n.outputs) imaged.insert(name);
      const bool known = kPerImage.count(n.op) > 0, axis = kAlongAxis.count(n.op) > 0;
      if (!known && !axis) return false;
      if (n.op == "Gemm" && n.attr_int("transA", 0) != 0) return false;
      size_t rank = 0;
      for (size_t k = 0; k < n.inputs.size(); ++k) {
        const std::string& name = n.inputs[k];
        if (!imaged.count(name)) continue;
        if (k > 0 && !kAllInputsData.count(n.op)) return false;
        auto v = g.value_type(name);
        if (!v || !v->has_shape || v->shape.empty() || v->shape[0] != kTest) return false;
        rank = std::max(rank, v->shape.size());
      }
      if (axis && touches_batch_axis(n, rank)) return false;
      for (const std::string& name : n.outputs) {
        if (name.empty()) continue;
        auto v = g.value_type(name);
        if (!v || !v->has_shape || v->shape.empty() || v->shape[0] != kTest) return false;
      }
    }
    for (const ir::Value& out : g.outputs) {
      auto v = g.value_type(out.name);
      if (!v || !v->has_shape || v->shape.empty() || v->shape[0] != kTest) return false;
    }
    return true;
  } catch (const Error&) {
    return false;  // shapes that do not follow a changed batch: not a batch dimension
  }
}

int batch_slices(int64_t n, int threads) {
  if (n < 2 || threads < 2) return 1;
  return static_cast<int>(std::min<int64_t>(n, threads));
}

ir::Tensor batch_rows(const ir::Tensor& t, int64_t begin, int64_t count) {
  ir::Shape shape = t.shape();
  const size_t row = t.nbytes() / static_cast<size_t>(shape[0]);
  shape[0] = count;
  ir::Tensor part(t.dtype(), shape);
  std::memcpy(part.raw(), static_cast<const uint8_t*>(t.raw()) + begin * row, count * row);
  return part;
}

ir::Tensor batch_rows_view(const ir::Tensor& t, int64_t begin, int64_t count) {
  ir::Shape shape = t.shape();
  const size_t row = t.nbytes() / static_cast<size_t>(shape[0]);
  uint8_t* first = static_cast<uint8_t*>(const_cast<void*>(t.raw())) + begin * row;
  if (reinterpret_cast<uintptr_t>(first) % 16 != 0) return batch_rows(t, begin, count);
  shape[0] = count;
  // Not owning: the caller keeps t alive while the view is used.
  return ir::Tensor::adopt(t.dtype(), shape, std::shared_ptr<uint8_t>(first, [](uint8_t*) {}));
}

ir::Tensor join_rows(const std::vector<ir::Tensor>& parts) {
  ir::Shape shape = parts.at(0).shape();
  shape[0] = 0;
  for (const ir::Tensor& p : parts) shape[0] += p.dim(0);
  ir::Tensor all(parts[0].dtype(), shape);
  size_t offset = 0;
  for (const ir::Tensor& p : parts) {
    if (p.nbytes()) std::memcpy(static_cast<uint8_t*>(all.raw()) + offset, p.raw(), p.nbytes());
    offset += p.nbytes();
  }
  return all;
}

}  // namespace qcv::runtime
