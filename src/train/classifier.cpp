// TorchClassifier: the torch backend behind a torch-free interface (qcv eval --backend torch).
#include <ATen/Parallel.h>

#include "train/tensor_convert.h"
#include "train/torch_graph.h"
#include "train/train.h"

namespace qcv::train {

struct TorchClassifier::Impl {
  explicit Impl(const ir::Graph& g) : module(g) { module.eval(); }
  TorchGraph module;
};

TorchClassifier::TorchClassifier(const ir::Graph& graph, int threads) {
  if (threads > 0) at::set_num_threads(threads);
  impl_ = std::make_unique<Impl>(graph);
}

TorchClassifier::~TorchClassifier() = default;

ir::Tensor TorchClassifier::run(const ir::Tensor& images) {
  at::NoGradGuard no_grad;
  return to_ir(impl_->module.forward(to_torch(images)));
}

}  // namespace qcv::train
