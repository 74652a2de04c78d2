// LibTorch's errors for callers that must not include torch: c10::Error's what() carries a
// C++ backtrace of a dozen lines; users get its message alone.
#pragma once
#include <exception>
#include <string>

namespace qcv::train {

// If `e` is a c10::Error, sets `message` to its text without the backtrace and returns true.
bool torch_error_message(const std::exception& e, std::string& message);

}  // namespace qcv::train
