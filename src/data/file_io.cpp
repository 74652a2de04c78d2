#include "data/file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>
#include <memory>

#include "ir/error.h"
#include "ir/limits.h"

namespace qcv::data {
namespace {

[[noreturn]] void inflates_too_much(const std::string& path, uint64_t ceiling) {
  fail("{}: inflates to more than {} bytes, the limit for decompressed data (set "
       "QCV_MAX_DECOMPRESSED_BYTES to raise it)",
       path, ceiling);
}

}  // namespace

std::vector<uint8_t> read_file_bytes(const std::string& path, uint64_t max_bytes) {
  if (max_bytes == 0) max_bytes = limits::max_tensor_bytes();
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) fail("{}: cannot open: {}", path, std::strerror(errno));
  struct stat info;
  if (::fstat(fileno(file.get()), &info) != 0) fail("{}: cannot stat: {}", path, std::strerror(errno));
  if (S_ISDIR(info.st_mode)) fail("{}: is a directory, expected a file", path);
  const char* ceiling_note = "(set QCV_MAX_TENSOR_BYTES to raise the limit)";
  if (S_ISREG(info.st_mode) && uint64_t(info.st_size) > max_bytes)
    fail("{}: {} bytes exceeds the limit of {} bytes for this file {}", path, info.st_size,
         max_bytes, ceiling_note);
  std::vector<uint8_t> bytes;
  if (S_ISREG(info.st_mode)) bytes.reserve(static_cast<size_t>(info.st_size));
  uint8_t chunk[1 << 16];
  size_t got = 0;
  while ((got = std::fread(chunk, 1, sizeof(chunk), file.get())) > 0) {
    // A pipe or device (or a file still growing) reports no usable size: bound it as it comes.
    if (bytes.size() + got > max_bytes)
      fail("{}: more than the limit of {} bytes for this file {}", path, max_bytes, ceiling_note);
    bytes.insert(bytes.end(), chunk, chunk + got);
  }
  if (std::ferror(file.get())) fail("{}: read error: {}", path, std::strerror(errno));
  return bytes;
}

std::vector<uint8_t> read_file_prefix(const std::string& path, size_t max_bytes, bool* whole) {
  std::unique_ptr<FILE, int (*)(FILE*)> file(std::fopen(path.c_str(), "rb"), &std::fclose);
  if (!file) fail("{}: cannot open: {}", path, std::strerror(errno));
  std::vector<uint8_t> bytes(max_bytes + 1);  // one more byte tells whether the file is longer
  size_t got = std::fread(bytes.data(), 1, bytes.size(), file.get());
  if (std::ferror(file.get())) fail("{}: read error: {}", path, std::strerror(errno));
  *whole = got <= max_bytes;
  bytes.resize(std::min(got, max_bytes));
  return bytes;
}

std::string printable(const std::string& text) {
  std::string out;
  for (size_t i = 0; i < text.size() && i < 200; ++i) {
    unsigned char c = static_cast<unsigned char>(text[i]);
    if (c < 0x20 || c == 0x7f) {
      char escaped[5];
      std::snprintf(escaped, sizeof(escaped), "\\x%02x", c);
      out += escaped;
    } else {
      out += static_cast<char>(c);
    }
  }
  if (text.size() > 200) out += "...";
  return out;
}

ByteStream::ByteStream(const std::string& path) : path_(path) {
  // First, as it may throw: nothing is open yet that the destructor would have to close.
  ceiling_ = limits::max_decompressed_bytes();
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("{}: cannot open: {}", path, std::strerror(errno));
  struct stat info;
  if (::fstat(fd, &info) != 0 || S_ISDIR(info.st_mode)) {
    ::close(fd);
    fail("{}: not a readable file", path);
  }
  file_size_ = static_cast<uint64_t>(info.st_size);
  // gzdopen reads a file that is not gzip as it is ("transparent" mode).
  gzFile file = gzdopen(fd, "rb");
  if (!file) {
    ::close(fd);
    fail("{}: cannot open: out of memory for zlib", path);
  }
  gzbuffer(file, 1 << 17);
  file_ = file;
}

ByteStream::~ByteStream() {
  if (file_) gzclose_r(static_cast<gzFile>(file_));
}

bool ByteStream::compressed() const { return gzdirect(static_cast<gzFile>(file_)) == 0; }

size_t ByteStream::read(uint8_t* out, size_t size) {
  gzFile file = static_cast<gzFile>(file_);
  const bool inflating = compressed();
  size_t done = 0;
  while (done < size) {
    // gzread takes and returns int: at most 1 GiB per call; and never inflate past the ceiling
    // (one byte more than it is asked to tell "exactly the ceiling" from "more").
    size_t want = std::min<size_t>(size - done, 1u << 30);
    if (inflating) {
      if (produced_ > ceiling_)
        inflates_too_much(path_, ceiling_);
      want = static_cast<size_t>(std::min<uint64_t>(want, ceiling_ + 1 - produced_));
    }
    int got = gzread(file, out + done, static_cast<unsigned>(want));
    int code = Z_OK;
    const char* message = gzerror(file, &code);
    // zlib reports a gzip stream cut short as Z_BUF_ERROR after returning what it had.
    if (got < 0 || (code != Z_OK && code != Z_BUF_ERROR))
      fail("{}: corrupt gzip data: {}", path_, message && *message ? message : "read error");
    if (code == Z_BUF_ERROR)
      fail("{}: truncated gzip data (the compressed stream ends early, after {} inflated bytes)",
           path_, produced_ + static_cast<uint64_t>(got));
    done += static_cast<size_t>(got);
    produced_ += static_cast<uint64_t>(got);
    if (got == 0) break;
  }
  if (inflating && produced_ > ceiling_)
    inflates_too_much(path_, ceiling_);
  return done;
}

}  // namespace qcv::data
