// The QDQ graph -> TFLite walk. Each quantized op of the ONNX graph reads DequantizeLinear
// outputs of int8 tensors and ends in a QuantizeLinear (optionally after a Relu/Clip, which becomes
// the op's fused activation); it becomes one TFLite op from int8 tensors to the QuantizeLinear's
// int8 tensor. DequantizeLinear outputs are the same int8 tensors (their float values are
// exactly those); QuantizeLinear at a graph input is a QUANTIZE, a quantized graph output goes
// out through a DEQUANTIZE.
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <limits>
#include <set>

#include "passes/passes.h"
#include "tflite/lower_params.h"
#include "tflite/tflite.h"

namespace qcv::tflite {

namespace {

// clang-format off
const std::set<std::string> kComputeOps = {
    "Conv", "Gemm", "Add", "Mul", "MaxPool", "AveragePool", "GlobalAveragePool", "HardSwish",
    "HardSigmoid", "Sigmoid", "BatchNormalization"};
// clang-format on
constexpr const char* kSupported =
    "Conv, Gemm, Add, Mul, MaxPool, AveragePool, GlobalAveragePool, HardSwish, HardSigmoid, "
    "Sigmoid, BatchNormalization, Flatten, Reshape, Relu/Clip fused into the op before them, "
    "QuantizeLinear, DequantizeLinear";

class Lowering {
 public:
  Lowering(const ir::Graph& g, const ExportOptions& options) : g_(g), options_(options) {}

  ModelBuilder model;
  std::map<std::string, int> op_counts;
  std::vector<float> output_scales;
  std::vector<int64_t> output_zero_points;

  void run() {
    for (const auto& in : g_.inputs) input(in);
    for (size_t i = 0; i < g_.nodes.size(); ++i) {
      if (done_.count(static_cast<int>(i))) continue;
      node(static_cast<int>(i));
    }
    for (const auto& out : g_.outputs) output(out.name);
  }

 private:
  const ir::Graph& g_;
  const ExportOptions& options_;
  std::map<std::string, int> int8_;   // ONNX value -> the int8 tensor holding it
  std::map<std::string, int> float_;  // graph inputs -> float32 tensors
  std::set<int> done_;                // nodes lowered with the op before them

  void emit(OpCode code, std::vector<int32_t> inputs, std::vector<int32_t> outputs,
            OpOptions options = {}) {
    model.add_operator({code, std::move(inputs), std::move(outputs), std::move(options)});
    ++op_counts[op_code_name(code)];
  }

  int int8_tensor(const std::string& name, std::vector<int32_t> shape, Quantization q) {
    return model.add_tensor({name, std::move(shape), TensorType::Int8, std::move(q), 0});
  }

  int quantized(const ir::Node& n, size_t input) {
    const std::string& v = n.input(input);
    auto it = int8_.find(v);
    if (it == int8_.end())
      fail(
          "node '{}' ({}): input '{}' is not an int8 tensor (no QuantizeLinear -> "
          "DequantizeLinear before it); export-tflite needs a fully quantized graph from "
          "`qcv ptq --scheme tflite`",
          n.name, n.op, v);
    return it->second;
  }

  void input(const ir::Value& in) {
    const auto shape = tflite_shape(known_shape(g_, in.name), in.name);
    const int t = model.add_tensor({in.name, shape, TensorType::Float32, {}, 0});
    float_[in.name] = t;
    model.add_input(t);
  }

  void output(const std::string& name) {
    auto it = int8_.find(name);
    if (it == int8_.end())
      fail("graph output '{}' is not quantized (no QuantizeLinear -> DequantizeLinear before it)",
           name);
    const int t =
        model.add_tensor({name, model.tensor(it->second).shape, TensorType::Float32, {}, 0});
    emit(OpCode::Dequantize, {it->second}, {t});
    model.add_output(t);
    output_scales.push_back(model.tensor(it->second).quant.scale.at(0));
    output_zero_points.push_back(model.tensor(it->second).quant.zero_point.at(0));
  }

  void node(int index) {
    const ir::Node& n = g_.nodes[index];
    if (n.op == "QuantizeLinear") return quantize(n);
    if (n.op == "DequantizeLinear") return dequantize(n);
    if (n.op == "Flatten" || n.op == "Reshape") return reshape(n);
    if (kComputeOps.count(n.op)) return compute(index);
    fail("node '{}': op {} is not supported by export-tflite (supported: {})", n.name, n.op,
         kSupported);
  }

