#include "train/ema.h"

#include <algorithm>

namespace qcv::train {

WeightEma::WeightEma(const TorchGraph& module, double decay) : decay_(decay) {
  at::NoGradGuard no_grad;
  num_parameters_ = module.parameters().size();
  for (const NamedTensor& t : module.state()) shadow_.push_back(t.tensor.detach().clone());
}

double WeightEma::decay_at(int64_t updates) const {
  return std::min(decay_, (1.0 + double(updates)) / (10.0 + double(updates)));
}

void WeightEma::update(const TorchGraph& module) {
  at::NoGradGuard no_grad;
  const double d = decay_at(updates_);
  std::vector<NamedTensor> state = module.state();
  for (size_t i = 0; i < state.size(); ++i) {
    if (i < num_parameters_)
      shadow_[i].mul_(d).add_(state[i].tensor.detach(), 1.0 - d);
    else
      shadow_[i].copy_(state[i].tensor);
  }
  ++updates_;
}

void WeightEma::swap_into(TorchGraph& module) {
  at::NoGradGuard no_grad;
  std::vector<NamedTensor> state = module.state();
  for (size_t i = 0; i < state.size(); ++i) {
    at::Tensor tmp = state[i].tensor.detach().clone();
    state[i].tensor.copy_(shadow_[i]);
    shadow_[i].copy_(tmp);
  }
}

}  // namespace qcv::train
