// The one check before a reader opens a path it was given: it must name an existing regular
// file (a directory otherwise reads as an absurd size, e.g. "basic_string::_M_create").
#pragma once
#include <string>

namespace qcv::ir {

// Throws qcv::Error naming the path and `what` ("model", "config", ...) if it does not exist,
// is a directory or is not a regular file (a FIFO or device would block or never end).
void require_input_file(const std::string& path, const std::string& what = "file");

}  // namespace qcv::ir
