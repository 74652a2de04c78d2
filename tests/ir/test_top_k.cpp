// The one top-k rule (ir/top_k.h), on hand-made rows: the first maximum wins ties, a row with a
// NaN is wrong, a constant row is right for one label only.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "ir/top_k.h"

namespace {

using qcv::ir::in_top_k;
using qcv::ir::top1_index;
const float kNan = std::numeric_limits<float>::quiet_NaN();
const float kInf = std::numeric_limits<float>::infinity();

TEST(TopK, FirstMaximumWinsTies) {
  const std::vector<float> row = {1, 3, 3, 0};
  EXPECT_EQ(top1_index(row.data(), 4), 1);
  EXPECT_TRUE(in_top_k(row.data(), 4, 1, 1));
  EXPECT_FALSE(in_top_k(row.data(), 4, 2, 1));  // tied with the winner, but after it
  EXPECT_TRUE(in_top_k(row.data(), 4, 2, 2));
  EXPECT_FALSE(in_top_k(row.data(), 4, 3, 3));  // the smallest: 4th
  EXPECT_TRUE(in_top_k(row.data(), 4, 3, 4));
}

TEST(TopK, ConstantRowIsRightForOneLabel) {
  const std::vector<float> row(10, 0.5f);
  int right = 0;
  for (int label = 0; label < 10; ++label) right += in_top_k(row.data(), 10, label, 1);
  EXPECT_EQ(right, 1);  // 10% on a balanced set, not 100%
  EXPECT_EQ(top1_index(row.data(), 10), 0);
  int right5 = 0;
  for (int label = 0; label < 10; ++label) right5 += in_top_k(row.data(), 10, label, 5);
  EXPECT_EQ(right5, 5);
}

TEST(TopK, RowWithNanIsWrong) {
  for (size_t at : {0u, 1u, 3u}) {
    std::vector<float> row = {0.1f, 5.0f, 0.2f, 0.3f};
    row[at] = kNan;
    EXPECT_EQ(top1_index(row.data(), 4), -1) << at;
    for (int label = 0; label < 4; ++label)
      for (int k = 1; k <= 5; ++k) EXPECT_FALSE(in_top_k(row.data(), 4, label, k)) << at;
  }
  const std::vector<float> all_nan(3, kNan);
  EXPECT_EQ(top1_index(all_nan.data(), 3), -1);
}

TEST(TopK, InfinitiesAndEdges) {
  const std::vector<float> row = {-kInf, kInf, kInf, 0};
  EXPECT_EQ(top1_index(row.data(), 4), 1);
  const std::vector<float> low = {-kInf, -kInf};
  EXPECT_EQ(top1_index(low.data(), 2), 0);
  EXPECT_EQ(top1_index(row.data(), 0), -1);
  EXPECT_FALSE(in_top_k(row.data(), 4, 4, 5));   // label out of range
  EXPECT_FALSE(in_top_k(row.data(), 4, -1, 5));
  EXPECT_FALSE(in_top_k(row.data(), 4, 1, 0));
}

// in_top_k(k=1) and top1_index are the same rule, on rows with many ties.
TEST(TopK, Top1AgreesWithIndex) {
  std::mt19937 rng(3);
  std::uniform_int_distribution<int> value(0, 3), label(0, 5);
  for (int trial = 0; trial < 500; ++trial) {
    std::vector<float> row(6);
    for (float& v : row) v = float(value(rng));
    const int y = label(rng);
    EXPECT_EQ(in_top_k(row.data(), 6, y, 1), top1_index(row.data(), 6) == y);
  }
}

}  // namespace
