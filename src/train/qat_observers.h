// Range observers of QAT ("ema" ranges): during training, each activation fake-quant pair tracks
// an exponential moving average of its batch min/max and recomputes its scale and zero point
// from it (quant::params_for_range: the scheme's symmetric int8 or asymmetric ranges), as
// torch.ao's MovingAverageMinMaxObserver and TF's MovingAverageQuantizer do. Weight pairs
// recompute their per-channel abs-max scales from the current weights on every forward. The
// scales and zero points live in the graph's initializers (module buffers), so checkpoints and
// the exported graph hold what the last forward used.
#pragma once
#include <map>
#include <memory>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "ir/ir.h"
#include "train/torch_graph.h"

namespace qcv::train {

struct RangeObserverOptions {
  double decay = 0.99;  // running = decay * running + (1 - decay) * batch
  // Activation ranges: symmetric (tensorrt) or fitted with a zero point (onnxruntime, tflite).
  bool symmetric_activations = true;
  bool track_activations = true;  // EMA of the activation ranges (training, until frozen)
  bool track_weights = true;      // recompute weight scales from the weights on every forward
  // With BN kept in the graph (QAT batch_norm keep / fold-after) the training forward normalizes
  // with batch statistics, while the calibration ran on the running ones; where those do not
  // describe the activations (an untrained model: mean 0, variance 1) the calibrated ranges miss
  // the training activations by orders of magnitude, every pair saturates to a constant, BN's
  // batch variance of the next conv output collapses and its gradient gain 1/sqrt(eps) per layer
  // sends weights and BN scales to 1e15+. So: on the first training batch a pair whose range is
  // off by more than `refit_ratio` (abs-max either way) restarts from that batch's min/max.
  bool refit_mismatched = false;
  double refit_ratio = 8.0;
};

class RangeObservers {
 public:
  RangeObservers(const ir::Graph& graph, RangeObserverOptions options);

  // Makes the module's observed scales/zero points buffers and routes its steps through step().
  void install(TorchGraphOptions& module_options);
  // Runs one node: observes (training only, unless frozen) and updates the pair's parameters
  // in place before the fake quantization runs.
  std::vector<at::Tensor> step(OpContext& c, OpExecutor run);

  // Observers off: activation ranges stay where they are (weights keep tracking the weights).
  void freeze() { frozen_ = true; }
  bool frozen() const { return frozen_; }
  // Activation pairs whose calibrated range the first training batch replaced (refit_mismatched).
  const std::vector<std::string>& refitted() const { return refitted_; }
  // The running [min, max] of the activation pair whose QuantizeLinear is `node`.
  std::pair<float, float> range(const std::string& node) const;
  size_t activations() const;

 private:
  struct Observer {
    bool weight = false;
    ir::DType dtype = ir::DType::Int8;
    bool started = false;  // the running range starts from the pair's current (calibrated) one
    bool checked = false;  // refit_mismatched: the first training batch was compared
    float min = 0, max = 0;
  };
  void start(Observer& o, OpContext& c) const;
  void refit_if_mismatched(Observer& o, OpContext& c, const std::string& name);
  void observe_activation(Observer& o, OpContext& c);
  static void track_weight(const Observer& o, OpContext& c);

  RangeObserverOptions options_;
  std::map<std::string, Observer> observers_;  // by QuantizeLinear node name
  std::set<std::string> buffers_;
  std::vector<std::string> refitted_;
  bool frozen_ = false;
};

// Whether a QDQ graph's activation pairs are symmetric: from prepare_qat's metadata
// ("qcv.qat.activation_symmetric"), else from the zero points (all int8 zero: symmetric).
bool activations_symmetric(const ir::Graph& graph);

}  // namespace qcv::train
