#include "ir/input_file.h"

#include <filesystem>
#include <system_error>

#include "ir/error.h"

namespace qcv::ir {

void require_input_file(const std::string& path, const std::string& what) {
  namespace fs = std::filesystem;
  std::error_code ec;
  const fs::file_status st = fs::status(path, ec);
  if (ec || !fs::exists(st)) fail("{} '{}': no such file", what, path);
  if (fs::is_directory(st)) fail("{} '{}': is a directory, expected a file", what, path);
  if (!fs::is_regular_file(st)) fail("{} '{}': not a regular file", what, path);
}

}  // namespace qcv::ir
