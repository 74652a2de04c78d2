// Classification loss and accuracy on torch tensors.
#pragma once
#include <ATen/ATen.h>

namespace qcv::train {

// Mean cross-entropy with label smoothing eps: the target distribution is (1 - eps) on the label
// plus eps / K spread over all K classes, i.e. loss = (1 - eps) * nll + eps * mean_k(-log p_k).
at::Tensor smoothed_cross_entropy(const at::Tensor& logits, const at::Tensor& labels, double eps);

// Number of rows whose label is among the first k classes by ir::in_top_k (ties in index
// order, a row with a NaN wrong): the one top-k rule of qcv.
int64_t count_top_k(const at::Tensor& logits, const at::Tensor& labels, int64_t k);

}  // namespace qcv::train
