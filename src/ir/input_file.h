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

}  // namespace qcv::ir
