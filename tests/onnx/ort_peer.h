// ONNX Runtime as an independent peer: runs bench/ort_run.js through node on a float32 tensor.
#pragma once
#include <cstdlib>
#include <cstring>
#include <string>

#include "ir/tensor.h"
#include "sample_graphs.h"

namespace qcv::test {

inline std::string ort_command_prefix() {
  return std::string("NODE_PATH=") + QCV_SOURCE_DIR + "/bench/node_modules node ";
}

inline bool ort_available() {
  static const bool ok =
      std::system(
          (ort_command_prefix() + "-e \"require('onnxruntime-node')\" >/dev/null 2>&1").c_str()) ==
      0;
  return ok;
}

inline void write_npy(const std::string& path, const ir::Tensor& t) {
  std::string shape = "(";
  for (int64_t d : t.shape()) shape += std::to_string(d) + ", ";
  shape += ")";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
  header += std::string(63 - (10 + header.size()) % 64, ' ') + "\n";
  std::string bytes = "\x93NUMPY\x01";
  bytes += '\0';
  bytes += static_cast<char>(header.size() & 0xff);
  bytes += static_cast<char>(header.size() >> 8);
  bytes += header;
  bytes.append(static_cast<const char*>(t.raw()), t.nbytes());
  write_file(path, bytes);
}

// The float32 payload of a .npy v1 file (the header's shape is not parsed: callers know it).
inline std::vector<float> read_npy_floats(const std::string& path) {
  std::string bytes = read_file(path);
  if (bytes.size() < 10) return {};
  size_t header = static_cast<uint8_t>(bytes[8]) | static_cast<uint8_t>(bytes[9]) << 8;
  size_t start = 10 + header;
  std::vector<float> out((bytes.size() - start) / 4);
  std::memcpy(out.data(), bytes.data() + start, out.size() * 4);
  return out;
}

// Runs `model` in ONNX Runtime on `x`; returns the first output's values (empty on failure).
inline std::vector<float> run_ort(const std::string& model, const ir::Tensor& x,
                                  const TempDir& dir) {
  std::string in = dir.file("ort_in.npy"), out = dir.file("ort_out.npy");
  std::filesystem::remove(out);
  write_npy(in, x);
  std::string cmd = ort_command_prefix() + QCV_SOURCE_DIR + "/bench/ort_run.js '" + model + "' '" +
                    in + "' '" + out + "' 1";
  if (std::system(cmd.c_str()) != 0) return {};
  return read_npy_floats(out);
}

}  // namespace qcv::test
