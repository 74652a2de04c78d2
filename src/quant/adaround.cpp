// AdaRound's data side: per layer, rows of the layer's input sampled from the FP32 model and from
// the model whose earlier layers are already rounded (the paper's asymmetric reconstruction:
// a layer learns to undo some of the error it receives), a solver for the rounding, and the
// rounded weights written back as floats that quantize exactly to the chosen integers.
#include "quant/adaround.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <random>

#include "passes/passes.h"

namespace qcv::quant {

namespace {

// A layer's geometry: how rows are cut from its input and how its weight maps to [g, M/g, K/g].
struct Layer {
  int node = -1;
  const QuantTarget* target = nullptr;
  bool conv = false;
  int64_t groups = 1, rows_out = 0, cols = 0;  // M/g, K/g
  int64_t kh = 1, kw = 1, sh = 1, sw = 1, dh = 1, dw = 1, pt = 0, pl = 0, pb = 0, pr = 0;
  float alpha = 1;  // Gemm
  // order[j]: the weight's flat index of the problem's flat index j (Gemm transB = 0 transposes).
  std::vector<int64_t> order;
};

// Why a layer cannot be rounded here, or "" (and `l` filled in).
std::string describe(const ir::Graph& g, int node, const QuantTarget& t, Layer& l) {
  const ir::Node& n = g.nodes[node];
  const ir::Tensor* w = g.initializer(t.tensor);
  if (!w || w->dtype() != ir::DType::Float32) return "weight is not a float32 initializer";
  if (t.uses.size() != 1) return "weight shared by several nodes";
  l.node = node;
  l.target = &t;
  if (n.op == "Conv") {
    if (w->rank() != 4) return "not a 2-D convolution";
    if (n.attr_string("auto_pad", "NOTSET") != "NOTSET") return "auto_pad is set";
    l.conv = true;
    l.groups = n.attr_int("group", 1);
    if (l.groups < 1 || w->dim(0) % l.groups != 0) return "output channels not divisible by group";
    const auto strides = n.attr_ints("strides", {1, 1}), dil = n.attr_ints("dilations", {1, 1}),
               pads = n.attr_ints("pads", {0, 0, 0, 0});
    if (strides.size() != 2 || dil.size() != 2 || pads.size() != 4) return "attributes not 2-D";
    l.kh = w->dim(2), l.kw = w->dim(3), l.sh = strides[0], l.sw = strides[1];
    l.dh = dil[0], l.dw = dil[1], l.pt = pads[0], l.pl = pads[1], l.pb = pads[2], l.pr = pads[3];
    l.rows_out = w->dim(0) / l.groups;
    l.cols = w->dim(1) * l.kh * l.kw;
    l.order.resize(w->numel());
    for (int64_t i = 0; i < w->numel(); ++i) l.order[i] = i;  // [M, C/g, kh, kw] is [g, M/g, K/g]
    return "";
  }
  if (n.attr_int("transA", 0) != 0) return "Gemm with transA";
  if (w->rank() != 2) return "Gemm weight not 2-D";
  l.alpha = n.attr_float("alpha", 1.0f);
  const bool trans_b = n.attr_int("transB", 0) != 0;
  l.rows_out = trans_b ? w->dim(0) : w->dim(1);
  l.cols = trans_b ? w->dim(1) : w->dim(0);
  l.order.resize(w->numel());
  for (int64_t m = 0; m < l.rows_out; ++m)
    for (int64_t k = 0; k < l.cols; ++k)
      l.order[m * l.cols + k] = trans_b ? m * l.cols + k : k * l.rows_out + m;
  return "";
}

// Reservoir sampling of rows over every image and output position of the calibration data, the
// same rows from the FP32 input and from the rounded model's input.
class RowSampler {
 public:
  RowSampler(const Layer& l, int64_t capacity, uint64_t seed)
      : l_(l), capacity_(capacity), rng_(seed) {}

