// Internal to qcv_data: IDX arrays (the MNIST format), raw or gzip. Format: 2 zero bytes, a type
// byte (0x08: unsigned byte), a dimension count, one big-endian uint32 per dimension, the data.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "data/file_io.h"

namespace qcv::data {

// An IDX file whose header has been read and validated, its data not yet.
class IdxReader {
 public:
  // Reads the header (streaming: a gzip file is inflated only as far as the header). Throws
  // qcv::Error naming the file on a bad magic, another element type or rank, or dimensions whose
  // byte count exceeds limits::max_tensor_bytes() or, for an uncompressed file, its size.
  IdxReader(const std::string& path, size_t expected_rank, const char* kind);
  const std::vector<uint32_t>& dims() const { return dims_; }
  uint64_t data_bytes() const { return data_bytes_; }
  // Reads the data: exactly data_bytes() must follow the header (a shorter stream is truncated,
  // a longer one has extra data); memory grows with what is actually read, never beyond it.
  std::vector<uint8_t> read_data();

 private:
  std::unique_ptr<ByteStream> stream_;
  std::vector<uint32_t> dims_;
  uint64_t data_bytes_ = 0;
};

}  // namespace qcv::data
