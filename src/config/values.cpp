#include "config/values.h"

#include <algorithm>
#include <cstdint>
#include <filesystem>

#include "ir/error.h"
#include "ir/input_file.h"
#include "ir/parse_value.h"

namespace qcv::config {

YAML::Node load_yaml_file(const std::string& path, const std::string& what) {
  ir::require_input_file(path, what);
  // Configs are a few KB; a huge file is a mistake (a dataset or model passed as --config).
  constexpr uintmax_t kMaxConfigBytes = 16u << 20;
  if (std::filesystem::file_size(path) > kMaxConfigBytes)
    fail("{} '{}': {} bytes, larger than a config can be ({} MiB)", what, path,
         std::filesystem::file_size(path), kMaxConfigBytes >> 20);
  try {
    return YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    fail("{} '{}': {}", what, path, e.what());
  }
}

void require_known_keys(const YAML::Node& node, const std::vector<std::string>& known,
                        const std::string& where) {
  if (!node || node.IsNull()) return;
  if (!node.IsMap()) fail("{}: expected a mapping of keys to values", where);
  for (const auto& kv : node) {
    if (!kv.first.IsScalar()) fail("{}: a key is not a plain name", where);
    const std::string key = kv.first.Scalar();
    bool found = false;
    for (const std::string& k : known) found = found || k == key;
    if (!found) {
      // A short list helps; a long one (the trainer's 40 keys) would not fit the one error line.
      if (known.size() > 12)
        fail("{}: unknown key '{}' (the {} known keys are the --flags of qcv train --help)", where,
             key, known.size());
      std::string list;
      for (const std::string& k : known) list += (list.empty() ? "" : ", ") + k;
      fail("{}: unknown key '{}' (known: {})", where, key, list);
    }
  }
}

void require_text(const std::string& key, const std::string& text) {
  const auto* p = reinterpret_cast<const unsigned char*>(text.data());
  const size_t n = text.size();
  for (size_t i = 0; i < n;) {
    const unsigned c = p[i];
    // The sequence length, and the range of its second byte (which rules out overlong forms,
    // surrogates and code points above U+10FFFF); later bytes are 10xxxxxx.
    size_t len = 0;
    unsigned lo = 0x80, hi = 0xBF;
    if (c < 0x80) {
      if ((c < 0x20 && c != '\t') || c == 0x7f)
        fail("'{}': control character {:#04x} at byte {} of the value", key, c, i);
      len = 1;
    } else if (c >= 0xC2 && c <= 0xDF) {
      len = 2;
    } else if (c >= 0xE0 && c <= 0xEF) {
      len = 3;
      if (c == 0xE0) lo = 0xA0;
      if (c == 0xED) hi = 0x9F;
    } else if (c >= 0xF0 && c <= 0xF4) {
      len = 4;
      if (c == 0xF0) lo = 0x90;
      if (c == 0xF4) hi = 0x8F;
    }
    bool ok = len > 0 && i + len <= n;
    for (size_t k = 1; ok && k < len; ++k)
      ok = k == 1 ? p[i + 1] >= lo && p[i + 1] <= hi : (p[i + k] & 0xC0) == 0x80;
    if (!ok) fail("'{}': not valid UTF-8 text (byte {} of the value)", key, i);
    i += len;
  }
}

namespace {
// The scalar text of node[key], or false if absent; a mapping or sequence there is an error.
bool scalar(const YAML::Node& node, const std::string& key, std::string& text) {
  if (!node || !node.IsMap()) return false;
  const YAML::Node v = node[key];
  if (!v) return false;
  if (!v.IsScalar()) fail("'{}' must be a single value", key);
  text = v.Scalar();
  require_text(key, text);
  return true;
}
}  // namespace

void read(const YAML::Node& node, const std::string& key, std::string& out) {
  std::string text;
  if (node && node.IsMap() && node[key] && node[key].IsNull()) {
    out.clear();  // `key:` or `key: ~` is the empty string
    return;
  }
  if (scalar(node, key, text)) out = text;
}

void read(const YAML::Node& node, const std::string& key, std::vector<std::string>& out) {
  if (!node || !node.IsMap() || !node[key]) return;
  const YAML::Node v = node[key];
  if (!v.IsSequence()) fail("'{}' must be a list", key);
  out.clear();
  for (const YAML::Node& item : v) {
    if (!item.IsScalar()) fail("'{}': each item must be a single value", key);
    require_text(key, item.Scalar());
    out.push_back(item.Scalar());
  }
}

void read(const YAML::Node& node, const std::string& key, int& out, int64_t lo, int64_t hi) {
  std::string text;
  if (scalar(node, key, text))  // bounds narrowed to int's, so the cast below is exact
    out = static_cast<int>(ir::parse_int(key, text, std::max<int64_t>(lo, INT32_MIN),
                                     std::min<int64_t>(hi, INT32_MAX)));
}

void read(const YAML::Node& node, const std::string& key, int64_t& out, int64_t lo, int64_t hi) {
  std::string text;
  if (scalar(node, key, text)) out = ir::parse_int(key, text, lo, hi);
}

void read(const YAML::Node& node, const std::string& key, double& out, double lo, double hi) {
  std::string text;
  if (scalar(node, key, text)) out = ir::parse_number(key, text, lo, hi);
}

}  // namespace qcv::config
