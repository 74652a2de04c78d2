// The one top-k rule of qcv (eval, the workflow's accuracy, the trainer's metrics): classes are
// ranked by score, equal scores in index order (so the first maximum is the top-1 prediction), and
// a row holding a NaN has no ranking: it counts as wrong for every k. Ties are not all correct, so
// a constant row scores 1/classes, not 100%.
#pragma once
#include <cstdint>

namespace qcv::ir {

// The predicted class of a row of `n` scores: the index of its first maximum, or -1 when the row
// is empty or holds a NaN.
int64_t top1_index(const float* row, int64_t n);

// Whether `label` is among the first k classes of the ranking above (false for a NaN row or a
// label outside [0, n)). in_top_k(row, n, label, 1) == (top1_index(row, n) == label).
bool in_top_k(const float* row, int64_t n, int64_t label, int64_t k);

}  // namespace qcv::ir
