// A `qcv workflow` experiment (configs/workflow_*.yaml) as checked data: every section and key is
// known (a typo is an error, as in trainer configs), numbers are finite and in range, method and
// scheme names exist. Sections: title, dataset, fp32_model, train, ptq, tune, qat, deploy, eval.
#pragma once
#include <string>
#include <vector>

#include "config/train_config.h"

namespace qcv::config {

struct WorkflowConfig {
  std::string title, dataset = "fashion-mnist", fp32_model;
  train::TrainConfig train;  // the FP32 training (when no fp32_model)
  std::string scheme = "tensorrt";
  std::vector<std::string> ptq_methods = {"max", "percentile", "entropy", "mse"};
  int calib_images = 512;
  // PTQ extras (qcv ptq's --per-tensor-weights, --weight-bits, --cle, --cle-relu6,
  // --bias-correction); QAT keeps its own defaults (8-bit per-channel weights).
  bool per_tensor_weights = false, cle = false, bias_correction = false;
  bool high_bias_absorption = false;  // --high-bias-absorption
  int weight_bits = 8;
  std::string cle_relu6 = "clip";
  bool adaround = false;  // qcv ptq's --adaround, --adaround-iters
  int adaround_iters = 1000;
  // tune: (qcv tune) present: a phase after PTQ tries ptq.methods, then falls back to FP32 the
  // most sensitive nodes until the top-1 drop is within max_drop; its model gets a results row.
  bool tune = false, tune_relative = false;
  double tune_max_drop = 0.5, tune_timeout = 0;
  int tune_max_trials = 50;
  std::string tune_fallback = "ladder";  // qcv tune --fallback: fp32 | ladder
  int tune_eval_images = 0;  // spread over the test split; 0: the table's (eval.limit_test)
  std::string qat_init = "max";  // a calibration method, or "best": the best PTQ (deployed top-1)
  train::TrainConfig qat_train = train::qat_defaults();
  train::QatOptions qat;
  int threads = 0, latency_runs = 200;  // latency: the median of latency_runs >= 1 runs
  int64_t limit_test = 0;               // test images for the table (0: the whole split)
};

// `where` names the source in errors (the file path).
WorkflowConfig parse_workflow(const YAML::Node& root, const std::string& where);
WorkflowConfig load_workflow(const std::string& path);

}  // namespace qcv::config
