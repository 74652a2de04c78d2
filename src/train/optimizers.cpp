#include "train/optimizers.h"

#include <torch/optim/adam.h>
#include <torch/optim/adamw.h>
#include <torch/optim/rmsprop.h>
#include <torch/optim/sgd.h>

namespace qcv::train {
namespace {

template <typename Options>
std::vector<torch::optim::OptimizerParamGroup> groups(const TorchGraph& module,
                                                      const Options& decayed,
                                                      const Options& plain) {
  std::vector<at::Tensor> with_decay, without;
  for (const NamedTensor& p : module.parameters())
    (p.tensor.dim() >= 2 ? with_decay : without).push_back(p.tensor);
  std::vector<torch::optim::OptimizerParamGroup> out;
  out.emplace_back(with_decay, std::make_unique<Options>(decayed));
  out.emplace_back(without, std::make_unique<Options>(plain));
  return out;
}

// optimizer_epsilon, or the optimizer's default when it is 0.
double epsilon(const TrainConfig& cfg, double fallback) {
  return cfg.optimizer_epsilon > 0 ? cfg.optimizer_epsilon : fallback;
}

}  // namespace

std::unique_ptr<torch::optim::Optimizer> make_optimizer(const TrainConfig& cfg,
                                                        const TorchGraph& module) {
  using namespace torch::optim;
  const double wd = cfg.weight_decay;
  if (cfg.optimizer == "sgd") {
    SGDOptions o(cfg.lr);
    o.momentum(cfg.momentum).nesterov(cfg.nesterov);
    SGDOptions d = o;
    d.weight_decay(wd);
    return std::make_unique<SGD>(groups(module, d, o), o);
  }
  if (cfg.optimizer == "rmsprop") {
    // TF's RMSprop epsilon (1.0 in the MobileNet recipes is for ImageNet; 1e-3 is a safe default).
    RMSpropOptions o(cfg.lr);
    o.alpha(cfg.rmsprop_decay).momentum(cfg.momentum).eps(epsilon(cfg, 1e-3));
    RMSpropOptions d = o;
    d.weight_decay(wd);
    return std::make_unique<RMSprop>(groups(module, d, o), o);
  }
  if (cfg.optimizer == "adam") {
    AdamOptions o(cfg.lr);
    o.betas({cfg.momentum, 0.999}).eps(epsilon(cfg, 1e-8));
    AdamOptions d = o;
    d.weight_decay(wd);
    return std::make_unique<Adam>(groups(module, d, o), o);
  }
  if (cfg.optimizer == "adamw") {
    AdamWOptions o(cfg.lr);
    o.betas({cfg.momentum, 0.999}).eps(epsilon(cfg, 1e-8)).weight_decay(0);
    AdamWOptions d = o;
    d.weight_decay(wd);
    return std::make_unique<AdamW>(groups(module, d, o), o);
  }
  fail("optimizer '{}': expected sgd, rmsprop, adam or adamw", cfg.optimizer);
}

void set_learning_rate(torch::optim::Optimizer& optimizer, double lr) {
  for (auto& group : optimizer.param_groups()) group.options().set_lr(lr);
}

}  // namespace qcv::train
