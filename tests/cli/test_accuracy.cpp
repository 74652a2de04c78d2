// qcv eval's accuracy (model_input::Accuracy) follows the one top-k rule (ir/top_k.h): a constant
// or NaN model no longer scores 100%.
#ifdef QCV_HAVE_DATA
#include <gtest/gtest.h>

#include <limits>

#include "cli/model_input.h"

namespace {

using qcv::ir::DType;
using qcv::ir::Tensor;

Tensor logits(int64_t n, int64_t k, std::initializer_list<float> values) {
  Tensor t(DType::Float32, {n, k});
  std::copy(values.begin(), values.end(), t.data<float>());
  return t;
}
Tensor labels(std::initializer_list<int64_t> values) {
  Tensor t(DType::Int64, {int64_t(values.size())});
  std::copy(values.begin(), values.end(), t.data<int64_t>());
  return t;
}

TEST(EvalAccuracy, ConstantRowsScoreOneClassNotAll) {
  qcv::cli::model_input::Accuracy acc;
  // Four rows of equal scores over 4 classes, one per label: only label 0 (the first maximum) is
  // right. The old rule (no class strictly above the label) scored 100%.
  acc.add(logits(4, 4, {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0}), labels({0, 1, 2, 3}));
  EXPECT_EQ(acc.count, 4);
  EXPECT_EQ(acc.top1, 1);
  EXPECT_EQ(acc.top5, 4);  // k >= classes: all in the top 5
}

TEST(EvalAccuracy, TiesAndNan) {
  const float nan = std::numeric_limits<float>::quiet_NaN();
  qcv::cli::model_input::Accuracy acc;
  acc.add(logits(3, 3,
                 {1, 5, 5,     // label 2 ties the first maximum (class 1): wrong
                  1, 5, 5,     // label 1 is the first maximum: right
                  nan, 9, 0}), // a NaN row: wrong at every k
          labels({2, 1, 1}));
  EXPECT_EQ(acc.top1, 1);
  EXPECT_EQ(acc.top5, 2);
  EXPECT_NEAR(acc.top1_percent(), 100.0 / 3, 1e-9);
}

}  // namespace
#endif
