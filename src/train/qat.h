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

struct QatOptions {
  std::string ranges = "fixed";  // fixed | lsq | ema
  // lsq: scales stop learning, ema: activation observers stop, after this many epochs (0: never)
  int freeze_ranges_after = 0;
  double range_decay = 0.99;  // ema: running = decay * running + (1 - decay) * batch min/max
  // BatchNormalization: "fold" (folded before QAT, quant::prepare_qat), "keep" (Conv -> BN
  // trained and exported with BN, weights fake-quantized unfolded), or "fold-after": BN trained
  // with the folded weights fake-quantized (qat_batch_norm.h), its statistics frozen after
  // bn_fold_after epochs, and folded into the convs at export (final.onnx has no BN).
  std::string batch_norm = "fold";
  int bn_fold_after = 2;
};

// The NVIDIA seed's QAT recipe as trainer defaults: SGD (momentum 0.9), piecewise lr 0.001 x
// (1.0 for 1 epoch, 0.1 for 2, 0.01 for 7), batch 64, 10 epochs, no label smoothing, no
// augmentation beyond the trainer's, no weight decay.
TrainConfig qat_defaults();

// The trainer hooks run_qat trains `graph` (a QDQ graph from quant::prepare_qat) with, and the
// observers and BN folding they drive (null where the options need none).
struct QatHooks {
  TrainHooks hooks;
  std::shared_ptr<RangeObservers> observers;
  std::shared_ptr<BatchNormFolding> folding;
};
QatHooks qat_hooks(const ir::Graph& graph, const QatOptions& options, int world_size = 1);

// Fine-tunes cfg.init (a QDQ graph with float weights) as configured; writes what run_training
// writes into cfg.run_dir (final.onnx: the trained QDQ graph, weights still float).
TrainResult run_qat(const TrainConfig& cfg, const QatOptions& options);

}  // namespace qcv::train
