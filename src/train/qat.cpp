#include "train/qat.h"

#include <fmt/format.h>

#include <filesystem>
#include <memory>
#include <set>

#include "onnx/onnx.h"
#include "quant/quant.h"
#include "train/qat_batch_norm.h"
#include "train/qat_observers.h"
#include "train/torch_graph.h"

namespace qcv::train {

QatHooks qat_hooks(const ir::Graph& graph, const QatOptions& options, int world_size) {
  check_qat_options(options);
  std::set<std::string> scales;
  for (const ir::Node& n : graph.nodes)
    if (n.op == "QuantizeLinear" && n.inputs.size() > 1) scales.insert(n.inputs[1]);
  if (scales.empty())
    fail(
        "QAT: graph '{}' has no QuantizeLinear node: prepare it with quant::prepare_qat (qcv "
        "qat)",
        graph.name);

  QatHooks q;
  TrainHooks& hooks = q.hooks;
  hooks.trainable_quant_scales = options.ranges == "lsq";
  const bool ema = options.ranges == "ema";
  const bool with_bn = options.batch_norm != "fold";
  if (ema && world_size > 1)
    fail("QAT ranges 'ema' with {} processes: observers are per process; use fixed or lsq",
         world_size);
  // Observers: EMA activation ranges; weight scales follow the weights (ema, or BN kept in the
  // graph, whose weights are not the ones the calibrated scales fit), except learned ones. With
  // BN in the graph, activation ranges calibrated on running statistics that miss the training
  // (batch statistics) forward are refit on the first batch (RangeObserverOptions). Not with
  // several processes: each would refit on its own batch.
  std::shared_ptr<RangeObservers> observers;
  if (ema || (with_bn && options.ranges != "lsq")) {
    RangeObserverOptions ro;
    ro.decay = options.range_decay;
    ro.symmetric_activations = activations_symmetric(graph);
    ro.track_activations = ema;
    ro.track_weights = options.ranges != "lsq";
    ro.refit_mismatched = with_bn && world_size == 1;
    observers = std::make_shared<RangeObservers>(graph, ro);
  }
  std::shared_ptr<BatchNormFolding> folding;
  if (options.batch_norm == "fold-after") {
    folding = std::make_shared<BatchNormFolding>(graph);
    if (folding->size() == 0)
      fail(
          "QAT batch_norm fold-after: '{}' has no Conv -> BatchNormalization (prepare it with "
          "quant::prepare_qat(..., \"fold-after\"))",
          graph.name);
  }
  q.observers = observers;
  q.folding = folding;
  hooks.configure_module = [observers, folding](TorchGraphOptions& o, const ir::Graph&) {
    if (observers) observers->install(o);
    if (!folding) return;
    auto inner = o.around_step;
    o.around_step = [folding, inner](OpContext& c, OpExecutor run) {
      return folding->step(c, [&](OpContext& cc) { return inner ? inner(cc, run) : run(cc); });
    };
  };
  const int freeze = options.freeze_ranges_after;
  const int bn_freeze = options.bn_fold_after;
  const bool lsq = hooks.trainable_quant_scales;
  hooks.on_epoch_start = [scales, freeze, lsq, observers, folding, bn_freeze](TorchGraph& module,
                                                                              int64_t epoch) {
    if (folding) {
      folding->bind(module);
      if (epoch >= bn_freeze) folding->freeze();
    }
    if (freeze <= 0 || epoch < freeze) return;
    if (observers) observers->freeze();
    if (!lsq) return;
    for (const NamedTensor& p : module.parameters()) {
      if (!scales.count(p.name) || !p.tensor.requires_grad()) continue;
      p.tensor.requires_grad_(false);
      p.tensor.mutable_grad() = at::Tensor();  // the optimizer skips it from now on
    }
  };
  return q;
}

TrainResult run_qat(const TrainConfig& cfg, const QatOptions& options) {
  if (cfg.init.empty()) fail("QAT needs a QDQ model to fine-tune (init)");
  QatHooks q = qat_hooks(onnx::load(cfg.init), options, cfg.world_size);
  q.hooks.evaluate_init = true;  // the PTQ initialization is epoch 0: best.onnx is never worse
  const TrainHooks& hooks = q.hooks;
  const std::shared_ptr<BatchNormFolding>& folding = q.folding;
  TrainResult r = run_training(cfg, hooks);
  if (q.observers && !q.observers->refitted().empty() && cfg.rank == 0)
    fmt::print(stderr,
               "qcv qat: {} activation ranges refit on the first training batch (the calibration's "
               "BN running statistics did not describe the training forward), e.g. '{}'\n",
               q.observers->refitted().size(), q.observers->refitted().front());
  for (const char* name : {"/final.onnx", "/best.onnx"}) {
    const std::string path = cfg.run_dir + name;
    if (!folding || r.stopped_early || cfg.rank != 0 || !std::filesystem::exists(path)) continue;
    ir::Graph g = onnx::load(path);
    quant::fold_qat_batch_norm(g);  // frozen statistics: the folded conv is what was trained
    onnx::save(g, path);
  }
  return r;
}

}  // namespace qcv::train
