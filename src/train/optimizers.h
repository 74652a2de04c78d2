// Optimizers over a TorchGraph's parameters: weight decay applies to conv/linear weights (rank
// >= 2) only, never to biases or BN scale/shift (the seed's std_weight_decay).
#pragma once
#include <torch/optim/optimizer.h>

#include <memory>

#include "train/torch_graph.h"
#include "train/train.h"

namespace qcv::train {

// sgd (momentum, nesterov) | rmsprop (alpha = rmsprop_decay, momentum) | adam | adamw.
std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& cfg,
                                                        const TorchGraph& module);
void set_learning_rate(torch::optim::Optimizer& optimizer, double lr);

}  // namespace qcv::train
