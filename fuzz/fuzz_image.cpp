// libFuzzer target: PNG and JPEG decoding (header only, full, and JPEG at 1/8 scale). Any input
// must decode or throw qcv::Error: no crash, leak, hang or allocation past the ceiling.
// fuzz-libs: qcv_data
#include <cstdint>

#include "data/data.h"
#include "fuzz_support.h"
#include "ir/error.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  qcv::fuzz::set_small_limits();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  using namespace qcv::data;
  try {
    decode_image_header(data, size, "fuzz");
  } catch (const qcv::Error&) {
    return 0;  // a bad header must also fail the full decode; nothing more to learn
  }
  try {
    decode_image(data, size, "fuzz", 0);
  } catch (const qcv::Error&) {
  }
  try {
    decode_image_scaled(data, size, "fuzz", 3, [](int, int) { return 8; }, nullptr);
  } catch (const qcv::Error&) {
  }
  return 0;
}
