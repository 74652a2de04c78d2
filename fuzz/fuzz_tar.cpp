// libFuzzer target: tar/pax shard reading. The input is written as a shard in its own directory,
// listed, opened as a ShardDataset and every sample's image bytes read. Any input must load or
// throw qcv::Error: no crash, no wrapped offset, no endless walk.
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>

#include "data/data.h"
#include "data/tar.h"
#include "ir/error.h"

namespace {
std::string g_shard;
}

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  setenv("QCV_MAX_TENSOR_BYTES", "64M", 0);
  std::string dir = "/tmp/qcv_fuzz_tar_" + std::to_string(getpid());
  std::filesystem::create_directories(dir);
  g_shard = dir + "/shard-000000.tar";
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FILE* file = std::fopen(g_shard.c_str(), "wb");
  if (!file) std::abort();
  if (size) std::fwrite(data, 1, size, file);
  std::fclose(file);
  int fd = ::open(g_shard.c_str(), O_RDONLY);
  if (fd < 0) std::abort();
  try {
    qcv::data::list_tar_members(fd, g_shard);
  } catch (const qcv::Error&) {
  }
  ::close(fd);
  try {
    qcv::data::ShardDataset shards({g_shard}, {});
    for (size_t i = 0; i < shards.size() && i < 64; ++i) shards.read_image_bytes(i);
  } catch (const qcv::Error&) {
  }
  return 0;
}