  void add(const ir::Tensor& fp32, const ir::Tensor& quantized, const std::string& where) {
    if (fp32.shape() != quantized.shape() || fp32.dtype() != ir::DType::Float32)
      fail("adaround: input of '{}' differs between the FP32 and the rounded model", where);
    const bool conv = l_.conv;
    if (fp32.rank() != (conv ? 4u : 2u) ||
        fp32.dim(1) != (conv ? l_.groups * (l_.cols / (l_.kh * l_.kw)) : l_.cols))
      fail("adaround: input of '{}' has shape {}", where, ir::shape_str(fp32.shape()));
    const int64_t n = fp32.dim(0);
    const int64_t h = conv ? fp32.dim(2) : 1, w = conv ? fp32.dim(3) : 1;
    const int64_t oh = conv ? (h + l_.pt + l_.pb - l_.dh * (l_.kh - 1) - 1) / l_.sh + 1 : 1;
    const int64_t ow = conv ? (w + l_.pl + l_.pr - l_.dw * (l_.kw - 1) - 1) / l_.sw + 1 : 1;
    const size_t row = static_cast<size_t>(l_.groups * l_.cols);
    for (int64_t b = 0; b < n; ++b)
      for (int64_t y = 0; y < oh; ++y)
        for (int64_t x = 0; x < ow; ++x) {
          const int64_t slot = next_slot();
          if (slot < 0) continue;
          // Slots fill in order until the reservoir is full: the buffers grow with the rows.
          if (fp32_.size() < (slot + 1) * row) {
            fp32_.resize((slot + 1) * row);
            quantized_.resize((slot + 1) * row);
          }
          copy_row(fp32, b, y, x, h, w, fp32_.data() + slot * row);
          copy_row(quantized, b, y, x, h, w, quantized_.data() + slot * row);
        }
  }

  int64_t rows() const { return std::min(seen_, capacity_); }

  // [groups, rows, cols] of the rows filled.
  ir::Tensor take(bool quantized) const {
    const std::vector<float>& src = quantized ? quantized_ : fp32_;
    const int64_t r_count = rows();
    ir::Tensor t(ir::DType::Float32, {l_.groups, r_count, l_.cols});
    for (int64_t g = 0; g < l_.groups; ++g)
      for (int64_t r = 0; r < r_count; ++r)
        std::copy_n(src.begin() + (r * l_.groups + g) * l_.cols, l_.cols,
                    t.data<float>() + (g * r_count + r) * l_.cols);
    return t;
  }

 private:
  int64_t next_slot() {
    const int64_t i = seen_++;
    if (i < capacity_) return i;
    const int64_t j = std::uniform_int_distribution<int64_t>(0, i)(rng_);
    return j < capacity_ ? j : -1;
  }

  // The patch of output position (y, x) of image b for every group ([groups, cols] at dst);
  // zeros in the padding.
  void copy_row(const ir::Tensor& t, int64_t b, int64_t y, int64_t x, int64_t h, int64_t w,
                float* dst) const {
    const float* src = t.data<float>();
    if (!l_.conv) {
      for (int64_t k = 0; k < l_.cols; ++k) dst[k] = l_.alpha * src[b * l_.cols + k];
      return;
    }
    const int64_t channels = l_.cols / (l_.kh * l_.kw), all = t.dim(1);
    for (int64_t g = 0; g < l_.groups; ++g)
      for (int64_t c = 0; c < channels; ++c)
        for (int64_t i = 0; i < l_.kh; ++i)
          for (int64_t j = 0; j < l_.kw; ++j) {
            const int64_t iy = y * l_.sh - l_.pt + i * l_.dh, ix = x * l_.sw - l_.pl + j * l_.dw;
            const bool inside = iy >= 0 && iy < h && ix >= 0 && ix < w;
            *dst++ = inside ? src[((b * all + g * channels + c) * h + iy) * w + ix] : 0.0f;
          }
  }

