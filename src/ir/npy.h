// NumPy .npy files (format 1.0/2.0, C order, little endian) <-> ir::Tensor: the raw tensor format
// of `qcv run`.
#pragma once
#include <string>

#include "ir/tensor.h"

namespace qcv::ir {

// Throws qcv::Error naming the file on a bad header, an unsupported dtype, Fortran order or a
// truncated payload.
Tensor load_npy(const std::string& path);
// Writes atomically (temporary file + rename).
void save_npy(const Tensor& t, const std::string& path);

// Writes `bytes` to `path` through a temporary file in the same directory and a rename, so that a
// reader never sees a half-written file and a failure leaves any previous file intact.
void write_file_atomically(const std::string& path, const std::string& bytes);

}  // namespace qcv::ir
