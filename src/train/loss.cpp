#include "train/loss.h"

#include <algorithm>

namespace qcv::train {

at::Tensor smoothed_cross_entropy(const at::Tensor& logits, const at::Tensor& labels, double eps) {
  at::Tensor logp = at::log_softmax(logits, 1);
  at::Tensor nll = -logp.gather(1, labels.unsqueeze(1)).squeeze(1);
  if (eps == 0) return nll.mean();
  at::Tensor uniform = -logp.mean(1);
  return ((1 - eps) * nll + eps * uniform).mean();
}

int64_t count_top_k(const at::Tensor& logits, const at::Tensor& labels, int64_t k) {
  k = std::min<int64_t>(k, logits.size(1));
  at::Tensor top = std::get<1>(logits.topk(k, 1));
  return top.eq(labels.unsqueeze(1)).any(1).sum().item<int64_t>();
}

}  // namespace qcv::train