  void quantize(const ir::Node& q) {
    auto it = float_.find(q.input(0));
    if (it == float_.end())
      fail(
          "node '{}' (QuantizeLinear): its input '{}' is neither a graph input nor the output "
          "of an op export-tflite lowers (supported: {})",
          q.name, q.input(0), kSupported);
    const int t =
        int8_tensor(q.outputs[0], model.tensor(it->second).shape, activation_quant(g_, q));
    emit(OpCode::Quantize, {it->second}, {t});
    int8_[q.outputs[0]] = t;
  }

  void dequantize(const ir::Node& dq) {
    if (g_.is_initializer(dq.input(0))) return;  // weights and biases: read by their op
    auto it = int8_.find(dq.input(0));
    if (it == int8_.end())
      fail("node '{}' (DequantizeLinear): its input '{}' is not an int8 tensor of the graph",
           dq.name, dq.input(0));
    int8_[dq.outputs[0]] = it->second;
  }

  // Flatten/Reshape of an int8 tensor: a RESHAPE with the same parameters. NHWC and NCHW orders
  // only agree when the spatial dimensions are 1 (the classifier after global pooling).
  void reshape(const ir::Node& n) {
    const int in = quantized(n, 0);
    const ir::Shape in_shape = known_shape(g_, n.input(0));
    if (in_shape.size() == 4 && in_shape[2] * in_shape[3] != 1)
      fail(
          "node '{}' ({}): reshaping a {} NCHW tensor would need a TRANSPOSE (its elements are "
          "in another order in NHWC); export-tflite flattens only [N, C, 1, 1]",
          n.name, n.op, ir::shape_str(in_shape));
    const ir::Shape out_shape = known_shape(g_, n.outputs[0]);
    if (out_shape.size() == 4 && out_shape[2] * out_shape[3] != 1)
      fail("node '{}' ({}): reshape to {} (NCHW) is not written", n.name, n.op,
           ir::shape_str(out_shape));
    int8_[n.outputs[0]] = reshape_to(n.outputs[0], in, tflite_shape(out_shape, n.outputs[0]));
  }

  Activation fused_activation(const ir::Node& act) {
    if (act.op == "Relu") return Activation::Relu;
    float lo = -std::numeric_limits<float>::infinity(), hi = -lo;
    auto bound = [&](size_t i, const char* attr, float fallback) {
      if (act.input(i).empty()) return act.attr_float(attr, fallback);
      const ir::Tensor* t = g_.initializer(act.input(i));
      if (!t || t->numel() != 1)
        fail("node '{}' (Clip): bound '{}' is not a constant", act.name, act.input(i));
      return static_cast<float>(t->as_double(0));
    };
    lo = bound(1, "min", lo);
    hi = bound(2, "max", hi);
    if (lo == 0.f && hi == 6.f) return Activation::Relu6;
    if (lo == 0.f && std::isinf(hi) && hi > 0) return Activation::Relu;
    if (lo == -1.f && hi == 1.f) return Activation::ReluN1To1;
    fail("node '{}' (Clip [{}, {}]): TFLite fuses only Relu, Relu6 and Relu[-1, 1]", act.name, lo,
         hi);
  }

  // The op's output must go to one QuantizeLinear, directly or through one Relu/Clip.
  struct OutputChain {
    int q = -1;
    Activation activation = Activation::None;
  };
  OutputChain output_chain(const ir::Node& n) {
    OutputChain chain;
    std::string value = n.outputs[0];
    for (int step = 0; step < 2; ++step) {
      const auto readers = g_.consumers(value);
      if (g_.is_graph_output(value) || readers.size() != 1)
        fail(
            "node '{}' ({}): its output '{}' must be read by one QuantizeLinear only (an int8 "
            "tensor in TFLite), found {} reader(s){}",
            n.name, n.op, value, readers.size(),
            g_.is_graph_output(value) ? " and a graph output" : "");
      const ir::Node& next = g_.nodes[readers[0]];
      if (next.op == "QuantizeLinear") {
        chain.q = readers[0];
        return chain;
      }
      if (step == 0 && (next.op == "Relu" || next.op == "Clip")) {
        chain.activation = fused_activation(next);
        done_.insert(readers[0]);
        value = next.outputs[0];
        continue;
      }
      fail(
          "node '{}' ({}): its output goes to '{}' ({}) before any QuantizeLinear; TFLite needs "
          "an int8 tensor there (only Relu/Clip fuse into the op)",
          n.name, n.op, next.name, next.op);
    }
    fail("node '{}' ({}): no QuantizeLinear after its activation", n.name, n.op);
  }

