// The header of a NumPy .npy file (versions 1.0, 2.0, 3.0), parsed strictly: the Python dict
// literal numpy writes, with exactly the keys descr, fortran_order and shape. Anything numpy would
// not read, or would read differently (a shape (1, 32.9), a big-endian dtype), is an error.
#pragma once
#include <cstddef>
#include <string>

#include "ir/tensor.h"

namespace qcv::ir {

struct NpyHeader {
  DType dtype = DType::Undefined;
  Shape shape;
  size_t data_offset = 0;  // where the payload starts
  size_t payload_bytes = 0;  // checked against the element count and QCV_MAX_TENSOR_BYTES
};

// The most header bytes qcv reads (numpy itself refuses headers over 10,000 bytes by default).
constexpr size_t kMaxNpyHeaderBytes = 65536;

// Parses the start of a file (at least its first 12 bytes and, once the length is known, the
// whole header); throws qcv::Error naming `path`. `prefix` may hold more than the header.
NpyHeader parse_npy_header(const std::string& prefix, const std::string& path);
// The .npy descr of a dtype ('<f4'...), nullptr if .npy files of qcv cannot hold it.
const char* npy_descr(DType dtype);
// How many bytes of the file parse_npy_header needs: 12 for the preamble, then the header's end.
size_t npy_header_end(const std::string& preamble, const std::string& path);

}  // namespace qcv::ir
