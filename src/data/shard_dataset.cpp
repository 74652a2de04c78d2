// ShardDataset: WebDataset-style tar shards, indexed by member headers, read with pread.
#include <fcntl.h>
#include <fmt/format.h>
#include <glob.h>
#include <unistd.h>

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cstring>
#include <filesystem>
#include <map>

#include "data/data.h"
#include "data/file_io.h"
#include "data/tar.h"
#include "ir/limits.h"

namespace qcv::data {
namespace fs = std::filesystem;
namespace {

// Beyond this many shards, files are opened per read rather than kept open (descriptor limits).
constexpr size_t kMaxOpenShards = 256;

bool is_image_extension(const std::string& ext) {
  return ext == "jpg" || ext == "jpeg" || ext == "png";
}

// WebDataset's split: key = directory + file name up to its first '.', extension = the rest.
void split_member_name(const std::string& name, std::string& key, std::string& ext) {
  size_t slash = name.rfind('/');
  size_t dot = name.find('.', slash == std::string::npos ? 0 : slash + 1);
  key = name.substr(0, dot);
  ext = dot == std::string::npos ? "" : name.substr(dot + 1);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
}

int open_shard(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) fail("{}: cannot open the shard: {}", path, std::strerror(errno));
  return fd;
}

std::vector<std::string> read_class_names(const std::string& path) {
  // One name per line: kMaxClasses names of a few hundred bytes at most.
  std::vector<uint8_t> bytes = read_file_bytes(path, uint64_t(kMaxClasses) * 256);
  std::vector<std::string> names;
  std::string text(bytes.begin(), bytes.end());
  size_t start = 0;
  while (start < text.size()) {
    size_t end = text.find('\n', start);
    if (end == std::string::npos) end = text.size();
    std::string line = text.substr(start, end - start);
    if (!line.empty() && line.back() == '\r') line.pop_back();
    if (!line.empty()) names.push_back(line);
    start = end + 1;
  }
  if (int64_t(names.size()) > kMaxClasses)
    fail("{}: {} class names, more than the limit of {}", path, names.size(), kMaxClasses);
  return names;
}

// A .cls member: decimal digits, optionally followed by whitespace (a newline). Returns -1 if it
// is anything else or not below kMaxClasses.
int64_t parse_label(const std::string& text) {
  size_t end = text.size();
  while (end > 0 && std::isspace(static_cast<unsigned char>(text[end - 1]))) --end;
  if (end == 0 || end > 7) return -1;  // kMaxClasses has 7 digits
  int64_t label = 0;
  for (size_t i = 0; i < end; ++i) {
    if (text[i] < '0' || text[i] > '9') return -1;
    label = label * 10 + (text[i] - '0');
  }
  return label < kMaxClasses ? label : -1;
}

}  // namespace

std::vector<std::string> list_shards(const std::string& dir_or_glob) {
  std::vector<std::string> paths;
  std::error_code error, not_a_directory;
  if (fs::is_directory(dir_or_glob, not_a_directory)) {
    for (const fs::directory_entry& entry : fs::directory_iterator(dir_or_glob, error))
      if (entry.path().extension() == ".tar") paths.push_back(entry.path().string());
  } else {
    glob_t matches;
    if (::glob(dir_or_glob.c_str(), 0, nullptr, &matches) == 0)
      for (size_t i = 0; i < matches.gl_pathc; ++i) paths.push_back(matches.gl_pathv[i]);
    ::globfree(&matches);
  }
  if (error) fail("{}: cannot list the shards: {}", dir_or_glob, error.message());
  std::sort(paths.begin(), paths.end());
  if (paths.empty()) fail("{}: no .tar shards found", dir_or_glob);
  return paths;
}

