// Exponential moving average of the weights (TF's ExponentialMovingAverage with num_updates):
// after each step, shadow = d * shadow + (1 - d) * param with d = min(decay, (1 + n) / (10 + n)),
// so that early averages are not dominated by the random initialization. BN running statistics
// are copied, not averaged (they are already averages).
#pragma once
#include <ATen/ATen.h>

#include <vector>

#include "train/torch_graph.h"

namespace qcv::train {

class WeightEma {
 public:
  WeightEma(const TorchGraph& module, double decay);
  void update(const TorchGraph& module);  // after an optimizer step
  double decay_at(int64_t updates) const;
  // Swaps the module's parameters/buffers with the averages (call twice to swap back).
  void swap_into(TorchGraph& module);
  std::vector<at::Tensor>& shadow() { return shadow_; }
  int64_t updates() const { return updates_; }
  void set_updates(int64_t n) { updates_ = n; }

 private:
  double decay_;
  int64_t updates_ = 0;
  size_t num_parameters_ = 0;
  std::vector<at::Tensor> shadow_;  // parameters then buffers, as module.state()
};

}  // namespace qcv::train
