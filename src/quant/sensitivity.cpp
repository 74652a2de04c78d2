// Sensitivity analysis: two QDQ graphs per node from one calibration, each evaluated.
#include "quant/sensitivity.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <limits>
#include <set>

namespace qcv::quant {

double sqnr_db(const std::vector<float>& ref, const std::vector<float>& x) {
  if (ref.size() != x.size())
    fail("sqnr: {} reference values against {} values", ref.size(), x.size());
  double signal = 0, noise = 0;
  for (size_t i = 0; i < ref.size(); ++i) {
    const double d = double(ref[i]) - double(x[i]);
    signal += double(ref[i]) * ref[i];
    noise += d * d;
  }
  if (noise == 0) return std::numeric_limits<double>::infinity();
  if (signal == 0) return -std::numeric_limits<double>::infinity();
  return 10 * std::log10(signal / noise);
}

bool more_damaging(const NodeSensitivity& a, const NodeSensitivity& b) {
  if (a.top1_only_quantized != b.top1_only_quantized)
    return a.top1_only_quantized < b.top1_only_quantized;
  if (a.sqnr_only_quantized != b.sqnr_only_quantized)
    return a.sqnr_only_quantized < b.sqnr_only_quantized;
  return a.top1_only_fp32 > b.top1_only_fp32;
}

namespace {

double ratio_db(double signal, double noise) {
  if (noise == 0) return std::numeric_limits<double>::infinity();
  if (signal == 0) return -std::numeric_limits<double>::infinity();
  return 10 * std::log10(signal / noise);
}

// Each activation of the full plan against its fake-quantized self, over the calibration data.
std::map<std::string, double> activation_sqnr(const PtqCalibration& c, const Backend& backend,
                                              CalibrationData& data) {
  struct Sums {
    double signal = 0, noise = 0;
    QuantParams params;
  };
  std::map<std::string, Sums> sums;
  std::vector<std::string> observed;
  for (const QuantTarget& t : c.plan.targets)
    if (t.role == TensorRole::Activation) {
      sums[t.tensor].params = c.activation_params.at(t.tensor);
      observed.push_back(t.tensor);
    }
  if (observed.empty()) return {};
  Runner run = backend(c.prepared, observed, [&](const std::string& name, const ir::Tensor& v) {
    Sums& s = sums.at(name);
    const float* x = v.data<float>();
    const size_t n = static_cast<size_t>(v.numel());
    for (size_t i = 0; i < n; ++i) s.signal += double(x[i]) * x[i];
    s.noise += squared_quantization_error(x, n, s.params);
  });
  data.rewind();
  std::map<std::string, ir::Tensor> feeds;
  while (data.next(feeds)) run(feeds);
  std::map<std::string, double> out;
  for (const auto& [name, s] : sums) out[name] = ratio_db(s.signal, s.noise);
  return out;
}

double weight_sqnr(const ir::Tensor& w, const QuantParams& p) {
  const ir::Tensor dq = dequantize_constant(quantize_constant(w, p), p);
  double signal = 0, noise = 0;
  for (int64_t i = 0; i < w.numel(); ++i) {
    const double x = w.data<float>()[i], d = x - dq.data<float>()[i];
    signal += x * x;
    noise += d * d;
  }
  return ratio_db(signal, noise);
}

}  // namespace

SensitivityResult analyze_sensitivity(const ir::Graph& fp32, const PtqCalibration& c,
                                      const Evaluate& evaluate, const Backend& backend,
                                      CalibrationData& data, const SensitivityOptions& options) {
  const auto say = [&](const std::string& line) {
    if (options.progress)
      options.progress(line);
    else
      std::fprintf(stderr, "%s\n", line.c_str());
  };
  SensitivityResult r;
  r.method = method_name(c.options.calibration.method);
  const EvalOutcome ref = evaluate(fp32);
  r.fp32_top1 = ref.top1;
  const PtqResult full = quantize_calibrated(c);
  const EvalOutcome all = evaluate(full.graph);
  r.quantized_top1 = all.top1;
  r.quantized_sqnr = sqnr_db(ref.logits, all.logits);
  say(
      fmt::format("sensitivity: FP32 top-1 {:.2f}%, all quantized ({}) {:.2f}% (output SQNR "
                  "{:.1f} dB)",
                  r.fp32_top1, r.method, r.quantized_top1, r.quantized_sqnr));

  // Per tensor.
  const std::map<std::string, double> act = activation_sqnr(c, backend, data);
  for (const ReportEntry& e : full.report.entries) {
    if (e.role == TensorRole::Bias) continue;
    TensorSensitivity t;
    t.tensor = e.tensor;
    t.role = e.role;
    t.consumers = e.consumers;
    t.sqnr_db = e.role == TensorRole::Weight
                    ? weight_sqnr(*c.prepared.initializer(e.tensor), e.params)
                    : act.at(e.tensor);
    r.tensors.push_back(t);
  }

  // Per node.
  const std::vector<std::string> nodes = quantizable_nodes(c);
  const auto start = std::chrono::steady_clock::now();
  for (size_t k = 0; k < nodes.size(); ++k) {
    NodeSensitivity s;
    s.node = nodes[k];
    for (const ir::Node& n : c.prepared.nodes)
      if (n.name == s.node) s.op = n.op;
    for (const QuantTarget& t : c.plan.targets)
      for (const Use& u : t.uses)
        if (c.prepared.nodes[u.node].name == s.node && t.role != TensorRole::Bias &&
            std::find(s.tensors.begin(), s.tensors.end(), t.tensor) == s.tensors.end())
          s.tensors.push_back(t.tensor);
    std::vector<std::string> others;
    for (const std::string& n : nodes)
      if (n != s.node) others.push_back(n);
    const EvalOutcome only_q = evaluate(quantize_calibrated(c, others).graph);
    s.top1_only_quantized = only_q.top1;
    s.sqnr_only_quantized = sqnr_db(ref.logits, only_q.logits);
    if (options.only_fp32_trials) {
      const EvalOutcome only_f = evaluate(quantize_calibrated(c, {s.node}).graph);
      s.top1_only_fp32 = only_f.top1;
      s.sqnr_only_fp32 = sqnr_db(ref.logits, only_f.logits);
    }
    const double spent =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    say(fmt::format(
        "sensitivity: node {}/{} {} ({}): only it quantized {:.2f}% ({:.1f} dB){}, "
        "ETA {:.0f} s",
        k + 1, nodes.size(), s.node, s.op, s.top1_only_quantized, s.sqnr_only_quantized,
        options.only_fp32_trials
            ? fmt::format(", only it FP32 {:.2f}% ({:.1f} dB)", s.top1_only_fp32, s.sqnr_only_fp32)
            : "",
        spent / double(k + 1) * double(nodes.size() - k - 1)));
    r.nodes.push_back(s);
  }
  std::stable_sort(r.nodes.begin(), r.nodes.end(), more_damaging);
  return r;
}

}  // namespace qcv::quant
