// The message of the qcv::Error that loading a model throws, for tests of refused files.
#pragma once
#include <onnx/onnx_pb.h>

#include <string>

#include "ir/error.h"
#include "onnx/onnx.h"

namespace qcv::test {

// "" when loading `path` does not throw.
inline std::string load_error(const std::string& path) {
  try {
    onnx::load(path);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

// The same for bytes in memory; `origin` is the name errors give the file.
inline std::string bytes_error(const std::string& bytes, const std::string& origin = "bytes.onnx") {
  try {
    onnx::load_from_bytes(bytes, origin);
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

inline std::string bytes_error(const ::onnx::ModelProto& m, const std::string& origin = "bytes.onnx") {
  return bytes_error(m.SerializeAsString(), origin);
}

inline bool contains(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}

}  // namespace qcv::test
