#include "config/workflow_config.h"

#include "config/values.h"
#include "ir/error.h"
#include "ir/input_file.h"
#include "ir/parse_value.h"
#include "quant/quant.h"
#include "quant/tune.h"

namespace qcv::config {

namespace {

void read_flag(const YAML::Node& node, const std::string& key, bool& out) {
  std::string v;
  read(node, key, v);
  if (!v.empty()) out = ir::parse_bool(key, v);
}

}  // namespace

WorkflowConfig parse_workflow(const YAML::Node& y, const std::string& where) {
  const std::string in = "workflow config '" + where + "'";
  require_known_keys(
      y, {"title", "dataset", "fp32_model", "train", "ptq", "tune", "qat", "deploy", "eval"}, in);
  WorkflowConfig w;
  if (!y || y.IsNull()) return w;
  const YAML::Node ptq = y["ptq"], qat = y["qat"], deploy = y["deploy"], eval = y["eval"],
                   tune = y["tune"];
  require_known_keys(tune,
                     {"max_drop", "relative", "max_trials", "timeout", "eval_images", "fallback"},
                     in + ": tune");
  require_known_keys(ptq,
                     {"scheme", "methods", "images", "per_tensor_weights", "weight_bits", "cle",
                      "cle_relu6", "high_bias_absorption", "bias_correction", "adaround",
                      "adaround_iters"},
                     in + ": ptq");
  require_known_keys(qat,
                     {"init", "ranges", "freeze_ranges_after", "range_decay", "batch_norm",
                      "bn_fold_after", "train"},
                     in + ": qat");
  require_known_keys(deploy, {"threads", "latency_runs"}, in + ": deploy");
  require_known_keys(eval, {"limit_test"}, in + ": eval");
  try {
    read(y, "title", w.title);
    read(y, "dataset", w.dataset);
    read(y, "fp32_model", w.fp32_model);
    read(ptq, "scheme", w.scheme);
    read(ptq, "methods", w.ptq_methods);
    read(ptq, "images", w.calib_images, 1, 1 << 24);
    read_flag(ptq, "per_tensor_weights", w.per_tensor_weights);
    read(ptq, "weight_bits", w.weight_bits, 4, 8);
    if (w.weight_bits != 4 && w.weight_bits != 8)
      fail("ptq.weight_bits: {}, expected 4 or 8", w.weight_bits);
    read_flag(ptq, "cle", w.cle);
    read(ptq, "cle_relu6", w.cle_relu6);
    quant::relu6_policy_by_name(w.cle_relu6);  // a typo fails here
    read_flag(ptq, "high_bias_absorption", w.high_bias_absorption);
    read_flag(ptq, "bias_correction", w.bias_correction);
    read_flag(ptq, "adaround", w.adaround);
    read(ptq, "adaround_iters", w.adaround_iters, 1, 1000000);
    if (w.adaround && w.bias_correction) fail("ptq: adaround and bias_correction are exclusive");
    w.tune = static_cast<bool>(tune);
    read(tune, "max_drop", w.tune_max_drop, 0, 100);
    read_flag(tune, "relative", w.tune_relative);
    read(tune, "max_trials", w.tune_max_trials, 0, 1000000);
    read(tune, "timeout", w.tune_timeout, 0, 1e9);
    read(tune, "fallback", w.tune_fallback);
    quant::fallback_mode_by_name(w.tune_fallback);  // a typo fails here
    read(tune, "eval_images", w.tune_eval_images, 0, 1 << 30);
    read(qat, "init", w.qat_init);
    read(qat, "ranges", w.qat.ranges);
    read(qat, "freeze_ranges_after", w.qat.freeze_ranges_after, 0, 1000000);
    read(qat, "range_decay", w.qat.range_decay, 0, 1);
    read(qat, "batch_norm", w.qat.batch_norm);
    read(qat, "bn_fold_after", w.qat.bn_fold_after, 0, 1000000);
    read(deploy, "threads", w.threads, 0, 4096);
    read(deploy, "latency_runs", w.latency_runs, 1, 1000000);
    read(eval, "limit_test", w.limit_test, 0, INT64_MAX);
  } catch (const Error& e) {
    fail("{}: {}", in, e.what());
  }
  train::apply_config_node(y["train"], w.train, in + ": train");
  w.train.dataset = w.dataset;
  if (qat) train::apply_config_node(qat["train"], w.qat_train, in + ": qat.train");
  try {
    if (w.ptq_methods.empty()) fail("ptq.methods is empty");
    for (const std::string& m : w.ptq_methods) quant::method_by_name(m);  // a typo fails here
    quant::scheme_by_name(w.scheme);
    if (w.qat_init != "best") quant::method_by_name(w.qat_init);
    train::check_qat_options(w.qat);
  } catch (const Error& e) {
    fail("{}: {}", in, e.what());
  }
  return w;
}

WorkflowConfig load_workflow(const std::string& path) {
  WorkflowConfig w = parse_workflow(load_yaml_file(path, "workflow config"), path);
  // Checked now, not when its phase starts: a typo fails before any work or output.
  if (!w.fp32_model.empty())
    ir::require_input_file(w.fp32_model, "workflow config '" + path + "': fp32_model");
  return w;
}

}  // namespace qcv::config
