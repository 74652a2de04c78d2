#include "cli/workflow_phase.h"

#include <fmt/format.h>
#include <sys/stat.h>

#include <filesystem>
#include <fstream>
#include <map>
#include <vector>

#include "ir/atomic_file.h"
#include "ir/error.h"

#ifndef QCV_VERSION
#define QCV_VERSION "unknown"
#endif

namespace qcv::cli {
namespace fs = std::filesystem;
namespace {

uint64_t fnv1a(uint64_t h, const char* data, size_t size) {
  for (size_t i = 0; i < size; ++i)
    h = (h ^ static_cast<unsigned char>(data[i])) * 1099511628211ull;
  return h;
}
constexpr uint64_t kFnvBasis = 14695981039346656037ull;

nlohmann::json stamp(const fs::path& p) {
  struct stat st {};
  if (::stat(p.c_str(), &st) != 0) return nullptr;
  return {{"bytes", S_ISDIR(st.st_mode) ? 0 : int64_t(st.st_size)},
          {"mtime_ns", int64_t(st.st_mtim.tv_sec) * 1000000000 + st.st_mtim.tv_nsec}};
}

void flatten(const nlohmann::json& j, const std::string& prefix,
             std::map<std::string, std::string>& out) {
  if (j.is_object() && !j.empty()) {
    for (auto it = j.begin(); it != j.end(); ++it)
      flatten(it.value(), prefix.empty() ? it.key() : prefix + "." + it.key(), out);
  } else {
    out[prefix] = j.dump();
  }
}

}  // namespace

nlohmann::json file_digest(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  if (!in) fail("cannot read '{}'", path);
  uint64_t h = kFnvBasis, bytes = 0;
  std::vector<char> buffer(1 << 20);
  while (in) {
    in.read(buffer.data(), std::streamsize(buffer.size()));
    const auto got = static_cast<size_t>(in.gcount());
    h = fnv1a(h, buffer.data(), got);
    bytes += got;
  }
  return {{"bytes", bytes}, {"fnv1a64", fmt::format("{:016x}", h)}};
}

nlohmann::json dataset_stamp(const std::string& spec) {
  // "kind:PATH" specs (e.g. "shards:/data/x") name a path after the colon.
  std::string path = spec;
  const size_t colon = spec.find(':');
  if (!fs::exists(path) && colon != std::string::npos) path = spec.substr(colon + 1);
  std::error_code ec;
  if (!fs::exists(path, ec)) return {{"name", spec}};
  nlohmann::json entries = nlohmann::json::object();
  entries["."] = stamp(path);
  if (fs::is_directory(path, ec)) {
    for (fs::recursive_directory_iterator it(path, ec), end; !ec && it != end; it.increment(ec)) {
      if (it.depth() >= 1) it.disable_recursion_pending();  // two levels: class folders, files
      entries[fs::relative(it->path(), path).string()] = stamp(it->path());
    }
  }
  return {{"name", spec}, {"stamps_fnv1a64", key_digest(entries)}, {"entries", entries.size()}};
}

std::string key_digest(const nlohmann::json& key) {
  const std::string s = key.dump();
  return fmt::format("{:016x}", fnv1a(kFnvBasis, s.data(), s.size()));
}

std::string describe_change(const nlohmann::json& before, const nlohmann::json& now) {
  std::map<std::string, std::string> a, b;
  flatten(before, "", a);
  flatten(now, "", b);
  std::vector<std::string> changes;
  for (const auto& [k, v] : b) {
    auto it = a.find(k);
    if (it == a.end())
      changes.push_back(fmt::format("{}: new ({})", k, v));
    else if (it->second != v)
      changes.push_back(fmt::format("{}: {} -> {}", k, it->second, v));
  }
  for (const auto& [k, v] : a)
    if (!b.count(k)) changes.push_back(fmt::format("{}: removed (was {})", k, v));
  std::string out;
  for (size_t i = 0; i < changes.size() && i < 3; ++i) out += (i ? "; " : "") + changes[i];
  if (changes.size() > 3) out += fmt::format("; and {} more", changes.size() - 3);
  return out;
}

namespace {
// The key as stored: the phase's inputs plus the version of qcv that ran it.
nlohmann::json versioned(const nlohmann::json& key) {
  nlohmann::json j = key;
  j["qcv_version"] = QCV_VERSION;
  return j;
}
}  // namespace

PhaseCheck check_phase(const std::string& key_file, const nlohmann::json& key, bool output_exists) {
  nlohmann::json stored;
  try {
    std::ifstream in(key_file);
    if (in) stored = nlohmann::json::parse(in);
  } catch (const std::exception&) {
    stored = nullptr;  // a damaged record is no record
  }
  if (!stored.is_object() || !stored.contains("key") || !stored.contains("done")) {
    if (output_exists) return {PhaseCheck::Rerun, "no record of what produced its output"};
    return {PhaseCheck::Fresh, ""};
  }
  const nlohmann::json now = versioned(key);
  if (stored["key"] != now) return {PhaseCheck::Rerun, describe_change(stored["key"], now)};
  if (stored["done"] == true && output_exists) return {PhaseCheck::Reuse, ""};
  return {PhaseCheck::Resume, ""};
}

void record_phase(const std::string& key_file, const nlohmann::json& key, bool done) {
  const nlohmann::json j = {{"key", versioned(key)}, {"done", done}};
  ir::write_file_atomically(key_file, j.dump(2) + "\n");
}

}  // namespace qcv::cli
