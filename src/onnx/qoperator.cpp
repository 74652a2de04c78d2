// QOperator -> QDQ at import. Each QLinear op becomes DequantizeLinear on its quantized inputs,
// the float op, and QuantizeLinear on its output: the form qcv's PTQ writes and the runtime's
// INT8 selectors (DQ -> Conv/Gemm -> Q, DQ -> Add -> Q, ...) recognise, so nothing downstream
// knows the file was QOperator.
#include "onnx/qoperator.h"

#include <optional>
#include <unordered_map>
#include <unordered_set>

namespace qcv::onnx::detail {

namespace {

const char* const kMicrosoft = "com.microsoft";

// Ops of one quantized input X (inputs X, X_scale, X_zero_point, Y_scale, Y_zero_point) and the
// float op each becomes.
const std::unordered_map<std::string, std::string>& unary_ops() {
  static const std::unordered_map<std::string, std::string> ops = {
      {"QLinearGlobalAveragePool", "GlobalAveragePool"},
      {"QLinearAveragePool", "AveragePool"},
      {"QLinearSigmoid", "Sigmoid"},
      {"QLinearLeakyRelu", "LeakyRelu"},
  };
  return ops;
}

// Ops of two quantized inputs (A, A_scale, A_zp, B, B_scale, B_zp, Y_scale, Y_zp).
const std::unordered_map<std::string, std::string>& binary_ops() {
  static const std::unordered_map<std::string, std::string> ops = {
      {"QLinearAdd", "Add"}, {"QLinearMul", "Mul"}, {"QLinearMatMul", "MatMul"}};
  return ops;
}

// Builds the replacement nodes of one QOperator node, with names fresh in the whole graph.
class Rewriter {
 public:
  explicit Rewriter(ir::Graph& g) : g_(g) {
    for (const ir::Value& v : g.inputs) used_.insert(v.name);
    for (const ir::Value& v : g.outputs) used_.insert(v.name);
    for (const auto& [k, t] : g.initializers) used_.insert(k);
    for (size_t i = 0; i < g.nodes.size(); ++i) {
      used_.insert(g.nodes[i].name);
      for (const std::string& o : g.nodes[i].outputs) {
        used_.insert(o);
        producer_[o] = static_cast<int>(i);
      }
    }
  }

  // The rewritten nodes of g.nodes[i] (or the node itself when it is no QOperator op).
  std::vector<ir::Node> rewrite(const ir::Node& n);

 private:
  std::string fresh(const std::string& prefix) {
    std::string name = prefix;
    for (int k = 1; used_.count(name); ++k) name = prefix + "_" + std::to_string(k);
    used_.insert(name);
    return name;
  }
  std::string where(const ir::Node& n) const { return fmt::format("node '{}' ({})", n.name, n.op); }
  // At least `count` inputs, of which only zero points (every third, from index 2) may be empty.
  void require_inputs(const ir::Node& n, size_t count) const {
    if (n.inputs.size() < count)
      fail("{}: has {} inputs, expected at least {}", where(n), n.inputs.size(), count);
    for (size_t i = 0; i < count; ++i)
      if (n.inputs[i].empty() && i % 3 != 2) fail("{}: required input {} is empty", where(n), i);
    if (n.outputs.size() != 1 || n.outputs[0].empty())
      fail("{}: expected one named output", where(n));
  }

