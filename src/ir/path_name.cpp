#include "ir/path_name.h"

#include <fmt/format.h>

#include <cstdint>
#include <map>

#include "ir/error.h"

namespace qcv::ir {

std::string printable_name(const std::string& name) {
  std::string out;
  for (unsigned char c : name)
    out += c < 0x20 || c == 0x7f ? fmt::format("\\x{:02x}", c) : std::string(1, char(c));
  return out;
}

std::string safe_file_name(const std::string& name, const std::string& what) {
  if (name.empty()) fail("{}: an empty name cannot become a file name", what);
  std::string out = name;
  for (char& c : out) {
    const auto u = static_cast<unsigned char>(c);
    if (c == '/' || c == '\\' || u < 0x20 || u == 0x7f) c = '_';
  }
  if (out[0] == '.') out[0] = '_';
  // File systems cap a name at 255 bytes; leave room for an extension and qcv's temporary suffix.
  constexpr size_t kMax = 160;
  if (out.size() > kMax) {
    uint64_t h = 14695981039346656037ull;  // FNV-1a of the whole name keeps long names distinct
    for (unsigned char c : name) h = (h ^ c) * 1099511628211ull;
    out = out.substr(0, kMax - 17) + fmt::format("_{:016x}", h);
  }
  return out;
}

std::vector<std::string> safe_file_names(const std::vector<std::string>& names,
                                         const std::string& what) {
  std::vector<std::string> out;
  std::map<std::string, const std::string*> taken;
  for (const std::string& name : names) {
    out.push_back(safe_file_name(name, what));
    auto [it, fresh] = taken.emplace(out.back(), &name);
    if (!fresh)
      fail("{}: names '{}' and '{}' would both be written as '{}'", what,
           printable_name(*it->second), printable_name(name), out.back());
  }
  return out;
}

}  // namespace qcv::ir