  void compute(int index) {
    const ir::Node& n = g_.nodes[index];
    quantized(n, 0);  // a float graph fails here, naming its first op
    if (n.op == "Gemm" && g_.is_graph_output(n.outputs[0]) && g_.consumers(n.outputs[0]).empty()) {
      // qcv's schemes keep the logits float; TFLite needs them int8 (see bounded_output).
      const auto shape = tflite_shape(known_shape(g_, n.outputs[0]), n.outputs[0]);
      const int out = int8_tensor(n.outputs[0] + "_int8", shape, {});
      int8_[n.outputs[0]] = out;
      return gemm(n, out, {});
    }
    const OutputChain chain = output_chain(n);
    const ir::Node& q = g_.nodes[chain.q];
    done_.insert(chain.q);
    const auto shape = tflite_shape(known_shape(g_, q.outputs[0]), q.outputs[0]);
    const int out = int8_tensor(q.outputs[0], shape, activation_quant(g_, q));
    int8_[q.outputs[0]] = out;
    OpOptions o;
    o.activation = chain.activation;
    if (n.op == "Conv") return conv(n, out, o);
    if (n.op == "Gemm") return gemm(n, out, o);
    if (n.op == "Add" || n.op == "Mul")
      return emit(n.op == "Add" ? OpCode::Add : OpCode::Mul, {quantized(n, 0), quantized(n, 1)},
                  {out}, o);
    if (n.op == "HardSwish") {
      if (chain.activation != Activation::None)
        fail("node '{}' (HardSwish): TFLite's HARD_SWISH fuses no activation after it", n.name);
      return emit(OpCode::HardSwish, {quantized(n, 0)}, {out});
    }
    if (n.op == "HardSigmoid") return hard_sigmoid(n, out, o);
    if (n.op == "Sigmoid") return logistic(n, out, o);
    if (n.op == "BatchNormalization") return batch_norm(n, out, o);
    if (n.op == "GlobalAveragePool") {
      const std::vector<int32_t> axes = {1, 2};
      const int axes_t =
          model.add_constant({n.name + "_axes", {2}, TensorType::Int32, {}, 0}, vector_bytes(axes));
      o.keep_dims = true;
      return emit(OpCode::Mean, {quantized(n, 0), axes_t}, {out}, o);
    }
    pool(n, out, o);
  }

  // A PAD op before a window op whose ONNX pads are not TFLite's SAME or VALID. The int8 PAD
  // fills with the zero point, i.e. real 0.
  int pad(const ir::Node& n, int in, const PadPlan& plan) {
    const TensorDef t = model.tensor(in);  // a copy: adding tensors moves them
    const std::vector<int32_t> pads = {
        0, 0, int32_t(plan.top), int32_t(plan.bottom), int32_t(plan.left), int32_t(plan.right),
        0, 0};
    const int pads_t = model.add_constant({n.name + "_paddings", {4, 2}, TensorType::Int32, {}, 0},
                                          vector_bytes(pads));
    std::vector<int32_t> shape = t.shape;
    shape[1] += pads[2] + pads[3];
    shape[2] += pads[4] + pads[5];
    const int out = int8_tensor(n.name + "_padded_input", shape, t.quant);
    emit(OpCode::Pad, {in, pads_t}, {out});
    return out;
  }