  // DequantizeLinear(x, scale, zp) -> a fresh float value. `axis` applies to per-axis scales.
  std::string dequantize(const ir::Node& n, const std::string& tag, const std::string& x,
                         const std::string& scale, std::string zp, int64_t axis = 1);
  // QuantizeLinear(y, scale, zp) -> `out`. An omitted zero point gets one of `like`'s type.
  ir::Node quantize(const ir::Node& n, const std::string& y, const std::string& scale,
                    std::string zp, const std::string& like, const std::string& out);
  // The 8-bit type of a quantized value, followed back through the nodes as read.
  ir::DType quantized_type(const std::string& value, int depth = 0) const;
  // Names of the scale and zero point ("" when omitted) that a QOperator op or a QuantizeLinear
  // gave `value`, followed through ops that move 8-bit numbers as they are; nullopt for a value
  // that is not quantized.
  std::optional<std::pair<std::string, std::string>> quant_params_of(const std::string& value,
                                                                     int depth = 0) const;
  // MaxPool on 8-bit numbers (valid ONNX, which ONNX Runtime's quantizer leaves between QLinear
  // ops): the IR's MaxPool is float, so DQ -> MaxPool -> Q with the input's parameters.
  std::vector<ir::Node> int8_max_pool(const ir::Node& n);
  // The scale of an int32 bias: x_scale * w_scale (* alpha), an initializer when both are.
  std::string bias_scale(const ir::Node& n, const std::string& xs, const std::string& ws,
                         float alpha, std::string& zero_point);
  // A per-tensor zero point widened to `scale`'s count (per-channel weights with one zero point).
  std::string matching_zero_point(const std::string& zp, const std::string& scale);

  std::vector<ir::Node> unary(const ir::Node& n, const std::string& float_op);
  std::vector<ir::Node> binary(const ir::Node& n, const std::string& float_op);
  std::vector<ir::Node> conv(const ir::Node& n);
  std::vector<ir::Node> concat(const ir::Node& n);
  std::vector<ir::Node> gemm(const ir::Node& n);

