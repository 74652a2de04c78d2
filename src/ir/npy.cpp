#include "ir/npy.h"

#include <unistd.h>

#include <cstdio>
#include <cstring>
#include <fstream>
#include <sstream>

#include "ir/atomic_file.h"

namespace qcv::ir {

namespace {

struct NpyType {
  const char* descr;
  DType dtype;
};
constexpr NpyType kTypes[] = {
    {"<f4", DType::Float32}, {"<f8", DType::Float64}, {"|u1", DType::UInt8},  {"|i1", DType::Int8},
    {"<u2", DType::UInt16},  {"<i2", DType::Int16},   {"<i4", DType::Int32},  {"<u4", DType::UInt32},
    {"<i8", DType::Int64},   {"<u8", DType::UInt64},  {"|b1", DType::Bool}};

// Value of `key` in the header dict, e.g. 'descr': '<f4' -> <f4 ; 'shape': (1, 3) -> (1, 3).
std::string header_field(const std::string& header, const std::string& key, const std::string& path) {
  size_t k = header.find("'" + key + "'");
  if (k == std::string::npos) fail("{}: .npy header lacks '{}'", path, key);
  size_t colon = header.find(':', k);
  size_t start = header.find_first_not_of(" ", colon + 1);
  if (colon == std::string::npos || start == std::string::npos) fail("{}: bad .npy header", path);
  if (header[start] == '(') return header.substr(start, header.find(')', start) - start + 1);
  if (header[start] == '\'') return header.substr(start + 1, header.find('\'', start + 1) - start - 1);
  return header.substr(start, header.find_first_of(",}", start) - start);
}

}  // namespace

Tensor load_npy(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot open '{}'", path);
  std::string bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) fail("{}: not a .npy file", path);
  int major = static_cast<uint8_t>(bytes[6]);
  size_t header_len, offset;
  if (major == 1) {
    header_len = static_cast<uint8_t>(bytes[8]) | (static_cast<uint8_t>(bytes[9]) << 8);
    offset = 10;
  } else if (major == 2 || major == 3) {
    if (bytes.size() < 12) fail("{}: truncated .npy header", path);
    header_len = 0;
    for (int i = 0; i < 4; ++i) header_len |= size_t(static_cast<uint8_t>(bytes[8 + i])) << (8 * i);
    offset = 12;
  } else {
    fail("{}: unsupported .npy version {}", path, major);
  }
  if (bytes.size() < offset + header_len) fail("{}: truncated .npy header", path);
  std::string header = bytes.substr(offset, header_len);
  std::string descr = header_field(header, "descr", path);
  if (header_field(header, "fortran_order", path) != "False")
    fail("{}: Fortran-order arrays are not supported", path);
  DType dtype = DType::Undefined;
  for (const NpyType& t : kTypes)
    if (descr == t.descr) dtype = t.dtype;
  if (dtype == DType::Undefined) fail("{}: unsupported .npy dtype '{}'", path, descr);
  Shape shape;
  std::string dims = header_field(header, "shape", path);
  std::stringstream ss(dims.substr(1, dims.size() - 2));
  for (std::string item; std::getline(ss, item, ',');) {
    if (item.find_first_not_of(" ") == std::string::npos) continue;
    try {
      shape.push_back(std::stoll(item));
    } catch (const std::exception&) {
      fail("{}: bad shape {} in .npy header", path, dims);
    }
  }
  Tensor t(dtype, shape);
  size_t data = offset + header_len;
  if (bytes.size() - data < t.nbytes())
    fail("{}: truncated .npy payload: {} bytes for shape {} of {}, expected {}", path,
         bytes.size() - data, shape_str(shape), dtype_name(dtype), t.nbytes());
  std::memcpy(t.raw(), bytes.data() + data, t.nbytes());
  return t;
}

void save_npy(const Tensor& t, const std::string& path) {
  const char* descr = nullptr;
  for (const NpyType& nt : kTypes)
    if (nt.dtype == t.dtype()) descr = nt.descr;
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