  // The int32 bias of a conv/gemm with `channels` outputs; its scales must be input scale *
  // weight scale (what TFLite's kernels assume); a missing bias is zeros.
  int bias(const ir::Node& n, size_t input, int in, const QuantConstant& w, int64_t channels,
           std::vector<double>* real = nullptr) {
    const float in_scale = model.tensor(in).quant.scale[0];
    Quantization q;
    for (int64_t c = 0; c < channels; ++c) {
      q.scale.push_back(in_scale * w.scale[w.scale.size() == 1 ? 0 : c]);
      q.zero_point.push_back(0);
    }
    ir::Tensor values(ir::DType::Int32, {channels});
    const ir::Tensor* float_bias = g_.initializer(n.input(input));
    if (float_bias && float_bias->dtype() == ir::DType::Float32) {
      // A float bias (the scheme left it: the op's input is a reshaped int8 tensor) is quantized
      // here as TFLite requires, rounding half to even like QuantizeLinear.
      if (float_bias->numel() != channels)
        fail("node '{}' ({}): bias has {} values for {} channels", n.name, n.op,
             float_bias->numel(), channels);
      for (int64_t c = 0; c < channels; ++c) {
        const double v = std::nearbyint(float_bias->as_double(c) / q.scale[c]);
        values.data<int32_t>()[c] =
            static_cast<int32_t>(std::clamp(v, -2147483648.0, 2147483647.0));
      }
    } else if (!n.input(input).empty()) {
      QuantConstant b = quant_constant(g_, n, input, ir::DType::Int32);
      if (b.values.numel() != channels)
        fail("node '{}' ({}): bias has {} values for {} channels", n.name, n.op, b.values.numel(),
             channels);
      for (int64_t c = 0; c < channels; ++c) {
        const float s = b.scale[b.scale.size() == 1 ? 0 : c];
        if (std::fabs(s - q.scale[c]) > 1e-4f * q.scale[c])
          fail("node '{}' ({}): bias scale {} of channel {} is not input scale * weight scale {}",
               n.name, n.op, s, c, q.scale[c]);
      }
      values = b.values.reshaped({channels});
    }
    if (real)
      for (int64_t c = 0; c < channels; ++c)
        real->push_back(double(values.data<int32_t>()[c]) * q.scale[c]);
    if (w.scale.size() == 1) {  // per-tensor weights: a per-tensor bias (readers check the counts)
      q.scale.resize(1);
      q.zero_point.resize(1);
    }
    return model.add_constant({n.name + "_bias", {int32_t(channels)}, TensorType::Int32, q, 0},
                              tensor_bytes(values));
  }

  Quantization weight_quant(const QuantConstant& w, int32_t axis) {
    Quantization q;
    q.scale = w.scale;
    q.zero_point.assign(w.scale.size(), 0);
    q.axis = w.scale.size() == 1 ? 0 : axis;
    return q;
  }

  void conv(const ir::Node& n, int out, OpOptions o) {
    int in = quantized(n, 0);
    const QuantConstant w = quant_constant(g_, n, 1, ir::DType::Int8);
    const ir::Shape xs = known_shape(g_, n.input(0));
    const ir::Tensor& wt = w.values;
    if (wt.rank() != 4 || xs.size() != 4)
      fail("node '{}' (Conv): only 2-D convolutions are written", n.name);
    if (w.scale.size() > 1 && w.axis != 0)
      fail(
          "node '{}' (Conv): weights quantized per channel on axis {}, expected 0 (output "
          "channels)",
          n.name, w.axis);
    const int64_t co = wt.dim(0), ci = wt.dim(1), kh = wt.dim(2), kw = wt.dim(3);
    const int64_t group = n.attr_int("group", 1);
    if (group < 1 || ci * group != xs[1])
      fail("node '{}' (Conv): weights for {} x {} input channels, input has {}", n.name, ci, group,
           xs[1]);
    const PadPlan plan = plan_padding(n, xs[2], xs[3], kh, kw);
    const auto strides = n.attr_ints("strides", {1, 1});
    const auto dil = n.attr_ints("dilations", {1, 1});
    o.padding = plan.padding;
    o.stride_h = int32_t(strides[0]);
    o.stride_w = int32_t(strides[1]);
    o.dilation_h = int32_t(dil[0]);
    o.dilation_w = int32_t(dil[1]);
    // Centered windows (pads = dilation * (kernel - 1) / 2 on every side) are SAME at stride 1.
    const bool centered = plan.top == plan.bottom && plan.left == plan.right &&
                          2 * plan.top == dil[0] * (kh - 1) && 2 * plan.left == dil[1] * (kw - 1);
    int subsample_to = -1;
    if (plan.explicit_pad && !options_.pad_ops && centered) {
      subsample_to = out;
      out = int8_tensor(n.name + "_stride1",
                        {model.tensor(in).shape[0], int32_t(xs[2]), int32_t(xs[3]), int32_t(co)},
                        model.tensor(out).quant);
      o.padding = Padding::Same;
      o.stride_h = o.stride_w = 1;
    } else if (plan.explicit_pad) {
      in = pad(n, in, plan);
    }
    const int8_t* src = wt.data<int8_t>();
    std::vector<int8_t> dst(static_cast<size_t>(wt.numel()));
    TensorDef wd{n.name + "_weights", {}, TensorType::Int8, {}, 0};
    OpCode code;
    if (group == 1) {
      // [O, I, kh, kw] -> [O, kh, kw, I], per channel on axis 0.
      for (int64_t a = 0; a < co; ++a)
        for (int64_t c = 0; c < ci; ++c)
          for (int64_t y = 0; y < kh; ++y)
            for (int64_t x = 0; x < kw; ++x)
              dst[((a * kh + y) * kw + x) * ci + c] = src[((a * ci + c) * kh + y) * kw + x];
      wd.shape = {int32_t(co), int32_t(kh), int32_t(kw), int32_t(ci)};
      wd.quant = weight_quant(w, 0);
      code = OpCode::Conv2D;
    } else if (group == xs[1] && ci == 1 && co % group == 0) {
      // Depthwise: [C*M, 1, kh, kw] -> [1, kh, kw, C*M], output channel c*M+m in both; per
      // channel on axis 3, as TFLite requires.
      for (int64_t a = 0; a < co; ++a)
        for (int64_t y = 0; y < kh; ++y)
          for (int64_t x = 0; x < kw; ++x) dst[(y * kw + x) * co + a] = src[(a * kh + y) * kw + x];
      wd.shape = {1, int32_t(kh), int32_t(kw), int32_t(co)};
      wd.quant = weight_quant(w, 3);
      o.depth_multiplier = int32_t(co / group);
      code = OpCode::DepthwiseConv2D;
    } else {
      fail(
          "node '{}' (Conv): group {} with {} input channels is neither a plain nor a depthwise "
          "convolution; TFLite has no grouped convolution",
          n.name, group, xs[1]);
    }
    const int w_t = model.add_constant(wd, vector_bytes(dst));
    const int b_t = bias(n, 2, in, w, co);
    emit(code, {in, w_t, b_t}, {out}, o);
    if (subsample_to >= 0) {
      OpOptions sub;
      sub.filter_h = sub.filter_w = 1;
      sub.stride_h = int32_t(strides[0]);
      sub.stride_w = int32_t(strides[1]);
      emit(OpCode::MaxPool2D, {out}, {subsample_to}, sub);
    }
  }

