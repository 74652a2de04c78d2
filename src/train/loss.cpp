#include "train/loss.h"

#include <algorithm>

#include "ir/top_k.h"

namespace qcv::train {

at::Tensor smoothed_cross_entropy(const at::Tensor& logits, const at::Tensor& labels, double eps) {
  at::Tensor logp = at::log_softmax(logits, 1);
  at::Tensor nll = -logp.gather(1, labels.unsqueeze(1)).squeeze(1);
  if (eps == 0) return nll.mean();
  at::Tensor uniform = -logp.mean(1);
  return ((1 - eps) * nll + eps * uniform).mean();
}

int64_t count_top_k(const at::Tensor& logits, const at::Tensor& labels, int64_t k) {
  // A CPU float copy ranked by ir::in_top_k, the rule eval and the workflow use (a few KB per
  // batch): torch's topk orders ties and NaN its own way.
  const at::Tensor l = logits.detach().to(at::kCPU, at::kFloat).contiguous();
  const at::Tensor y = labels.to(at::kCPU, at::kLong).contiguous();
  const int64_t n = l.size(0), classes = l.size(1);
  const float* p = l.data_ptr<float>();
  const int64_t* t = y.data_ptr<int64_t>();
  int64_t hits = 0;
  for (int64_t i = 0; i < n; ++i) hits += ir::in_top_k(p + i * classes, classes, t[i], k);
  return hits;
}

}  // namespace qcv::train
