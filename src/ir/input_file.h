// Opening files named by the user: one place that says "is a directory", "no such file" or "too
// large" instead of a stream error or a failed allocation (a directory's size reads as 2^63).
#pragma once
#include <cstdint>
#include <string>

namespace qcv::ir {

// Size of the regular file at `path`; throws qcv::Error naming it if it is missing, a directory
// or not a regular file.
uint64_t input_file_size(const std::string& path);
// The whole file; throws if it is larger than `max_bytes` (before allocating) or unreadable.
std::string read_input_file(const std::string& path, uint64_t max_bytes);
// `size` bytes at `offset` of the file into `out`; throws naming the file on a short read.
void read_input_bytes(const std::string& path, uint64_t offset, void* out, uint64_t size);

}  // namespace qcv::ir