  void gemm(const ir::Node& n, int out, OpOptions o) {
    const int in = quantized(n, 0);
    if (n.attr_float("alpha", 1.f) != 1.f || n.attr_float("beta", 1.f) != 1.f ||
        n.attr_int("transA", 0) != 0)
      fail("node '{}' (Gemm): alpha/beta other than 1 or transA are not written", n.name);
    if (model.tensor(in).shape.size() != 2)
      fail("node '{}' (Gemm): input of rank {}, expected 2", n.name, model.tensor(in).shape.size());
    const QuantConstant w = quant_constant(g_, n, 1, ir::DType::Int8);
    if (w.values.rank() != 2)
      fail("node '{}' (Gemm): weights of rank {}, expected 2", n.name, w.values.rank());
    const bool trans_b = n.attr_int("transB", 0) != 0;
    const int64_t units = w.values.dim(trans_b ? 0 : 1), depth = w.values.dim(trans_b ? 1 : 0);
    if (w.scale.size() > 1 && w.axis != (trans_b ? 0 : 1))
      fail("node '{}' (Gemm): weights quantized per channel on axis {}, not the output axis",
           n.name, w.axis);
    if (model.tensor(in).shape[1] != depth)
      fail("node '{}' (Gemm): input depth {} but weights for {}", n.name, model.tensor(in).shape[1],
           depth);
    // FULLY_CONNECTED weights are [units, depth].
    const int8_t* src = w.values.data<int8_t>();
    std::vector<int8_t> dst(static_cast<size_t>(w.values.numel()));
    for (int64_t u = 0; u < units; ++u)
      for (int64_t k = 0; k < depth; ++k)
        dst[u * depth + k] = trans_b ? src[u * depth + k] : src[k * units + u];
    std::vector<double> b_real;
    const int b_t = bias(n, 2, in, w, units, &b_real);
    if (model.tensor(out).quant.scale.empty())
      model.mutable_tensor(out).quant =
          options_.output_lo <= options_.output_hi
              ? range_quant(options_.output_lo, options_.output_hi)
              : bounded_output(model.tensor(in).quant, dst, w.scale, b_real, depth);
    if (w.scale.size() == 1) {
      const int w_t = model.add_constant({n.name + "_weights",
                                          {int32_t(units), int32_t(depth)},
                                          TensorType::Int8,
                                          weight_quant(w, 0),
                                          0},
                                         vector_bytes(dst));
      return emit(OpCode::FullyConnected, {in, w_t, b_t}, {out}, o);
    }
    // Per-channel weights: a 1x1 CONV_2D between RESHAPEs computes the same sums, and readers
    // without per-channel FULLY_CONNECTED (older TFLite and Arm NN) accept it.
    const int32_t batch = model.tensor(in).shape[0];
    const int w_t = model.add_constant({n.name + "_weights",
                                        {int32_t(units), 1, 1, int32_t(depth)},
                                        TensorType::Int8,
                                        weight_quant(w, 0),
                                        0},
                                       vector_bytes(dst));
    const int in4 = reshape_to(model.tensor(in).name + "_nhwc", in, {batch, 1, 1, int32_t(depth)});
    const int out4 = int8_tensor(n.name + "_conv_output", {batch, 1, 1, int32_t(units)},
                                 model.tensor(out).quant);
    emit(OpCode::Conv2D, {in4, w_t, b_t}, {out4}, o);
    reshape_into(out4, out, model.tensor(out).shape);
  }

