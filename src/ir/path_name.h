// Names taken from files (model output names, class names, shard members) become file names only
// through these functions: one path component, never a way out of the folder it is joined to.
#pragma once
#include <string>
#include <vector>

namespace qcv::ir {

// `name` as one safe file-name component: '/', '\\', NUL and control characters become '_', a
// leading '.' becomes '_' (no "..", no hidden files, no clash with qcv's temporaries), and a name
// too long for a file system keeps its first bytes plus a hash of the whole. Fails (naming `what`,
// e.g. "model 'm.onnx': output") on an empty name.
std::string safe_file_name(const std::string& name, const std::string& what);

// safe_file_name of each name; fails naming both names when two of them map to the same file.
std::vector<std::string> safe_file_names(const std::vector<std::string>& names,
                                         const std::string& what);

// `name` for a one-line message: control bytes written as \xNN.
std::string printable_name(const std::string& name);

}  // namespace qcv::ir
