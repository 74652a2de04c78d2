// The flags `qcv sensitivity` and `qcv tune` share: data, placement and PTQ passes, as `qcv ptq`
// spells them, turned into the calibration setup and quant::PtqOptions.
#pragma once
#include <algorithm>
#include <memory>
#include <string>
#include <vector>

#include "cli/model_input.h"
#include "cli/option_checks.h"
#include "cli/runtime_eval.h"
#include "onnx/onnx.h"
#include "quant/adaround.h"
#include "quant/quant.h"
#ifdef QCV_HAVE_TORCH
#include "train/adaround_solver.h"
#endif

namespace qcv::cli {

// How PTQ places and computes: the flags of `ptq`, `sensitivity` and `tune` alike.
struct PtqPassFlags {
  std::string scheme = "tensorrt", cle_relu6 = "clip";
  double percentile = 99.99;
  int bins = 2048, weight_bits = 8;
  bool per_tensor_weights = false, cle = false, bias_correction = false;
  bool high_bias_absorption = false;
  std::vector<std::string> exclude, include;
  bool adaround = false;  // AdaRound (quant/adaround.h), solved with LibTorch
  int adaround_iters = 1000;
};

inline void add_ptq_pass_flags(CLI::App* cmd, PtqPassFlags& f) {
  cmd->add_option("--scheme", f.scheme, "QDQ placement: tensorrt, onnxruntime or tflite")
      ->capture_default_str()
      ->check(one_of(quant::scheme_names()));
  cmd->add_option("--percentile", f.percentile, "Percentile of |x| for the percentile method")
      ->capture_default_str()
      ->check(number_in(0, 100));
  cmd->add_option("--bins", f.bins, "Histogram bins for percentile/entropy/mse")
      ->capture_default_str()
      ->check(integer_in(1, 1 << 24));
  cmd->add_option("--exclude", f.exclude, "Node name or glob pattern kept in FP32 (repeatable)");
  cmd->add_option("--include", f.include,
                  "Node name or glob pattern forced to INT8 (wins over --exclude)");
  cmd->add_flag("--per-tensor-weights", f.per_tensor_weights,
                "One weight scale per tensor, not per channel");
  cmd->add_option("--weight-bits", f.weight_bits,
                  "Weight bit width: 8, or 4 (values in [-7, 7] stored in int8, opset 13)")
      ->capture_default_str()
      ->check(one_of({"4", "8"}));
  cmd->add_flag("--cle", f.cle,
                "Cross-layer equalization of Conv->(Relu|ReLU6)->Conv pairs before quantizing");
  cmd->add_option("--cle-relu6", f.cle_relu6,
                  "ReLU6 between equalized convs: clip (exact: Relu then a per-channel bound), "
                  "relu (replaced by Relu, changes FP32 above 6) or skip (pair left alone)")
      ->capture_default_str()
      ->check(one_of({"clip", "relu", "skip"}));
  cmd->add_flag("--high-bias-absorption", f.high_bias_absorption,
                "High-bias absorption after CLE: the 0.1% quantile c of each channel's "
                "pre-activation (calibration data) moves from a conv's bias into the next conv's");
  cmd->add_flag("--bias-correction", f.bias_correction,
                "Empirical bias correction: each Conv/Gemm bias gets the mean output shift its "
                "weight quantization causes on the calibration data (a node left in FP32 keeps "
                "its own bias)");
  auto* adaround = cmd->add_flag(
      "--adaround", f.adaround,
      "AdaRound: each Conv/Gemm weight rounded up or down as learned on the calibration data "
      "(LibTorch) to keep the layer's outputs, not to nearest");
  adaround->excludes("--bias-correction");
#ifndef QCV_HAVE_TORCH
  adaround->check(CLI::Validator(
      [](std::string&) {
        return std::string("needs LibTorch (qcv built with QCV_WITH_TORCH=OFF)");
      },
      "", "needs LibTorch"));
#endif
  cmd->add_option("--adaround-iters", f.adaround_iters, "AdaRound: optimizer steps per layer")
      ->capture_default_str()
      ->check(integer_in(1, 1000000));
}

// PtqOptions::adaround for the flags: the LibTorch solver, or an error naming what is missing.
inline std::shared_ptr<const quant::AdaRoundOptions> adaround_options(const PtqPassFlags& f) {
#ifdef QCV_HAVE_TORCH
  auto a = std::make_shared<quant::AdaRoundOptions>();
  a->iterations = f.adaround_iters;
  a->solve = train::solve_rounding;
  return a;
#else
  (void)f;
  fail("--adaround needs LibTorch: this qcv was built with QCV_WITH_TORCH=OFF");
#endif
}

inline quant::PtqOptions ptq_options(const PtqPassFlags& f, const std::string& method) {
  quant::PtqOptions o;
  o.scheme = quant::scheme_by_name(f.scheme);
  if (f.per_tensor_weights) o.scheme.weight_per_channel = false;
  o.scheme.weight_bits = f.weight_bits;
  o.equalize = f.cle;
  o.equalization.relu6 = quant::relu6_policy_by_name(f.cle_relu6);
  o.absorb_high_bias = f.high_bias_absorption;
  o.bias_correction = f.bias_correction;
  if (f.adaround) o.adaround = adaround_options(f);
  o.overrides.exclude = f.exclude;
  o.overrides.include = f.include;
  o.calibration.method = quant::method_by_name(method);
  o.calibration.percentile = f.percentile;
  o.calibration.num_bins = f.bins;
  return o;
}

// `sensitivity` and `tune`: the passes, a calibration and an evaluation set.
struct QuantFlags {
  std::string model, calib, eval, calib_split = "train", eval_split = "test";
  int images = 512, eval_images = 0, batch = 16, threads = 0;
  PtqPassFlags passes;
  model_input::InputFlags input;
};

inline void add_quant_flags(CLI::App* cmd, QuantFlags& f) {
  cmd->add_option("model", f.model, "FP32 model .onnx file")->required();
  cmd->add_option("--calib", f.calib, "Calibration dataset (fashion-mnist, cifar10:DIR, folder)")
      ->required();
  cmd->add_option("--eval", f.eval, "Evaluation dataset")->required();
  cmd->add_option("--calib-split", f.calib_split, "Calibration split")->capture_default_str();
  cmd->add_option("--eval-split", f.eval_split, "Evaluation split")->capture_default_str();
  cmd->add_option("--images", f.images, "Calibration images (spread over the split)")
      ->capture_default_str()
      ->check(positive());
  cmd->add_option("--eval-images", f.eval_images,
                  "Evaluation images (spread over the split; 0: all)")
      ->capture_default_str()
      ->check(non_negative());
  cmd->add_option("--batch", f.batch,
                  "Calibration batch size (evaluation runs batches of at least 100)")
      ->capture_default_str()
      ->check(positive());
  add_ptq_pass_flags(cmd, f.passes);
  cmd->add_option("--threads", f.threads, "Runtime threads (0: all cores)")
      ->capture_default_str()
      ->check(non_negative());
  model_input::add_input_options(cmd, f.input);
}

// The model with an NCHW interface, its calibration batches and its evaluation set.
struct QuantInputs {
  ir::Graph fp32;
  passes::InputLayout file_layout = passes::InputLayout::NCHW;
  std::unique_ptr<quant::CalibrationData> calibration;
  std::unique_ptr<EvalSet> eval;
  std::string calib_description, eval_description;
};

inline QuantInputs load_quant_inputs(const QuantFlags& f) {
  QuantInputs in;
  in.fp32 = onnx::load(f.model);
  in.file_layout = model_input::adopt_nchw(in.fp32, f.input.layout);
  const ImageSubset calib = image_subset(in.fp32, f.calib, f.calib_split, f.images, f.input);
  in.calibration = calibration_batches(in.fp32, calib, f.batch);
  const ImageSubset eval = image_subset(in.fp32, f.eval, f.eval_split,
                                        f.eval_images > 0 ? f.eval_images : 1 << 30, f.input);
  in.eval = std::make_unique<EvalSet>(in.fp32, eval, std::max(100, f.batch), f.threads);
  in.calib_description = calib.images->description();
  in.eval_description = eval.images->description();
  return in;
}

}  // namespace qcv::cli