  ir::Graph& g_;
  std::unordered_set<std::string> used_;
  std::unordered_map<std::string, int> producer_;
  std::vector<ir::Node> out_;  // nodes of the rewrite in progress
};

std::string Rewriter::dequantize(const ir::Node& n, const std::string& tag, const std::string& x,
                                 const std::string& scale, std::string zp, int64_t axis) {
  std::string y = fresh(n.name + "_" + tag + "_dq");
  ir::Node dq{fresh(n.name + "_dq_" + tag), "DequantizeLinear", {x, scale}, {y}, {}};
  if (!zp.empty()) dq.inputs.push_back(std::move(zp));
  const ir::Tensor* s = g_.initializer(scale);
  if (!s || s->numel() != 1) dq.attrs["axis"] = axis;
  out_.push_back(std::move(dq));
  return y;
}

ir::Node Rewriter::quantize(const ir::Node& n, const std::string& y, const std::string& scale,
                            std::string zp, const std::string& like, const std::string& out) {
  if (zp.empty()) {
    const ir::DType t = quantized_type(like);
    ir::Tensor z(t, {});  // zero-filled
    zp = fresh(n.name + "_y_zero_point");
    g_.initializers[zp] = std::move(z);
  }
  return ir::Node{fresh(n.name + "_q"), "QuantizeLinear", {y, scale, zp}, {out}, {}};
}

ir::DType Rewriter::quantized_type(const std::string& value, int depth) const {
  if (const ir::Tensor* t = g_.initializer(value)) return t->dtype();
  if (const ir::Value* v = g_.input_value(value))
    if (v->dtype == ir::DType::Int8 || v->dtype == ir::DType::UInt8) return v->dtype;
  auto it = producer_.find(value);
  if (it == producer_.end() || depth > 64) return ir::DType::UInt8;
  const ir::Node& p = g_.nodes[it->second];
  auto zp_type = [&](size_t zp, const std::string& fallback) {
    if (!p.input(zp).empty()) return quantized_type(p.input(zp), depth + 1);
    return fallback.empty() ? ir::DType::UInt8 : quantized_type(fallback, depth + 1);
  };
  if (p.op == "QuantizeLinear") return zp_type(2, "");
  if (p.op == "QLinearConv" || binary_ops().count(p.op)) return zp_type(7, p.input(0));
  if (unary_ops().count(p.op)) return zp_type(4, p.input(0));
  if (p.op == "QLinearConcat") return zp_type(1, p.input(2));
  if (p.op == "QGemm") return zp_type(8, p.input(0));
  if (p.op == "DynamicQuantizeLinear") return ir::DType::UInt8;
  if (p.inputs.empty() || p.input(0).empty()) return ir::DType::UInt8;
  return quantized_type(p.input(0), depth + 1);  // MaxPool, Reshape, Transpose...: as their input
}

// Ops that keep their input's quantized numbers (and so its scale and zero point).
bool moves_numbers(const std::string& op) {
  return op == "MaxPool" || op == "Flatten" || op == "Reshape" || op == "Squeeze" ||
         op == "Unsqueeze" || op == "Transpose" || op == "Identity";
}

std::optional<std::pair<std::string, std::string>> Rewriter::quant_params_of(
    const std::string& value, int depth) const {
  auto it = producer_.find(value);
  if (it == producer_.end() || depth > 64) return std::nullopt;
  const ir::Node& p = g_.nodes[it->second];
  auto at = [&](size_t s, size_t z) {
    return std::make_optional(std::make_pair(p.input(s), p.input(z)));
  };
  if (p.op == "QuantizeLinear") return at(1, 2);
  if (p.op == "QLinearConv" || binary_ops().count(p.op)) return at(6, 7);
  if (unary_ops().count(p.op)) return at(3, 4);
  if (p.op == "QLinearConcat") return at(0, 1);
  if (p.op == "QGemm" && !p.input(7).empty()) return at(7, 8);
  if (moves_numbers(p.op) && !p.inputs.empty()) return quant_params_of(p.input(0), depth + 1);
  return std::nullopt;
}

std::vector<ir::Node> Rewriter::int8_max_pool(const ir::Node& n) {
  auto params = n.inputs.empty() ? std::nullopt : quant_params_of(n.input(0));
  if (!params || n.outputs.empty() || n.outputs[0].empty()) return {n};
  const auto [scale, zp] = *params;
  ir::Node f = n;
  f.inputs[0] = dequantize(n, "x", n.input(0), scale, zp);
  std::string y = fresh(n.name + "_y");
  f.outputs[0] = y;
  out_.push_back(std::move(f));
  out_.push_back(quantize(n, y, scale, zp, n.input(0), n.outputs[0]));
  return std::move(out_);
}

std::string Rewriter::bias_scale(const ir::Node& n, const std::string& xs, const std::string& ws,
                                 float alpha, std::string& zero_point) {
  const ir::Tensor* x = g_.initializer(xs);
  const ir::Tensor* w = g_.initializer(ws);
  if (x && w && x->dtype() == ir::DType::Float32 && w->dtype() == ir::DType::Float32 &&
      x->numel() == 1) {
    ir::Tensor s(ir::DType::Float32, w->shape());
    const float xv = x->data<float>()[0];
    for (int64_t i = 0; i < w->numel(); ++i)
      s.data<float>()[i] =
          alpha == 1.f ? xv * w->data<float>()[i] : alpha * xv * w->data<float>()[i];
    zero_point = fresh(n.name + "_bias_zero_point");
    g_.initializers[zero_point] = ir::Tensor(ir::DType::Int32, w->shape());  // zeros
    std::string name = fresh(n.name + "_bias_scale");
    g_.initializers[name] = std::move(s);
    return name;
  }
  // Scales computed at run time: Mul nodes (constant folding removes them when it can).
  zero_point.clear();
  std::string s = fresh(n.name + "_bias_scale");
  out_.push_back(ir::Node{fresh(n.name + "_bias_scale_mul"), "Mul", {xs, ws}, {s}, {}});
  if (alpha != 1.f) {
    std::string a = fresh(n.name + "_alpha");
    g_.initializers[a] = ir::Tensor::scalar(alpha);
    std::string sa = fresh(n.name + "_bias_scale_alpha");
    out_.push_back(ir::Node{fresh(n.name + "_bias_scale_alpha_mul"), "Mul", {s, a}, {sa}, {}});
    s = sa;
  }
  return s;
}

std::string Rewriter::matching_zero_point(const std::string& zp, const std::string& scale) {
  const ir::Tensor* z = g_.initializer(zp);
  const ir::Tensor* s = g_.initializer(scale);
  if (!z || !s || z->numel() != 1 || s->numel() <= 1) return zp;
  ir::Tensor wide(z->dtype(), {s->numel()});
  for (int64_t i = 0; i < s->numel(); ++i) wide.set_int64(i, z->as_int64(0));
  std::string name = fresh(zp + "_per_channel");
  g_.initializers[name] = std::move(wide);
  return name;
}

std::vector<ir::Node> Rewriter::unary(const ir::Node& n, const std::string& float_op) {
  require_inputs(n, 4);
  if (n.attr_int("channels_last", 0) != 0)
    fail("{}: channels_last=1 (NHWC input) is not supported; only channels_last=0", where(n));
  ir::Node f{
      n.name, float_op, {dequantize(n, "x", n.input(0), n.input(1), n.input(2))}, {}, n.attrs};
  f.attrs.erase("channels_last");
  std::string y = fresh(n.name + "_y");
  f.outputs = {y};
  out_.push_back(std::move(f));
  out_.push_back(quantize(n, y, n.input(3), n.input(4), n.input(0), n.outputs[0]));
  return std::move(out_);
}

std::vector<ir::Node> Rewriter::binary(const ir::Node& n, const std::string& float_op) {
  require_inputs(n, 7);
  // QLinearMatMul: a per-row scale runs along a's rows, a per-column one along b's columns.
  const bool matmul = float_op == "MatMul";
  std::string a = dequantize(n, "a", n.input(0), n.input(1), n.input(2), matmul ? -2 : 1);
  std::string b = dequantize(n, "b", n.input(3), n.input(4), n.input(5), matmul ? -1 : 1);
  std::string y = fresh(n.name + "_y");
  out_.push_back(ir::Node{n.name, float_op, {a, b}, {y}, {}});
  out_.push_back(quantize(n, y, n.input(6), n.input(7), n.input(0), n.outputs[0]));
  return std::move(out_);
}

std::vector<ir::Node> Rewriter::conv(const ir::Node& n) {
  require_inputs(n, 7);
  std::string x = dequantize(n, "x", n.input(0), n.input(1), n.input(2));
  std::string w =
      dequantize(n, "w", n.input(3), n.input(4), matching_zero_point(n.input(5), n.input(4)), 0);
  ir::Node f{n.name, "Conv", {x, w}, {}, n.attrs};
  if (!n.input(8).empty()) {
    std::string zp;
    std::string scale = bias_scale(n, n.input(1), n.input(4), 1.f, zp);
    f.inputs.push_back(dequantize(n, "bias", n.input(8), scale, zp, 0));
  }
  std::string y = fresh(n.name + "_y");
  f.outputs = {y};
  out_.push_back(std::move(f));
  out_.push_back(quantize(n, y, n.input(6), n.input(7), n.input(0), n.outputs[0]));
  return std::move(out_);
}

std::vector<ir::Node> Rewriter::concat(const ir::Node& n) {
  // Y_scale, Y_zero_point, then (X, X_scale, X_zero_point) per input.
  if (n.inputs.size() < 5 || (n.inputs.size() - 2) % 3 != 0)
    fail("{}: expected Y_scale, Y_zero_point and (X, X_scale, X_zero_point) triples, got {} inputs",
         where(n), n.inputs.size());
  if (n.outputs.size() != 1 || n.outputs[0].empty())
    fail("{}: expected one named output", where(n));
  if (!n.has_attr("axis")) fail("{}: attribute 'axis' is required", where(n));
  ir::Node f{n.name, "Concat", {}, {}, {{"axis", n.attr_int("axis")}}};
  for (size_t i = 2, k = 0; i < n.inputs.size(); i += 3, ++k) {
    if (n.inputs[i].empty() || n.inputs[i + 1].empty())
      fail("{}: input {} or its scale is empty", where(n), i);
    f.inputs.push_back(
        dequantize(n, "x" + std::to_string(k), n.inputs[i], n.inputs[i + 1], n.inputs[i + 2]));
  }
  std::string y = fresh(n.name + "_y");
  f.outputs = {y};
  out_.push_back(std::move(f));
  out_.push_back(quantize(n, y, n.input(0), n.input(1), n.input(2), n.outputs[0]));
  return std::move(out_);
}

std::vector<ir::Node> Rewriter::gemm(const ir::Node& n) {
  // A, a_scale, a_zp, B, b_scale, b_zp, [C int32], [y_scale, y_zp]: no y_scale means float Y.
  require_inputs(n, 6);
  const bool trans_b = n.attr_int("transB", 0) != 0;
  const float alpha = n.attr_float("alpha", 1.f);
  std::string a = dequantize(n, "a", n.input(0), n.input(1), n.input(2));
  std::string b = dequantize(n, "b", n.input(3), n.input(4),
                             matching_zero_point(n.input(5), n.input(4)), trans_b ? 0 : 1);
  ir::Node f{n.name, "Gemm", {a, b}, {}, {}};
  for (const char* key : {"alpha", "transA", "transB"})
    if (n.has_attr(key)) f.attrs[key] = n.attrs.at(key);
  if (!n.input(6).empty()) {
    std::string zp;
    std::string scale = bias_scale(n, n.input(1), n.input(4), alpha, zp);
    f.inputs.push_back(dequantize(n, "c", n.input(6), scale, zp, 0));
  }
  if (n.input(7).empty()) {  // float output
    f.outputs = {n.outputs[0]};
    out_.push_back(std::move(f));
    return std::move(out_);
  }
  std::string y = fresh(n.name + "_y");
  f.outputs = {y};
  out_.push_back(std::move(f));
  out_.push_back(quantize(n, y, n.input(7), n.input(8), n.input(0), n.outputs[0]));
  return std::move(out_);
}

std::vector<ir::Node> Rewriter::rewrite(const ir::Node& n) {
  out_.clear();
  if (n.op == "QLinearConv") return conv(n);
  if (n.op == "QLinearConcat") return concat(n);
  if (n.op == "QGemm") return gemm(n);
  if (n.op == "MaxPool") return int8_max_pool(n);
  if (auto it = unary_ops().find(n.op); it != unary_ops().end()) return unary(n, it->second);
  if (auto it = binary_ops().find(n.op); it != binary_ops().end()) return binary(n, it->second);
  return {n};
}

}  // namespace

bool is_qoperator_op(const std::string& domain, const std::string& op) {
  if (domain.empty() || domain == "ai.onnx") return op == "QLinearConv" || op == "QLinearMatMul";
  if (domain != kMicrosoft) return false;
  return op == "QLinearAdd" || op == "QLinearMul" || op == "QLinearConcat" || op == "QGemm" ||
         unary_ops().count(op) > 0;
}

void rewrite_qoperator_ops(ir::Graph& g) {
  bool any = false;
  for (const ir::Node& n : g.nodes)
    any = any || n.op == "QLinearConv" || n.op == "QLinearConcat" || n.op == "QGemm" ||
          n.op == "MaxPool" || unary_ops().count(n.op) || binary_ops().count(n.op);
  if (!any) return;
  Rewriter r(g);
  std::vector<ir::Node> nodes;
  for (const ir::Node& n : g.nodes)
    for (ir::Node& m : r.rewrite(n)) nodes.push_back(std::move(m));
  g.nodes = std::move(nodes);
}

}  // namespace qcv::onnx::detail
