#include "ir/input_file.h"

#include <fcntl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>
#include <fstream>

#include "ir/error.h"

namespace qcv::ir {

namespace fs = std::filesystem;

void require_input_file(const std::string& path, const std::string& what) {
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) fail("{} '{}': no such file", what, path);
  if (fs::is_directory(st)) fail("{} '{}': is a directory, expected a file", what, path);
  if (!fs::is_regular_file(st)) fail("{} '{}': not a regular file", what, path);
}

uint64_t input_file_size(const std::string& path) {
  require_input_file(path);
  std::error_code ec;
  const uintmax_t size = fs::file_size(path, ec);
  if (ec) fail("'{}': cannot read its size: {}", path, ec.message());
  return size;
}

std::string read_input_file(const std::string& path, uint64_t max_bytes) {
  const uint64_t size = input_file_size(path);
  if (size > max_bytes)
    fail("'{}': file of {} bytes is larger than qcv reads ({} bytes)", path, size, max_bytes);
  std::string bytes(static_cast<size_t>(size), '\0');
  read_input_bytes(path, 0, bytes.data(), size);
  return bytes;
}

void read_input_bytes(const std::string& path, uint64_t offset, void* out, uint64_t size) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("'{}': cannot open for reading: {}", path, std::strerror(errno));
  in.seekg(static_cast<std::streamoff>(offset));
  if (!in.read(static_cast<char*>(out), static_cast<std::streamsize>(size)))
    fail("'{}': read error ({} bytes at offset {})", path, size, offset);
}

MappedInputFile::MappedInputFile(const std::string& path, uint64_t max_bytes) {
  const uint64_t size = input_file_size(path);
  if (size > max_bytes)
    fail("'{}': file of {} bytes is larger than qcv reads ({} bytes)", path, size, max_bytes);
  size_ = static_cast<size_t>(size);
  if (size_ == 0) return;
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("'{}': cannot open for reading: {}", path, std::strerror(errno));
  // MAP_POPULATE maps every page in one call instead of one fault per 4 KiB.
  void* p = ::mmap(nullptr, size_, PROT_READ, MAP_PRIVATE | MAP_POPULATE, fd, 0);
  ::close(fd);
  if (p != MAP_FAILED) {
    map_ = p;
    return;
  }
  copy_.assign(size_, '\0');
  read_input_bytes(path, 0, copy_.data(), size_);
}

MappedInputFile::~MappedInputFile() { release(); }

void MappedInputFile::release() {
  if (map_) ::munmap(map_, size_);
  map_ = nullptr;
  std::string().swap(copy_);
  size_ = 0;
}

}  // namespace qcv::ir