ShardDataset::ShardDataset(std::vector<std::string> shard_paths, ShardOptions options)
    : options_(options), shards_(std::move(shard_paths)) {
  if (options_.channels != 0 && options_.channels != 1 && options_.channels != 3)
    fail("shards: channels must be 0, 1 or 3, got {}", options_.channels);
  if (shards_.empty()) fail("shards: no shard files given");
  const bool keep_open = shards_.size() <= kMaxOpenShards;
  int64_t max_label = -1;
  const uint64_t max_image = limits::max_tensor_bytes();
  // A constructor that throws runs no destructor: the shards opened so far are closed here (a
  // bad shard in a long-running process must not leak a descriptor per attempt).
  struct CloseOnError {
    std::vector<int>& fds;
    bool done = false;
    ~CloseOnError() {
      for (int fd : fds)
        if (!done && fd >= 0) ::close(fd);
    }
  } guard{descriptors_};
  for (size_t s = 0; s < shards_.size(); ++s) {
    const std::string& path = shards_[s];
    const int fd = open_shard(path);
    descriptors_.push_back(fd);
    const std::vector<TarMember> members = list_tar_members(fd, path);
    // Group members by key, in order of first appearance.
    struct Parts {
      const TarMember* image = nullptr;
      const TarMember* label = nullptr;
    };
    std::vector<std::string> keys;
    std::map<std::string, Parts> parts;
    for (const TarMember& member : members) {
      std::string key, ext;
      split_member_name(member.name, key, ext);
      auto [it, inserted] = parts.try_emplace(key);
      if (inserted) keys.push_back(key);
      if (is_image_extension(ext)) {
        if (it->second.image)
          fail("{}: sample '{}' has two images ('{}' and '{}')", path, printable(key),
               printable(it->second.image->name), printable(member.name));
        it->second.image = &member;
      } else if (ext == "cls") {
        it->second.label = &member;
      }
    }
    for (const std::string& key : keys) {
      const Parts& sample = parts[key];
      if (!sample.image && !sample.label) continue;  // other members (metadata) are ignored
      if (!sample.image)
        fail("{}: sample '{}' has a .cls but no .jpg/.jpeg/.png member", path, printable(key));
      if (!sample.label) fail("{}: sample '{}' has no .cls member (its label)", path, printable(key));
      if (sample.label->size > 32)
        fail("{}: member '{}': a label of {} bytes", path, printable(sample.label->name),
             sample.label->size);
      std::string text(sample.label->size, '\0');
      pread_exact(fd, reinterpret_cast<uint8_t*>(&text[0]), text.size(), sample.label->offset, path,
                  "member '" + printable(sample.label->name) + "'");
      int64_t label = parse_label(text);
      if (label < 0)
        fail("{}: member '{}': the label '{}' is not an integer from 0 to {}", path,
             printable(sample.label->name), printable(text), kMaxClasses - 1);
      if (sample.image->size > max_image)
        fail("{}: member '{}' is {} bytes, more than the limit of {} (QCV_MAX_TENSOR_BYTES)", path,
             printable(sample.image->name), sample.image->size, max_image);
      max_label = std::max<int64_t>(max_label, label);
      samples_.push_back(
          {key, static_cast<uint32_t>(s), sample.image->offset, sample.image->size, label});
    }
    if (!keep_open) {
      ::close(fd);
      descriptors_.back() = -1;
    }
  }
  if (samples_.empty()) fail("{}: no samples in {} shards", shards_[0], shards_.size());
  fs::path names = fs::path(shards_[0]).parent_path() / "classes.txt";
  std::error_code error;
  if (fs::exists(names, error)) {
    class_names_ = read_class_names(names.string());
    if (max_label >= static_cast<int64_t>(class_names_.size()))
      fail("{}: {} classes, but the shards hold label {}", names.string(), class_names_.size(),
           max_label);
  } else {
    for (int64_t label = 0; label <= max_label; ++label)
      class_names_.push_back(std::to_string(label));
  }
  guard.done = true;
}

ShardDataset::~ShardDataset() {
  for (int fd : descriptors_)
    if (fd >= 0) ::close(fd);
}

std::vector<uint8_t> ShardDataset::read_image_bytes(size_t index) const {
  if (index >= samples_.size())
    fail("{}: index {} out of range (size {})", description(), index, samples_.size());
  const Sample& sample = samples_[index];
  const std::string& path = shards_[sample.shard];
  std::vector<uint8_t> bytes(sample.size);
  int fd = descriptors_[sample.shard];
  const bool own = fd < 0;
  if (own) fd = open_shard(path);
  try {
    pread_exact(fd, bytes.data(), bytes.size(), sample.offset, path,
                "the image of sample '" + printable(sample.key) + "'");
  } catch (...) {
    if (own) ::close(fd);
    throw;
  }
  if (own) ::close(fd);
  return bytes;
}

Example ShardDataset::get(size_t index) const { return get_scaled(index, nullptr); }

Example ShardDataset::get_scaled(size_t index, const DecodeScale& scale) const {
  std::vector<uint8_t> bytes = read_image_bytes(index);
  const Sample& sample = samples_[index];
  Example example;
  ImageInfo full;
  example.image =
      decode_image_scaled(bytes.data(), bytes.size(), shards_[sample.shard] + ":" + sample.key,
                          options_.channels, scale, &full);
  if (full.height != example.image.height || full.width != example.image.width) {
    example.full_height = full.height;
    example.full_width = full.width;
  }
  example.label = sample.label;
  return example;
}

std::string ShardDataset::description() const {
  return fmt::format("{}{} ({} shards, {} images, {} classes)", shards_[0],
                     shards_.size() > 1 ? " ..." : "", shards_.size(), samples_.size(),
                     class_names_.size());
}

}  // namespace qcv::data
