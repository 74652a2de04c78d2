// BatchNormalization during QAT, the "fold during training" formulation (Krishnamoorthi 2018,
// torch.ao's ConvBn2d, TF's fold_batch_norms): each Conv -> BatchNormalization of the QAT graph
// runs as a conv whose weight is W * f, f = gamma / sqrt(running_var + eps), fake-quantized (its
// QuantizeLinear sees the folded weight), with the output divided by f and the conv bias added
// back, then the BN. In training the BN normalizes with batch statistics and updates its running
// ones; after freeze() it uses (and keeps) the running ones, and the pair is then exactly the
// folded conv fold_qat_batch_norm (quant/quant.h) writes at export: the numbers do not jump.
#pragma once
#include <map>
#include <string>

#include "ir/ir.h"
#include "train/torch_graph.h"

namespace qcv::train {

class BatchNormFolding {
 public:
  // Finds every Conv (weight an initializer, directly or behind a fake-quant pair) whose only
  // reader is a BatchNormalization with initializer parameters.
  explicit BatchNormFolding(const ir::Graph& graph);
  size_t size() const { return convs_.size(); }

  // Looks up the BN scales and running variances among the module's parameters and buffers
  // (again after a resume: the trainer loads values in place, the tensors stay).
  void bind(const TorchGraph& module);
  // Runs one node (after `next`'s own work, e.g. range observers, for the weight's pair).
  std::vector<at::Tensor> step(OpContext& c, const std::function<std::vector<at::Tensor>(OpContext&)>& next);
  // BN statistics frozen: BNs run as in inference from now on.
  void freeze() { frozen_ = true; }
  bool frozen() const { return frozen_; }

 private:
  struct Fold {
    std::string conv, bn, weight_quantize;  // weight_quantize: "" when the weight is plain
    std::string gamma, running_var;
    double epsilon = 1e-5;
    at::Tensor gamma_t, var_t;
  };
  at::Tensor factor(const Fold& f) const;  // [C], differentiable in gamma

  std::map<std::string, Fold> convs_;                 // by conv node name
  std::map<std::string, std::string> by_quantize_;    // weight QuantizeLinear -> conv
  std::map<std::string, std::string> by_bn_;          // BN -> conv
  bool frozen_ = false;
};

}  // namespace qcv::train
