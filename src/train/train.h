// qcv::train: training on the graph IR with LibTorch. This header is torch-free, so the CLI can
// include it; the backend itself (TorchGraph, torch_graph.h) is for code that works with torch
// tensors (QAT, calibration, tests).
//
//   TrainConfig cfg;                       // or load_config_yaml("configs/x.yaml", cfg)
//   set_config_value(cfg, "epochs", "3");  // any key, e.g. from a flag
//   TrainResult r = run_training(cfg);     // RUN_DIR: model.onnx, best.onnx, final.onnx, logs
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "config/train_config.h"
#include "ir/ir.h"

namespace qcv::train {


struct TrainResult {
  int epochs_done = 0;
  double best_top1 = 0;   // percent
  int64_t best_epoch = -1;  // the epoch best.onnx holds (0: the initialization, evaluate_init)
  double final_top1 = 0;  // percent, with EMA weights when EMA is on
  double init_top1 = -1;  // percent, the initialization's (evaluate_init, fresh runs); -1: not run
  double seconds = 0;
  double images_per_s = 0;
  bool stopped_early = false;  // stop_after_epochs reached
};

// Trains as configured, writing checkpoints and logs into cfg.run_dir. Throws qcv::Error
// (a NaN/Inf loss included, naming the epoch and step; the last good checkpoint is kept).
TrainResult run_training(const TrainConfig& cfg);

class TorchGraph;
struct TorchGraphOptions;
// Extension points for fine-tuning variants (QAT, qat.h); plain training uses none.
struct TrainHooks {
  bool trainable_quant_scales = false;  // TorchGraphOptions::trainable_quant_scales
  // Before each epoch (0-based, also after a resume) and before the initial evaluation (again
  // for epoch 0, so it must be idempotent): e.g. freeze ranges after N epochs.
  std::function<void(TorchGraph&, int64_t epoch)> on_epoch_start;
  // Before the module is built from the (loaded or initial) graph: e.g. QAT range observers.
  std::function<void(TorchGraphOptions&, const ir::Graph&)> configure_module;
  // Evaluate the initial model before training (as epoch 0, a candidate for best.onnx), so that a
  // fine-tuning that only loses accuracy keeps its starting point (QAT).
  bool evaluate_init = false;
};
TrainResult run_training(const TrainConfig& cfg, const TrainHooks& hooks);

// Images per second of training steps (forward, loss, backward, optimizer step) on random data
// of the configured model, resolution, channels, batch and optimizer; no data loading.
double benchmark_training_steps(const TrainConfig& cfg, int classes, int steps);

// The torch backend as a plain classifier (eval mode, no gradients): for `qcv eval --backend
// torch` and comparisons with the runtime.
class TorchClassifier {
 public:
  explicit TorchClassifier(const ir::Graph& graph, int threads = 0);
  ~TorchClassifier();
  // images: float [N, C, H, W]; returns the first graph output (logits) as a host tensor.
  ir::Tensor run(const ir::Tensor& images);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qcv::train