  // RESHAPE of an int8 tensor into a new tensor (same parameters) or into `out`.
  void reshape_into(int in, int out, const std::vector<int32_t>& shape) {
    const int shape_t = model.add_constant({model.tensor(out).name + "_shape",
                                            {static_cast<int32_t>(shape.size())},
                                            TensorType::Int32,
                                            {},
                                            0},
                                           vector_bytes(shape));
    OpOptions o;
    o.new_shape = shape;
    emit(OpCode::Reshape, {in, shape_t}, {out}, o);
  }
  int reshape_to(const std::string& name, int in, const std::vector<int32_t>& shape) {
    const int out = int8_tensor(name, shape, model.tensor(in).quant);
    reshape_into(in, out, shape);
    return out;
  }

  void pool(const ir::Node& n, int out, OpOptions o) {
    int in = quantized(n, 0);
    const ir::Shape xs = known_shape(g_, n.input(0));
    const auto k = n.attr_ints("kernel_shape");
    const auto strides = n.attr_ints("strides", {1, 1});
    if (k.size() != 2) fail("node '{}' ({}): only 2-D pooling is written", n.name, n.op);
    if (n.attr_int("ceil_mode", 0) != 0 ||
        n.attr_ints("dilations", {1, 1}) != std::vector<int64_t>{1, 1})
      fail("node '{}' ({}): ceil_mode and dilations have no TFLite counterpart", n.name, n.op);
    const PadPlan plan = plan_padding(n, xs[2], xs[3], k[0], k[1]);
    const bool is_max = n.op == "MaxPool";
    const OpCode code = is_max ? OpCode::MaxPool2D : OpCode::AveragePool2D;
    o.padding = plan.padding;
    o.filter_h = int32_t(k[0]);
    o.filter_w = int32_t(k[1]);
    o.stride_h = int32_t(strides[0]);
    o.stride_w = int32_t(strides[1]);
    if (plan.explicit_pad) {
      if (!is_max)
        fail(
            "node '{}' (AveragePool): pads {} {} {} {} are not TFLite's SAME or VALID for this "
            "size",
            n.name, plan.top, plan.left, plan.bottom, plan.right);
      if (plan.top == plan.bottom && plan.left == plan.right && 2 * plan.top + 1 == k[0] &&
          2 * plan.left + 1 == k[1]) {
        // Centered windows (ResNet's 3x3/2 pad 1): the stride-1 SAME max over every position
        // (padding ignored, as ONNX's -inf padding), then every stride-th one by a 1x1 max.
        const TensorDef t = model.tensor(in);  // a copy: adding tensors moves them
        o.padding = Padding::Same;
        o.stride_h = o.stride_w = 1;
        const int all = int8_tensor(n.name + "_stride1", t.shape, t.quant);
        emit(code, {in}, {all}, o);
        in = all;
        o.padding = Padding::Valid;
        o.filter_h = o.filter_w = 1;
        o.stride_h = int32_t(strides[0]);
        o.stride_w = int32_t(strides[1]);
      } else if (model.tensor(in).quant.zero_point[0] == -128) {
        in = pad(n, in, plan);  // the zero point is the lowest int8 value: it never wins a max
      } else {
        fail(
            "node '{}' (MaxPool): pads {} {} {} {} are neither TFLite's SAME nor centered, and "
            "the input's zero point is not -128 (padding would change the max)",
            n.name, plan.top, plan.left, plan.bottom, plan.right);
      }
    }
    if (!is_max && n.attr_int("count_include_pad", 0) != 0 && plan.padding == Padding::Same)
      fail("node '{}' (AveragePool): count_include_pad=1 with padding is not TFLite's average",
           n.name);
    // TFLite's int8 pools keep the input's parameters; a QUANTIZE (int8 -> int8) moves the
    // result to those of the QuantizeLinear after the op when they differ.
    const TensorDef out_def = model.tensor(out);  // a copy: adding tensors moves them
    const Quantization in_quant = model.tensor(in).quant;
    if (out_def.quant.scale == in_quant.scale && out_def.quant.zero_point == in_quant.zero_point)
      return emit(code, {in}, {out}, o);
    if (!is_max && o.padding == Padding::Valid) return average_as_depthwise(n, in, out, o);
    const int pooled = int8_tensor(n.name + "_pooled", out_def.shape, in_quant);
    emit(code, {in}, {pooled}, o);
    emit(OpCode::Quantize, {pooled}, {out});
  }