  const Layer& l_;
  int64_t capacity_, seen_ = 0;
  std::mt19937_64 rng_;
  std::vector<float> fp32_, quantized_;  // [slot, groups, cols]
};

// Mean over rows of the squared output error summed over channels: weights `wq` on `xq` against
// `w` on `xf` (all in the problem's layout).
double output_error(const RoundingProblem& p, const std::vector<float>& wq) {
  const int64_t groups = p.weight.dim(0), m_count = p.weight.dim(1), k_count = p.weight.dim(2);
  const int64_t rows = p.fp32_inputs.dim(1);
  const float *w = p.weight.data<float>(), *xf = p.fp32_inputs.data<float>(),
              *xq = p.quantized_inputs.data<float>();
  double sum = 0;
  for (int64_t g = 0; g < groups; ++g)
    for (int64_t r = 0; r < rows; ++r) {
      const float* a = xf + (g * rows + r) * k_count;
      const float* b = xq + (g * rows + r) * k_count;
      for (int64_t m = 0; m < m_count; ++m) {
        const int64_t o = (g * m_count + m) * k_count;
        double want = 0, got = 0;
        for (int64_t k = 0; k < k_count; ++k) {
          want += static_cast<double>(a[k]) * w[o + k];
          got += static_cast<double>(b[k]) * wq[o + k];
        }
        sum += (got - want) * (got - want);
      }
    }
  return rows > 0 ? sum / static_cast<double>(rows) : 0.0;
}

// A runner that leaves `value` of each batch in `slot`: a graph input straight from the feeds,
// else the graph cut down to what computes it (layer k needs only the layers before it).
Runner observe(const ir::Graph& g, const std::string& value, const Backend& backend,
               ir::Tensor& slot) {
  if (g.input_value(value))
    return [&slot, value](const std::map<std::string, ir::Tensor>& feeds) {
      auto it = feeds.find(value);
      if (it == feeds.end()) fail("adaround: the calibration data does not feed '{}'", value);
      slot = it->second;
    };
  ir::Graph part = g;
  part.outputs = {ir::make_value(value)};
  passes::eliminate_dead_code(part);
  ir::infer_shapes(part);
  return backend(part, {value}, [&slot](const std::string&, const ir::Tensor& t) { slot = t; });
}

}  // namespace

AdaRoundReport adaround_weights(ir::Graph& graph, const QuantPlan& plan, const Backend& backend,
                                CalibrationData& data, const AdaRoundOptions& options,
                                const CalibrationOptions& progress) {
  if (!options.solve) fail("adaround: no rounding solver (qcv built without LibTorch?)");
  if (options.iterations < 1 || options.batch_rows < 1 || options.sample_rows < 1)
    fail("adaround: iterations, batch rows and sample rows must be positive");
  const auto start = std::chrono::steady_clock::now();
  const auto say = [&](const std::string& line) { report_progress(progress, line); };
  AdaRoundReport report;
  std::vector<Layer> layers;
  for (const QuantTarget& t : plan.targets) {
    if (t.role != TensorRole::Weight) continue;
    for (const Use& u : t.uses) {
      const ir::Node& n = graph.nodes.at(u.node);
      if (u.input != 1 || (n.op != "Conv" && n.op != "Gemm")) continue;
      Layer l;
      const std::string why = describe(graph, u.node, t, l);
      if (why.empty())
        layers.push_back(std::move(l));
      else
        report.skipped.push_back(n.name + ": " + why);
    }
  }
  std::sort(layers.begin(), layers.end(),
            [](const Layer& a, const Layer& b) { return a.node < b.node; });
  const ir::Graph fp32 = graph;

  for (size_t li = 0; li < layers.size(); ++li) {
    const Layer& l = layers[li];
    const ir::Node& n = graph.nodes[l.node];
    const std::string& input = n.inputs[0];
    const ir::Tensor original = *graph.initializer(l.target->tensor);
    const QuantParams params = weight_params(original, l.target->axis, l.target->bits);

    // The rows: both models on the same batches (the first layer's inputs are the same).
    RowSampler sampler(l, options.sample_rows, options.seed + li);
    ir::Tensor seen_fp32, seen_rounded;
    Runner run_fp32 = observe(fp32, input, backend, seen_fp32);
    Runner run_rounded;
    if (!report.original.empty()) run_rounded = observe(graph, input, backend, seen_rounded);
    data.rewind();
    std::map<std::string, ir::Tensor> feeds;
    while (data.next(feeds)) {
      run_fp32(feeds);
      if (run_rounded) run_rounded(feeds);
      sampler.add(seen_fp32, run_rounded ? seen_rounded : seen_fp32, n.name);
    }
    if (sampler.rows() == 0) fail("adaround: no calibration rows reached '{}'", n.name);

    RoundingProblem p;
    p.layer = n.name;
    p.qmin = -(1 << (params.bits - 1));
    p.qmax = (1 << (params.bits - 1)) - 1;
    // Each weight's step: the dequantized value of 1 (zero points are 0), as DequantizeLinear.
    ir::Tensor ones(ir::DType::Int8, original.shape());
    std::fill_n(ones.data<int8_t>(), ones.numel(), int8_t{1});
    const ir::Tensor step = dequantize_constant(ones, params);
    const ir::Tensor nearest = quantize_constant(original, params);
    const ir::Shape shape = {l.groups, l.rows_out, l.cols};
    p.weight = ir::Tensor(ir::DType::Float32, shape);
    p.scale = ir::Tensor(ir::DType::Float32, shape);
    std::vector<float> w_nearest(l.order.size());
    for (size_t j = 0; j < l.order.size(); ++j) {
      p.weight.data<float>()[j] = original.data<float>()[l.order[j]];
      p.scale.data<float>()[j] = step.data<float>()[l.order[j]];
      w_nearest[j] = p.scale.data<float>()[j] * nearest.data<int8_t>()[l.order[j]];
    }
    p.fp32_inputs = sampler.take(false);
    p.quantized_inputs = sampler.take(true);

    const auto solve_start = std::chrono::steady_clock::now();
    const ir::Tensor q = options.solve(p, options);
    const double solve_s =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - solve_start).count();
    if (q.dtype() != ir::DType::Int32 || q.shape() != shape)
      fail("adaround: the solver returned {} {} for '{}', expected int32 {}",
           ir::dtype_name(q.dtype()), ir::shape_str(q.shape()), n.name, ir::shape_str(shape));
    std::vector<float> w_rounded(l.order.size());
    for (size_t j = 0; j < l.order.size(); ++j) {
      const int32_t v = q.data<int32_t>()[j];
      // floor(w / s) or one above, saturated: never more than one step from nearest.
      const float down = std::floor(p.weight.data<float>()[j] / p.scale.data<float>()[j]);
      const auto saturated = [&](float x) {
        return std::clamp(x, static_cast<float>(p.qmin), static_cast<float>(p.qmax));
      };
      if (v != saturated(down) && v != saturated(down + 1))
        fail("adaround: the solver rounded weight {} of '{}' ({} steps) to {}", j, n.name,
             p.weight.data<float>()[j] / p.scale.data<float>()[j], v);
      w_rounded[j] = p.scale.data<float>()[j] * static_cast<float>(v);
    }
    AdaRoundLayer r;
    r.node = n.name;
    r.weight = l.target->tensor;
    r.rows = sampler.rows();
    r.weights = original.numel();
    r.error_nearest = output_error(p, w_nearest);
    r.error_adaround = output_error(p, w_rounded);
    r.kept_nearest = options.keep_nearest_if_worse && r.error_adaround > r.error_nearest;
    ir::Tensor ints(ir::DType::Int8, original.shape());
    for (size_t j = 0; j < l.order.size(); ++j) {
      const int8_t near = nearest.data<int8_t>()[l.order[j]];
      const int8_t v = r.kept_nearest ? near : static_cast<int8_t>(q.data<int32_t>()[j]);
      ints.data<int8_t>()[l.order[j]] = v;
      r.changed += v != near;
    }
    graph.initializers[l.target->tensor] = dequantize_constant(ints, params);
    report.original[l.target->tensor] = original;
    report.params[l.target->tensor] = params;
    say(
        fmt::format("adaround: {}/{} '{}': {} rows, {} of {} weights not rounded to nearest, "
                    "output error {:.4g} -> {:.4g}{}, solved in {:.1f} s",
                    li + 1, layers.size(), n.name, r.rows, r.changed, r.weights, r.error_nearest,
                    r.error_adaround, r.kept_nearest ? " (worse: nearest kept)" : "", solve_s));
    report.layers.push_back(std::move(r));
  }
  report.seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  for (const std::string& why : report.skipped) say("adaround: skipped " + why);
  say(fmt::format("adaround: {} layers in {:.1f} s", report.layers.size(), report.seconds));
  return report;
}

void apply_rounding(ir::Graph& graph, const QuantPlan& plan, const AdaRoundReport& rounding,
                    std::map<std::string, QuantParams>& params) {
  for (const auto& [tensor, p] : rounding.params) {
    const QuantTarget* t = plan.find(tensor);
    // The integers are for the scales they were learned with: a weight now quantized otherwise
    // (tune's per-channel rung on a per-tensor scheme) is rounded to nearest from its FP32 values.
    if (t && t->role == TensorRole::Weight && t->axis == p.axis && t->bits == p.bits)
      params[tensor] = p;
    else
      graph.initializers[tensor] = rounding.original.at(tensor);
  }
}

}  // namespace qcv::quant
