// The PTQ pipeline: FP32 graph -> optimize -> placement -> calibration -> QDQ graph.
#include "passes/passes.h"
#include "quant/calibration_guard.h"
#include "quant/quant.h"

namespace qcv::quant {

PtqResult quantize_ptq(ir::Graph graph, const Backend& backend, CalibrationData& data,
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

  PtqResult result;
  if (options.equalize) {
    result.equalization = equalize_cross_layer(graph, options.equalization);
    ir::infer_shapes(graph);
  }
  result.plan = plan_quantization(graph, options.scheme, options.overrides);
  if (options.bias_correction) {
    result.biases_corrected =
        correct_bias(graph, result.plan, backend, data, options.calibration);
    // A conv that had no bias has one now: placed again (int32 bias schemes quantize it).
    ir::infer_shapes(graph);
    result.plan = plan_quantization(graph, options.scheme, options.overrides);
  }
  result.stats =
      collect_stats(graph, result.plan.activation_tensors(), backend, data, options.calibration);
  const auto& stats = result.stats;
  const bool automatic = options.calibration.method == CalibrationMethod::Auto;
  std::map<std::string, MethodChoice> chosen;
  if (automatic)
    chosen = choose_methods(graph, result.plan, stats, backend, data, options.calibration);
  std::map<std::string, QuantParams> params;
  for (const auto& t : result.plan.targets) {
    if (t.role != TensorRole::Activation) continue;
    const TensorStats& s = stats.at(t.tensor);
    CalibrationOptions c = options.calibration;
    if (automatic) c.method = chosen.at(t.tensor).method;
    auto [lo, hi] = calibrated_range(s, c, t.symmetric, t.dtype);
    params[t.tensor] = params_for_range(lo, hi, t.dtype, t.symmetric);
  }
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
      if (automatic) {
        const MethodChoice& c = chosen.at(t.tensor);
        e.method = method_name(c.method);
        for (const MethodTrial& trial : c.trials) e.method_mse[method_name(trial.method)] = trial.mse;
      }
    }
    result.report.entries.push_back(e);
  }
  result.graph = std::move(graph);
  return result;
}

}  // namespace qcv::quant
