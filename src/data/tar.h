// Internal to qcv_data: POSIX ustar archives, written and parsed here (shards, see data.h).
// Reading understands what GNU and bsdtar write for plain files: ustar headers with the name
// prefix field, GNU long names ('L'), pax extended headers ('x': path and size), base-256 sizes.
#pragma once
#include <cstdint>
#include <cstdio>
#include <string>
#include <vector>

namespace qcv::data {

struct TarMember {
  std::string name;
  uint64_t offset = 0;  // of the data, from the start of the archive
  uint64_t size = 0;
};

// The regular-file members of the archive open as `fd` (read with pread, headers only). `path`
// names the archive in errors: a bad checksum, a bad field, a member or header cut short, or no
// end-of-archive block throw qcv::Error naming the archive, the member and its offset.
std::vector<TarMember> list_tar_members(int fd, const std::string& path);

// Reads exactly `size` bytes at `offset`; throws qcv::Error naming `path` and `what` if short.
void pread_exact(int fd, uint8_t* out, size_t size, uint64_t offset, const std::string& path,
                 const std::string& what);

// Writes a ustar archive of regular files (mode 0644, uid/gid 0, mtime 0: the same input always
// gives the same bytes). finish() writes the two zero end blocks and closes; an unfinished
// writer closes its file on destruction without them.
class TarWriter {
 public:
  explicit TarWriter(const std::string& path);
  ~TarWriter();
  TarWriter(const TarWriter&) = delete;
  TarWriter& operator=(const TarWriter&) = delete;
  // Names longer than 100 bytes are split into the 155-byte prefix field at a '/'; names that do
  // not fit throw qcv::Error.
  void add(const std::string& name, const uint8_t* data, size_t size);
  void finish();
  uint64_t bytes_written() const { return written_; }

 private:
  void write(const void* data, size_t size);
  std::string path_;
  FILE* file_ = nullptr;
  uint64_t written_ = 0;
};

}  // namespace qcv::data
