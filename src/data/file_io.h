// Internal helpers of qcv_data: bounded whole-file reads and a sequential reader that inflates
// gzip as it goes, with errors naming the file.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace qcv::data {

// Reads a whole file of at most `max_bytes` bytes (0: the tensor ceiling,
// limits::max_tensor_bytes()); throws qcv::Error naming the path if it cannot be opened or read,
// or is larger (checked against its size before reading, and while reading for files whose size
// the filesystem does not report).
std::vector<uint8_t> read_file_bytes(const std::string& path, uint64_t max_bytes = 0);
// Reads at most `max_bytes` from the start of a file; *whole says whether that was all of it.
std::vector<uint8_t> read_file_prefix(const std::string& path, size_t max_bytes, bool* whole);

// Text taken from a file (a member name, a label), made safe for a one-line error message:
// control bytes, NUL and DEL become \xNN, and it is cut at 200 bytes.
std::string printable(const std::string& text);

// Reads a file front to back, inflating it chunk by chunk if its content is gzip (all members),
// so a reader can validate a header before the rest is produced. Refuses to inflate more than
// limits::max_decompressed_bytes(); corrupt or truncated gzip data throws qcv::Error naming the
// file.
class ByteStream {
 public:
  explicit ByteStream(const std::string& path);
  ~ByteStream();
  ByteStream(const ByteStream&) = delete;
  ByteStream& operator=(const ByteStream&) = delete;
  // Reads up to `size` bytes; fewer only at the end of the (inflated) data.
  size_t read(uint8_t* out, size_t size);
  // Whether the file is gzip-compressed (known once the first read has been made).
  bool compressed() const;
  // The size of the file on disk (compressed size for gzip).
  uint64_t file_size() const { return file_size_; }
  const std::string& path() const { return path_; }

 private:
  std::string path_;
  void* file_ = nullptr;  // zlib's gzFile
  uint64_t file_size_ = 0;
  uint64_t produced_ = 0;
  uint64_t ceiling_ = 0;
};

}  // namespace qcv::data
