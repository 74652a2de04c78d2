// Quantization-aware training: the trainer run on a QDQ graph (quant::prepare_qat), each
// QuantizeLinear->DequantizeLinear pair executed as fake quantization with a straight-through
// gradient. Ranges stay as calibrated ("fixed"), are learned ("lsq") or follow an exponential
// moving average of the observed batch ranges ("ema", qat_observers.h), and can be frozen.
#pragma once
#include <memory>
#include <string>

#include "train/train.h"

namespace qcv::train {

class RangeObservers;
class BatchNormFolding;

// QatOptions and qat_defaults() are in config/train_config.h (plain data, no LibTorch).

// The trainer hooks run_qat trains `graph` (a QDQ graph from quant::prepare_qat) with, and the
// observers and BN folding they drive (null where the options need none).
struct QatHooks {
  TrainHooks hooks;
  std::shared_ptr<RangeObservers> observers;
  std::shared_ptr<BatchNormFolding> folding;
};
QatHooks qat_hooks(const ir::Graph& graph, const QatOptions& options, int world_size = 1);

// Fine-tunes cfg.init (a QDQ graph with float weights) as configured; writes what run_training
// writes into cfg.run_dir (final.onnx: the trained QDQ graph, weights still float; best.onnx:
// the best of the initialization, evaluated first as epoch 0, and the epochs, by test top-1).
TrainResult run_qat(const TrainConfig& cfg, const QatOptions& options);

}  // namespace qcv::train
