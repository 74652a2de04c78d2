#include "train/qat.h"

#include <set>

#include "onnx/onnx.h"
#include "train/torch_graph.h"

namespace qcv::train {

TrainConfig qat_defaults() {
  TrainConfig c;
  c.optimizer = "sgd";
  c.momentum = 0.9;
  c.lr = 0.001;
  c.lr_schedule = "piecewise";
  c.piecewise = "1.0:1,0.1:2,0.01:7";
  c.batch_size = 64;
  c.epochs = 10;
  c.label_smoothing = 0.0;
  c.weight_decay = 0.0;
  c.run_dir = "runs/qat";
  return c;
}

TrainResult run_qat(const TrainConfig& cfg, const QatOptions& options) {
  if (options.ranges != "fixed" && options.ranges != "lsq")
    fail("QAT ranges '{}': expected fixed or lsq", options.ranges);
  if (options.freeze_ranges_after < 0)
    fail("QAT freeze_ranges_after must be >= 0, got {}", options.freeze_ranges_after);
  if (cfg.init.empty()) fail("QAT needs a QDQ model to fine-tune (init)");
  const ir::Graph graph = onnx::load(cfg.init);
  std::set<std::string> scales;
  for (const ir::Node& n : graph.nodes)
    if (n.op == "QuantizeLinear" && n.inputs.size() > 1) scales.insert(n.inputs[1]);
  if (scales.empty())
    fail("QAT: '{}' has no QuantizeLinear node: prepare it with quant::prepare_qat (qcv qat)",
         cfg.init);

  TrainHooks hooks;
  hooks.trainable_quant_scales = options.ranges == "lsq";
  const int freeze = options.freeze_ranges_after;
  if (hooks.trainable_quant_scales && freeze > 0) {
    hooks.on_epoch_start = [scales, freeze](TorchGraph& module, int64_t epoch) {
      if (epoch < freeze) return;
      for (const NamedTensor& p : module.parameters()) {
        if (!scales.count(p.name) || !p.tensor.requires_grad()) continue;
        p.tensor.requires_grad_(false);
        p.tensor.mutable_grad() = at::Tensor();  // the optimizer skips it from now on
      }
    };
  }
  return run_training(cfg, hooks);
}

}  // namespace qcv::train
