// LibTorch errors reach the user as one line: the message of a real c10::Error without the C++
// backtrace that its what() carries; anything else is not claimed.
#include "train/torch_error.h"

#include <gtest/gtest.h>
#include <torch/torch.h>

#include <stdexcept>
#include <string>

using qcv::train::torch_error_message;

TEST(TorchError, ShapeErrorBecomesItsMessageWithoutBacktrace) {
  std::string message;
  try {
    // [2, 3] x [2, 3]: LibTorch's own shape check throws c10::Error.
    torch::matmul(torch::ones({2, 3}), torch::ones({2, 3}));
    FAIL() << "matmul of [2, 3] by [2, 3] did not throw";
  } catch (const std::exception& e) {
    const std::string full = e.what();
    ASSERT_TRUE(torch_error_message(e, message)) << full;
    // what() holds the backtrace ("Exception raised from ..." and frames); the message does not.
    EXPECT_NE(full.find("Exception raised from"), std::string::npos) << full;
    EXPECT_EQ(message.find("Exception raised from"), std::string::npos) << message;
    EXPECT_EQ(message.find('\n'), std::string::npos) << message;
    EXPECT_NE(message.find("2x3"), std::string::npos) << message;  // names the shapes
  }
}

TEST(TorchError, OtherExceptionsAreNotClaimed) {
  std::string message = "unchanged";
  EXPECT_FALSE(torch_error_message(std::runtime_error("disk full"), message));
  EXPECT_EQ(message, "unchanged");
}
