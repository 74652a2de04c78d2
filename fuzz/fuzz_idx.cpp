// libFuzzer target: IDX arrays, raw or gzip (the input is written to a file, read as an idx1 and
// an idx3 array). Any input must load or throw qcv::Error; ceilings are set low so a header that
// claims gigabytes is refused rather than tried.
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

#include "data/idx.h"
#include "ir/error.h"

namespace {
std::string g_path;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("QCV_MAX_TENSOR_BYTES", "64M", 0);
  setenv("QCV_MAX_DECOMPRESSED_BYTES", "64M", 0);
  g_path = "/tmp/qcv_fuzz_idx_" + std::to_string(getpid());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FILE* file = std::fopen(g_path.c_str(), "wb");
  if (!file) std::abort();
  if (size) std::fwrite(data, 1, size, file);
  std::fclose(file);
  for (size_t rank : {1, 3}) {
    try {
      qcv::data::IdxReader reader(g_path, rank, "fuzz");
      reader.read_data();
    } catch (const qcv::Error&) {
    }
  }
  return 0;
}
