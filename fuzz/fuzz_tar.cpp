// libFuzzer target: tar/pax shard reading. The input, as a shard alone in its own folder (no
// classes.txt), is listed, opened as a ShardDataset and every sample's image bytes read. Any
// input must load or throw qcv::Error: no crash, no wrapped offset, no endless walk.
// fuzz-libs: qcv_data
#include <fcntl.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <string>
#include <filesystem>

#include "data/data.h"
#include "data/tar.h"
#include "fuzz_support.h"
#include "ir/error.h"

namespace {
// TempFile names "<tmp>/qcv_fuzz_<pid><suffix>": the suffix puts the shard in a folder of its own.
const char* const kSuffix = "_shards/shard-000000.tar";
std::string g_folder;
void remove_folder() {
  std::error_code ignored;
  std::filesystem::remove_all(g_folder, ignored);
}
}  // namespace

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  qcv::fuzz::set_small_limits();
  qcv::fuzz::TempFile probe(nullptr, 0, "_probe");
  g_folder = probe.path().substr(0, probe.path().size() - 6) + "_shards";
  std::filesystem::create_directories(g_folder);
  std::atexit(remove_folder);
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  qcv::fuzz::TempFile shard(data, size, kSuffix);
  int fd = ::open(shard.path().c_str(), O_RDONLY);
  if (fd < 0) std::abort();
  try {
    qcv::data::list_tar_members(fd, shard.path());
  } catch (const qcv::Error&) {
  }
  ::close(fd);
  try {
    qcv::data::ShardDataset shards({shard.path()});
    for (size_t i = 0; i < shards.size() && i < 64; ++i) shards.read_image_bytes(i);
  } catch (const qcv::Error&) {
  }
  return 0;
}
