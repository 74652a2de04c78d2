// Internal helpers of qcv_data: whole-file reads and gzip inflation with errors naming the file.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace qcv::data {

// Reads a whole file; throws qcv::Error naming the path if it cannot be opened or read.
std::vector<uint8_t> read_file_bytes(const std::string& path);
// Reads at most `max_bytes` from the start of a file; *whole says whether that was all of it.
std::vector<uint8_t> read_file_prefix(const std::string& path, size_t max_bytes, bool* whole);
// True if the bytes start with the gzip signature 1f 8b.
bool is_gzip(const std::vector<uint8_t>& bytes);
// Inflates gzip data (all members); throws qcv::Error naming `path` if it is corrupt or truncated.
std::vector<uint8_t> gunzip(const std::vector<uint8_t>& compressed, const std::string& path);
// read_file_bytes, inflated if the content is gzip.
std::vector<uint8_t> read_maybe_gzip(const std::string& path);

}  // namespace qcv::data
