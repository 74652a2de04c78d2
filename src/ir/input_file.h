// Opening files named by the user: one place that says "is a directory", "no such file" or "too
// large" instead of a stream error or a failed allocation (a directory's size reads as 2^63).
#pragma once
#include <cstdint>
#include <string>

namespace qcv::ir {

// Throws qcv::Error naming the path and `what` ("model", "config", ...) if it does not exist,
// is a directory or is not a regular file (a FIFO or device would block or never end).
void require_input_file(const std::string& path, const std::string& what = "file");
// Size of the regular file at `path` (checked as above).
uint64_t input_file_size(const std::string& path);
// The whole file; throws if it is larger than `max_bytes` (before allocating) or unreadable.
std::string read_input_file(const std::string& path, uint64_t max_bytes);
// `size` bytes at `offset` of the file into `out`; throws naming the file on a short read.
void read_input_bytes(const std::string& path, uint64_t offset, void* out, uint64_t size);

// The whole file mapped read-only (checked as read_input_file): a large model is parsed from the
// page cache, with no anonymous copy to zero, fill and fault in page by page. Falls back to
// reading where the file cannot be mapped.
class MappedInputFile {
 public:
  MappedInputFile(const std::string& path, uint64_t max_bytes);
  ~MappedInputFile();
  MappedInputFile(const MappedInputFile&) = delete;
  MappedInputFile& operator=(const MappedInputFile&) = delete;

  const char* data() const { return map_ ? static_cast<const char*>(map_) : copy_.data(); }
  size_t size() const { return size_; }
  // Unmaps (or frees) the bytes early, once they are parsed.
  void release();

 private:
  void* map_ = nullptr;
  size_t size_ = 0;
  std::string copy_;  // the fallback
};

}  // namespace qcv::ir