  // An unpadded average pool whose output parameters differ from its input's: a depthwise conv
  // with every weight 1/(kh*kw), which rescales with one rounding, as qcv's kernel does (a pool
  // then a QUANTIZE would round twice).
  void average_as_depthwise(const ir::Node& n, int in, int out, OpOptions o) {
    const size_t channels = static_cast<size_t>(model.tensor(in).shape[3]);
    const double weight = 1.0 / (double(o.filter_h) * o.filter_w);
    depthwise_affine(n, in, out, o, std::vector<double>(channels, weight),
                     std::vector<double>(channels, 0.0));
  }

  // HardSigmoid max(0, min(1, alpha x + beta)) as a 1x1 depthwise conv (weight alpha, bias beta).
  // The clamp is the output's int8 saturation: a calibrated range of values in [0, 1] starts at 0
  // (zero point -128) and ends at most at 1. (A fused RELU_N1_TO_1 is not read by Arm NN 20.08's
  // DEPTHWISE_CONV_2D.)
  void hard_sigmoid(const ir::Node& n, int out, OpOptions o) {
    const int in = quantized(n, 0);
    if (o.activation != Activation::None)
      fail("node '{}' (HardSigmoid): an activation after it is not written", n.name);
    if (model.tensor(in).shape.size() != 4)
      fail("node '{}' (HardSigmoid): input of rank {}, only rank 4 (NHWC) is written", n.name,
           model.tensor(in).shape.size());
    const Quantization& q = model.tensor(out).quant;
    const double hi = (127.0 - double(q.zero_point.at(0))) * q.scale.at(0);
    if (q.zero_point[0] != -128 || hi > 1.0 + 1e-6)
      fail(
          "node '{}' (HardSigmoid): output range [{}, {}] is not within [0, 1] starting at 0, "
          "so int8 saturation is not the clamp TFLite needs",
          n.name, static_cast<float>((-128.0 - double(q.zero_point[0])) * q.scale[0]),
          static_cast<float>(hi));
    const size_t channels = static_cast<size_t>(model.tensor(in).shape[3]);
    o.filter_h = o.filter_w = 1;
    depthwise_affine(n, in, out, o, std::vector<double>(channels, n.attr_float("alpha", 0.2f)),
                     std::vector<double>(channels, n.attr_float("beta", 0.5f)));
  }

  // Sigmoid as LOGISTIC, whose int8 output TFLite fixes at scale 1/256, zero point -128 (the
  // tflite scheme's fixed range for it); other parameters would need a second rounding.
  void logistic(const ir::Node& n, int out, const OpOptions& o) {
    if (o.activation != Activation::None)
      fail("node '{}' (Sigmoid): TFLite's LOGISTIC fuses no activation after it", n.name);
    const Quantization& q = model.tensor(out).quant;
    if (q.zero_point.at(0) != -128 || std::fabs(q.scale.at(0) * 256.0 - 1.0) > 1e-6)
      fail(
          "node '{}' (Sigmoid): output scale {} zero point {}; TFLite's int8 LOGISTIC writes "
          "scale 1/256 zero point -128 only (re-run `qcv ptq --scheme tflite`, which fixes them)",
          n.name, q.scale[0], q.zero_point[0]);
    emit(OpCode::Logistic, {quantized(n, 0)}, {out});
  }

  // An inference BatchNormalization left between int8 tensors (ResNet v2's pre-activation, no
  // conv before it to fold into): a 1x1 depthwise conv with per-channel factor and shift, its
  // Relu fused.
  void batch_norm(const ir::Node& n, int out, OpOptions o) {
    const int in = quantized(n, 0);
    if (model.tensor(in).shape.size() != 4)
      fail("node '{}' (BatchNormalization): input of rank {}, only rank 4 (NHWC) is written",
           n.name, model.tensor(in).shape.size());
    const int64_t channels = model.tensor(in).shape[3];
    const auto affine = passes::batch_norm_affine(g_, n, channels);
    if (!affine)
      fail(
          "node '{}' (BatchNormalization): parameters are not constant float vectors of {} "
          "channels (or training mode)",
          n.name, channels);
    o.filter_h = o.filter_w = 1;
    depthwise_affine(n, in, out, o, affine->factor, affine->shift);
  }

