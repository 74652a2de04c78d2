#include "ir/top_k.h"

#include <cmath>

namespace qcv::ir {

int64_t top1_index(const float* row, int64_t n) {
  if (n <= 0) return -1;
  int64_t best = 0;
  for (int64_t j = 0; j < n; ++j) {
    if (std::isnan(row[j])) return -1;
    if (row[j] > row[best]) best = j;  // strictly greater: the first maximum stays
  }
  return best;
}

bool in_top_k(const float* row, int64_t n, int64_t label, int64_t k) {
  if (label < 0 || label >= n || k <= 0) return false;
  const float target = row[label];
  int64_t before = 0;  // classes ranked ahead of the label
  for (int64_t j = 0; j < n; ++j) {
    if (std::isnan(row[j])) return false;
    if (row[j] > target || (row[j] == target && j < label)) ++before;
  }
  return before < k;
}

}  // namespace qcv::ir
