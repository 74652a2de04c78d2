// libFuzzer target: IDX arrays, raw or gzip (the input, as a file, read as an idx1 and as an
// idx3 array). Any input must load or throw qcv::Error; the ceilings are low, so a header that
// claims gigabytes, or a gzip bomb, is refused rather than tried.
// fuzz-libs: qcv_data
#include <cstdint>

#include "data/idx.h"
#include "fuzz_support.h"
#include "ir/error.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  qcv::fuzz::set_small_limits();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  qcv::fuzz::TempFile file(data, size, ".idx");
  for (size_t rank : {1, 3}) {
    try {
      qcv::data::IdxReader reader(file.path(), rank, "fuzz");
      reader.read_data();
    } catch (const qcv::Error&) {
    }
  }
  return 0;
}
