// The PTQ pipeline: FP32 graph -> optimize -> placement -> calibration -> QDQ graph, in two halves
// (quant/fallback.h) so that one calibration can serve many placements.
#include <algorithm>

#include "passes/passes.h"
#include "quant/calibration_guard.h"
#include "quant/fallback.h"
#include "quant/quant.h"

namespace qcv::quant {

namespace {

Overrides with_excluded(Overrides o, const std::vector<std::string>& nodes) {
  o.exclude.insert(o.exclude.end(), nodes.begin(), nodes.end());
  return o;
}

// The activation targets plans with one more node excluded add to `plan` (fused activations).
QuantPlan with_fallback_targets(const ir::Graph& graph, QuantPlan plan, const PtqOptions& o) {
  for (const ir::Node& n : graph.nodes) {
    const QuantPlan other =
        plan_quantization(graph, o.scheme, with_excluded(o.overrides, {n.name}));
    for (const QuantTarget& t : other.targets)
      if (t.role == TensorRole::Activation && !plan.find(t.tensor)) plan.targets.push_back(t);
  }
  return plan;
}

}  // namespace

PtqPreparation prepare_ptq(ir::Graph graph, const Backend& backend, CalibrationData& data,
                           const PtqOptions& options) {
  for (const auto& n : graph.nodes)
    if (n.op == "QuantizeLinear" || n.op == "DequantizeLinear")
      fail("ptq: graph '{}' is already quantized ({} node '{}')", graph.name, n.op, n.name);
  if (options.optimize) {
    passes::optimize(graph);
  } else {
    ir::validate(graph);
    ir::infer_shapes(graph);
  }
  if (options.scheme.batch_norm_as_depthwise_conv && passes::batch_norm_to_depthwise_conv(graph))
    ir::infer_shapes(graph);
  // Overrides and the report name nodes: give every node a name.
  ir::NameGenerator names(graph);
  for (auto& n : graph.nodes)
    if (n.name.empty()) n.name = names(n.op);

  PtqPreparation c;
  c.options = options;
  if (options.equalize) {
    c.equalization = equalize_cross_layer(graph, options.equalization);
    ir::infer_shapes(graph);
  }
  if (options.absorb_high_bias) {
    c.high_bias = absorb_high_biases(graph, backend, data, options.high_bias, options.calibration);
    ir::infer_shapes(graph);
  }
  c.plan = plan_quantization(graph, options.scheme, options.overrides);
  if (options.adaround) {
    // Bias correction would correct for round-to-nearest's error, which AdaRound replaces.
    if (options.bias_correction) fail("ptq: AdaRound and bias correction are exclusive");
    c.adaround = std::make_shared<AdaRoundReport>(
        adaround_weights(graph, c.plan, backend, data, *options.adaround, options.calibration));
  }
  if (options.bias_correction) {
    std::map<std::string, std::string> before;
    for (const ir::Node& n : graph.nodes) before[n.name] = n.input(2);
    c.biases_corrected = correct_bias(graph, c.plan, backend, data, options.calibration);
    for (const ir::Node& n : graph.nodes)
      if (n.input(2) != before[n.name]) c.original_bias[n.name] = before[n.name];
    // A conv that had no bias has one now: placed again (int32 bias schemes quantize it).
    ir::infer_shapes(graph);
    c.plan = plan_quantization(graph, options.scheme, options.overrides);
  }
  c.prepared = std::move(graph);
  return c;
}

PtqCalibration calibrate_prepared(const PtqPreparation& preparation, const Backend& backend,
                                  CalibrationData& data, const CalibrationOptions& calibration,
                                  bool for_fallback) {
  PtqCalibration c;
  static_cast<PtqPreparation&>(c) = preparation;
  c.options.calibration = calibration;
  const ir::Graph& graph = c.prepared;
  const QuantPlan observed = for_fallback ? with_fallback_targets(graph, c.plan, c.options) : c.plan;
  c.stats = collect_stats(graph, observed.activation_tensors(), backend, data, calibration);
  const bool automatic = calibration.method == CalibrationMethod::Auto;
  if (automatic) c.chosen = choose_methods(graph, observed, c.stats, backend, data, calibration);
  for (const auto& t : observed.targets) {
    if (t.role != TensorRole::Activation) continue;
    CalibrationOptions m = calibration;
    if (automatic) m.method = c.chosen.at(t.tensor).method;
    auto [lo, hi] = t.has_fixed_range
                        ? std::pair(t.fixed_min, t.fixed_max)
                        : calibrated_range(c.stats.at(t.tensor), m, t.symmetric, t.dtype);
    c.activation_params[t.tensor] = params_for_range(lo, hi, t.dtype, t.symmetric);
  }
  return c;
}

PtqCalibration calibrate_ptq(ir::Graph graph, const Backend& backend, CalibrationData& data,
                             const PtqOptions& options, bool for_fallback) {
  return calibrate_prepared(prepare_ptq(std::move(graph), backend, data, options), backend, data,
                            options.calibration, for_fallback);
}

PtqResult quantize_calibrated(const PtqCalibration& c, const std::vector<std::string>& fp32_nodes) {
  NodeChoices choices;
  choices.fp32 = fp32_nodes;
  return quantize_calibrated(c, choices);
}

PtqResult quantize_calibrated(const PtqCalibration& c, const NodeChoices& choices) {
  const PtqOptions& options = c.options;
  ir::Graph graph = c.prepared;
  PtqResult result;
  result.equalization = c.equalization;
  result.biases_corrected = c.biases_corrected;
  result.high_bias = c.high_bias;
  result.adaround = c.adaround;
  result.stats = c.stats;
  Overrides overrides = with_excluded(options.overrides, choices.fp32);
  overrides.per_channel_weights.insert(overrides.per_channel_weights.end(),
                                       choices.per_channel.begin(), choices.per_channel.end());
  if (choices.fp32.empty() && choices.per_channel.empty()) {
    result.plan = c.plan;
  } else {
    // A node left in FP32 (or now per channel) keeps its own bias: the correction was for its
    // weight quantized as the calibration's plan said.
    bool restored = false;
    for (ir::Node& n : graph.nodes) {
      auto it = c.original_bias.find(n.name);
      const bool fp32 = overrides.excluded(n.name) && !overrides.included(n.name);
      if (it == c.original_bias.end() || (!fp32 && !overrides.per_channel(n.name))) continue;
      if (it->second.empty())
        n.inputs.resize(2);
      else
        n.inputs[2] = it->second;
      restored = true;
    }
    if (restored) {
      passes::eliminate_dead_code(graph);
      ir::infer_shapes(graph);
    }
    result.plan = plan_quantization(graph, options.scheme, overrides);
  }
  const bool automatic = options.calibration.method == CalibrationMethod::Auto;
  std::map<std::string, QuantParams> params;
  for (const auto& t : result.plan.targets) {
    if (t.role != TensorRole::Activation) continue;
    if (auto r = choices.ranges.find(t.tensor); r != choices.ranges.end()) {
      params[t.tensor] = r->second.params;
      continue;
    }
    auto it = c.activation_params.find(t.tensor);
    if (it == c.activation_params.end())
      fail("ptq: '{}' was not calibrated (calibrate_ptq without for_fallback?)", t.tensor);
    params[t.tensor] = it->second;
  }
  if (c.adaround) apply_rounding(graph, result.plan, *c.adaround, params);
  // Names of the readers, for the report, before insertion rewires them.
  std::map<std::string, std::vector<std::string>> readers;
  for (const auto& t : result.plan.targets)
    for (const Use& u : t.uses) readers[t.tensor].push_back(graph.nodes[u.node].name);

  params = insert_qdq(graph, result.plan, std::move(params), options.insert);
  ir::validate(graph);
  ir::infer_shapes(graph);
  validate_qdq(graph);

  result.report.scheme = options.scheme.name;
  result.report.method = method_name(options.calibration.method);
  for (const auto& t : result.plan.targets) {
    ReportEntry e;
    e.tensor = t.tensor;
    e.role = t.role;
    e.rule = t.rule;
    e.consumers = readers[t.tensor];
    e.params = params.at(t.tensor);
    if (t.role == TensorRole::Activation) {
      e.method = method_name(options.calibration.method);
      if (auto r = choices.ranges.find(t.tensor); r != choices.ranges.end()) {
        e.method = method_name(r->second.method);
      } else if (automatic) {
        const MethodChoice& m = c.chosen.at(t.tensor);
        e.method = method_name(m.method);
        for (const MethodTrial& trial : m.trials)
          e.method_mse[method_name(trial.method)] = trial.mse;
      }
    }
    result.report.entries.push_back(e);
  }
  result.graph = std::move(graph);
  return result;
}

PtqResult quantize_ptq(ir::Graph graph, const Backend& backend, CalibrationData& data,
                       const PtqOptions& options) {
  return quantize_calibrated(calibrate_ptq(std::move(graph), backend, data, options));
}

std::vector<std::string> quantizable_nodes(const PtqCalibration& c) {
  // A plan as comparable data: tensor -> sorted uses.
  const auto signature = [](const QuantPlan& p) {
    std::map<std::string, std::vector<Use>> s;
    for (const QuantTarget& t : p.targets) {
      auto uses = t.uses;
      std::sort(uses.begin(), uses.end());
      s[t.tensor] = uses;
    }
    return s;
  };
  const auto full = signature(c.plan);
  std::vector<std::string> out;
  for (const ir::Node& n : c.prepared.nodes) {
    if (c.options.overrides.excluded(n.name) && !c.options.overrides.included(n.name)) continue;
    const QuantPlan p = plan_quantization(c.prepared, c.options.scheme,
                                          with_excluded(c.options.overrides, {n.name}));
    if (signature(p) != full) out.push_back(n.name);
  }
  return out;
}

}  // namespace qcv::quant
