// Shared by the fuzz targets (not itself a target: only fuzz/fuzz_*.cpp are).
#pragma once
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace qcv::fuzz {

// Ceilings well below libFuzzer's -rss_limit_mb=2048 (ASan doubles what is allocated), so that
// qcv's own limit checks are what stop a hostile size, as they would at the defaults on a larger
// machine. Call from LLVMFuzzerInitialize.
inline void set_small_limits() {
  setenv("QCV_MAX_TENSOR_BYTES", "64M", 1);
  setenv("QCV_MAX_DECOMPRESSED_BYTES", "256M", 1);
  setenv("QCV_MAX_GRAPH_NODES", "20000", 1);
}

// The input written to a file of this process (for readers that take a path), removed on scope
// exit. `suffix` is the extension readers may look at (".npy").
class TempFile {
 public:
  TempFile(const uint8_t* data, size_t size, const std::string& suffix) {
    const char* dir = std::getenv("TMPDIR");
    path_ = std::string(dir && *dir ? dir : "/tmp") + "/qcv_fuzz_" + std::to_string(::getpid()) +
            suffix;
    std::FILE* f = std::fopen(path_.c_str(), "wb");
    if (!f) std::abort();  // the fuzzing machine is broken, not the input
    if (size && std::fwrite(data, 1, size, f) != size) std::abort();
    std::fclose(f);
  }
  ~TempFile() { std::remove(path_.c_str()); }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::string path_;
};

}  // namespace qcv::fuzz
