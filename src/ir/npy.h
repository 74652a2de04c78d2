// NumPy .npy files (format 1.0/2.0, C order, little endian) <-> ir::Tensor: the raw tensor format
// of `qcv run`.
#pragma once
#include <string>

#include "ir/atomic_file.h"  // write_file_atomically, which used to be declared here
#include "ir/tensor.h"

namespace qcv::ir {

// Throws qcv::Error naming the file on a bad header, an unsupported dtype, Fortran order or a
// truncated payload.
Tensor load_npy(const std::string& path);
// Writes atomically (temporary file + rename).
void save_npy(const Tensor& t, const std::string& path);

}  // namespace qcv::ir
