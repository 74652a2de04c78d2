#include <gtest/gtest.h>
#include <stdlib.h>

#include "ir/error.h"
#include "ir/limits.h"

using namespace qcv;

TEST(Limits, CheckedNumelCatchesOverflowAndNegatives) {
  EXPECT_EQ(limits::checked_numel({2, 3, 4}, "t"), 24);
  EXPECT_EQ(limits::checked_numel({}, "t"), 1);
  EXPECT_EQ(limits::checked_numel({5, 0, 7}, "t"), 0);
  // 2^32 * 2^32 wraps int64 to 0 without the check.
  EXPECT_THROW(limits::checked_numel({1ll << 32, 1ll << 32}, "t"), Error);
  EXPECT_THROW(limits::checked_numel({4, -1}, "t"), Error);
}

TEST(Limits, TensorBytesHonoursTheEnvironmentCeiling) {
  ::setenv("QCV_MAX_TENSOR_BYTES", "1K", 1);
  EXPECT_EQ(limits::checked_tensor_bytes({16, 16}, 4, "t"), 1024u);
  try {
    limits::checked_tensor_bytes({16, 17}, 4, "file 'x.npy'");
    ADD_FAILURE() << "no error above the ceiling";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find("x.npy"), std::string::npos);
    EXPECT_NE(std::string(e.what()).find("QCV_MAX_TENSOR_BYTES"), std::string::npos);
  }
  ::setenv("QCV_MAX_TENSOR_BYTES", "12abc", 1);
  EXPECT_THROW(limits::max_tensor_bytes(), Error);
  ::unsetenv("QCV_MAX_TENSOR_BYTES");
  EXPECT_EQ(limits::max_tensor_bytes(), 4ull << 30);
}

TEST(Limits, OverflowHelpers) {
  uint64_t out = 0;
  EXPECT_FALSE(limits::add_overflows(1, 2, &out));
  EXPECT_EQ(out, 3u);
  EXPECT_TRUE(limits::add_overflows(~0ull, 1, &out));
  EXPECT_TRUE(limits::mul_overflows(1ull << 40, 1ull << 30, &out));
}