  // y[c] = factor[c] * (sum of x[c] over the o.filter_h x o.filter_w window) + shift[c] as a
  // DEPTHWISE_CONV_2D: per-channel int8 weight +-w (or 0) with scale |factor| / w, int32 bias
  // shift / (input scale * weight scale). One rounding, to `out`'s parameters. Any w in 1..127
  // gives the same factor (the scale is float); w is the one whose bias grid input scale x
  // |factor| / w holds shift most closely (127 on ties), since that grid's rounding of shift is
  // an offset qcv's float HardSigmoid/BN does not have: with +-127 always, a trained
  // MobileNetV3-Small's gates differed from qcv by one step on 1.7% of the values.
  void depthwise_affine(const ir::Node& n, int in, int out, OpOptions o,
                        const std::vector<double>& factor, const std::vector<double>& shift) {
    const int32_t channels = model.tensor(in).shape[3];
    const int32_t kh = o.filter_h, kw = o.filter_w;
    const double in_scale = model.tensor(in).quant.scale[0];
    Quantization wq, bq;
    std::vector<int8_t> weights(static_cast<size_t>(kh) * kw * channels);
    std::vector<int32_t> biases(static_cast<size_t>(channels));
    for (int32_t c = 0; c < channels; ++c) {
      const double f = factor[c];
      int w = 127;
      auto scale_of = [&](int v) { return f == 0 ? 1.f : static_cast<float>(std::fabs(f) / v); };
      auto grid_error = [&](int v) {
        const double grid = in_scale * double(scale_of(v));
        return std::fabs(shift[c] - std::nearbyint(shift[c] / grid) * grid);
      };
      for (int v = 126; v >= 1 && f != 0; --v)
        if (grid_error(v) < grid_error(w)) w = v;
      const float scale = scale_of(w);
      const int8_t value = static_cast<int8_t>(f > 0 ? w : f < 0 ? -w : 0);
      for (int32_t k = 0; k < kh * kw; ++k) weights[static_cast<size_t>(k) * channels + c] = value;
      wq.scale.push_back(scale);
      bq.scale.push_back(static_cast<float>(in_scale * scale));
      const double b = std::nearbyint(shift[c] / (in_scale * double(scale)));
      biases[c] = static_cast<int32_t>(std::clamp(b, -2147483648.0, 2147483647.0));
    }
    wq.zero_point.assign(channels, 0);
    wq.axis = 3;
    bq.zero_point.assign(channels, 0);
    const int w_t =
        model.add_constant({n.name + "_weights", {1, kh, kw, channels}, TensorType::Int8, wq, 0},
                           vector_bytes(weights));
    const int b_t = model.add_constant({n.name + "_bias", {channels}, TensorType::Int32, bq, 0},
                                       vector_bytes(biases));
    o.depth_multiplier = 1;
    emit(OpCode::DepthwiseConv2D, {in, w_t, b_t}, {out}, o);
  }
};

}  // namespace

ExportResult convert(const ir::Graph& qdq, const ExportOptions& options) {
  if (options.batch < 1) fail("export-tflite: batch {} must be at least 1", options.batch);
  ir::Graph g = qdq;
  for (auto& in : g.inputs) {
    if (in.dtype != ir::DType::Float32)
      fail("graph input '{}' is {}, expected float32", in.name, ir::dtype_name(in.dtype));
    if (!in.has_shape || in.shape.empty()) fail("graph input '{}': shape unknown", in.name);
    in.shape[0] = options.batch;
    if (!in.dim_names.empty()) in.dim_names[0].clear();
  }
  g.value_info.clear();
  ir::infer_shapes(g);
  ir::Graph::Frozen frozen(g);
  Lowering lowering(g, options);
  lowering.run();
  ExportResult r;
  r.bytes = lowering.model.serialize(fmt::format("qcv export-tflite from graph '{}'", g.name));
  r.op_counts = lowering.op_counts;
  r.output_scales = lowering.output_scales;
  r.output_zero_points = lowering.output_zero_points;
  return r;
}

}  // namespace qcv::tflite
