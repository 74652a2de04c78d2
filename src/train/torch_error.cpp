#include "train/torch_error.h"

#include <c10/util/Exception.h>

namespace qcv::train {

bool torch_error_message(const std::exception& e, std::string& message) {
  const auto* c10_error = dynamic_cast<const c10::Error*>(&e);
  if (c10_error == nullptr) return false;
  message = c10_error->what_without_backtrace();
  return true;
}

}  // namespace qcv::train
