// Which epoch's model a run keeps: the one with the highest test top-1. Ties keep the earlier
// epoch, so a QAT run whose epochs only match its initialization (epoch 0) keeps the
// initialization. Plain data, no LibTorch.
#pragma once
#include <cstdint>

namespace qcv::train {

struct BestEpoch {
  int64_t epoch = -1;  // -1: nothing offered yet
  double top1 = 0;
  // Offers an evaluated epoch; true when it becomes the best (then save it).
  bool offer(int64_t e, double t) {
    if (epoch >= 0 && !(t > top1)) return false;
    epoch = e;
    top1 = t;
    return true;
  }
};

}  // namespace qcv::train
