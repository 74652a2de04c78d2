#include "ir/npy.h"

#include <unistd.h>

#include <cstdio>
#include <algorithm>
#include <cstring>
#include <fstream>
#include <sstream>

#include "ir/input_file.h"
#include "ir/npy_header.h"
#include "ir/atomic_file.h"

namespace qcv::ir {

Tensor load_npy(const std::string& path) {
  // The header is read and checked first; the payload is read straight into the tensor once the
  // file is known to hold exactly the bytes its header promises.
  const uint64_t size = input_file_size(path);
  std::string prefix(static_cast<size_t>(std::min<uint64_t>(size, 12)), '\0');
  read_input_bytes(path, 0, prefix.data(), prefix.size());
  const size_t header_end = npy_header_end(prefix, path);
  if (size < header_end) fail("{}: truncated .npy header", path);
  prefix.resize(header_end);
  read_input_bytes(path, 0, prefix.data(), header_end);
  const NpyHeader h = parse_npy_header(prefix, path);
  const uint64_t present = size - h.data_offset;
  if (present != h.payload_bytes)
    fail("{}: {} .npy payload: {} bytes for shape {} of {}, expected {}", path,
         present < h.payload_bytes ? "truncated" : "oversized", present, shape_str(h.shape),
         dtype_name(h.dtype), h.payload_bytes);
  Tensor t(h.dtype, h.shape);
  read_input_bytes(path, h.data_offset, t.raw(), h.payload_bytes);
  if (h.dtype == DType::Bool) {
    // A byte other than 0/1 is not a valid C++ bool; numpy treats any nonzero byte as True.
    auto* b = static_cast<uint8_t*>(t.raw());
    for (uint64_t i = 0; i < h.payload_bytes; ++i) b[i] = b[i] != 0;
  }
  return t;
}

void save_npy(const Tensor& t, const std::string& path) {
  const char* descr = npy_descr(t.dtype());
  if (!descr) fail("save_npy '{}': unsupported dtype {}", path, dtype_name(t.dtype()));
  std::string dims;
  for (int64_t d : t.shape()) dims += std::to_string(d) + ", ";
  if (t.rank() > 1) dims.resize(dims.size() - 2);
  else if (t.rank() == 1) dims.resize(dims.size() - 1);
  std::string header = fmt::format("{{'descr': '{}', 'fortran_order': False, 'shape': ({}), }}", descr, dims);
  // Pad so that the payload starts 64-byte aligned; the header ends with a newline.
  size_t total = 10 + header.size() + 1;
  header.append((64 - total % 64) % 64, ' ');
  header += '\n';
  std::string out = "\x93NUMPY";
  out += char(1);
  out += char(0);
  out += char(header.size() & 0xff);
  out += char(header.size() >> 8);
  out += header;
  AtomicFile file(path);  // header then payload, without a copy of the payload
  file.write(out.data(), out.size());
  file.write(t.raw(), t.nbytes());
  file.commit();
}

}  // namespace qcv::ir
