// Quantization-aware training: the trainer run on a QDQ graph (quant::prepare_qat), each
// QuantizeLinear->DequantizeLinear pair executed as fake quantization with a straight-through
// gradient. Ranges stay as calibrated ("fixed") or are learned ("lsq"), and can be frozen.
#pragma once
#include <string>

#include "train/train.h"

namespace qcv::train {

struct QatOptions {
  std::string ranges = "fixed";  // fixed | lsq
  int freeze_ranges_after = 0;   // lsq: scales stop learning after this many epochs (0: never)
};

// The NVIDIA seed's QAT recipe as trainer defaults: SGD (momentum 0.9), piecewise lr 0.001 x
// (1.0 for 1 epoch, 0.1 for 2, 0.01 for 7), batch 64, 10 epochs, no label smoothing, no
// augmentation beyond the trainer's, no weight decay.
TrainConfig qat_defaults();

// Fine-tunes cfg.init (a QDQ graph with float weights) as configured; writes what run_training
// writes into cfg.run_dir (final.onnx: the trained QDQ graph, weights still float).
TrainResult run_qat(const TrainConfig& cfg, const QatOptions& options);

}  // namespace qcv::train
