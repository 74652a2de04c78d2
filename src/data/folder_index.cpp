// The ImageFolder index file. Binary, host byte order (an index is a local cache, not an exchange
// format; another byte order fails the magic check and is rebuilt):
//   "QCVIDX02"                                   magic and version
//   u32 verify, u32 channels
//   str class_list_file, i64 class_list_mtime_ns, i64 class_list_size
//   u64 n, n x str                               the root's subdirectory names
//   u64 n, n x (str path, i64 mtime_ns)          directory stamps
//   u64 n, n x str                               class names
//   u64 n, n x (str path, i32 label)             files
//   u64 n, n x (i32 height, i32 width, i32 ch)   sizes (0 or one per file)
//   u64 n, n x str                               skipped files
//   u64 n, n x str                               warnings
//   u64 checksum of everything before (FNV-1a over 8-byte words)
// where str = u32 length + bytes.
#include "data/folder_index.h"

#include <dirent.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstring>

#include "data/file_io.h"
#include "ir/atomic_file.h"

namespace qcv::data {
namespace {

constexpr char kMagic[8] = {'Q', 'C', 'V', 'I', 'D', 'X', '0', '2'};

// FNV-1a over 8-byte words (a byte-wise loop costs ~50 ms on a 46 MB ImageNet index).
uint64_t checksum(const uint8_t* data, size_t size) {
  uint64_t hash = 0xcbf29ce484222325ull;
  size_t i = 0;
  for (; i + 8 <= size; i += 8) {
    uint64_t word;
    std::memcpy(&word, data + i, 8);
    hash = (hash ^ word) * 0x100000001b3ull;
  }
  for (; i < size; ++i) hash = (hash ^ data[i]) * 0x100000001b3ull;
  return hash ^ (hash >> 29);
}

class Writer {
 public:
  template <typename T>
  void put(T value) {
    const auto* p = reinterpret_cast<const uint8_t*>(&value);
    bytes.insert(bytes.end(), p, p + sizeof(T));
  }
  void put(const std::string& text) {
    put(static_cast<uint32_t>(text.size()));
    bytes.insert(bytes.end(), text.begin(), text.end());
  }
  void put_strings(const std::vector<std::string>& list) {
    put(static_cast<uint64_t>(list.size()));
    for (const std::string& text : list) put(text);
  }
  std::vector<uint8_t> bytes;
};

// Reads with bounds checks; any overrun marks the reader bad (the index is then rebuilt).
class Reader {
 public:
  Reader(const uint8_t* data, size_t size) : p_(data), end_(data + size) {}
  template <typename T>
  T get() {
    T value{};
    if (size_t(end_ - p_) < sizeof(T)) {
      ok = false;
      return value;
    }
    std::memcpy(&value, p_, sizeof(T));
    p_ += sizeof(T);
    return value;
  }
  // The next string, after `prefix` (built in one allocation).
  std::string text(const std::string& prefix = {}) {
    uint32_t size = get<uint32_t>();
    if (!ok || size_t(end_ - p_) < size) {
      ok = false;
      return {};
    }
    std::string out;
    out.reserve(prefix.size() + size);
    out.append(prefix).append(reinterpret_cast<const char*>(p_), size);
    p_ += size;
    return out;
  }
  // A count that cannot exceed what is left (each element takes at least min_bytes).
  uint64_t count(size_t min_bytes) {
    uint64_t n = get<uint64_t>();
    if (!ok || n > size_t(end_ - p_) / min_bytes) ok = false;
    return ok ? n : 0;
  }
  std::vector<std::string> strings() {
    std::vector<std::string> list(count(4));
    for (std::string& text : list) text = this->text();
    return list;
  }
  bool ok = true;

 private:
  const uint8_t* p_;
  const uint8_t* end_;
};

// A path the index may name: relative, inside the root (no empty, "." or ".." component).
bool safe_relative(const std::string& path) {
  if (path.empty() || path.find('\0') != std::string::npos) return false;
  size_t start = 0;
  for (;;) {
    size_t slash = path.find('/', start);
    std::string part = path.substr(start, slash == std::string::npos ? slash : slash - start);
    if (part.empty() || part == "." || part == "..") return false;
    if (slash == std::string::npos) return true;
    start = slash + 1;
  }
}

// The rest of the index must make sense before a path in it is ever opened: the checksum only
// catches accidents, not a crafted file.
bool index_is_sane(const FolderIndex& index, size_t prefix_size) {
  if (index.verify > 2 || (index.channels != 0 && index.channels != 1 && index.channels != 3))
    return false;
  if (index.class_names.empty() || int64_t(index.class_names.size()) > kMaxClasses) return false;
  for (const std::string& name : index.root_directories)
    if (!safe_relative(name) || name.find('/') != std::string::npos) return false;
  if (!std::is_sorted(index.root_directories.begin(), index.root_directories.end())) return false;
  // Every file and directory lies under one of the root's directories.
  auto under_root = [&](const std::string& path) {
    if (!safe_relative(path)) return false;
    return std::binary_search(index.root_directories.begin(), index.root_directories.end(),
                              path.substr(0, path.find('/')));
  };
  for (const DirectoryStamp& stamp : index.directories)
    if (!stamp.path.empty() && !under_root(stamp.path)) return false;
  for (const std::string& file : index.files)
    if (file.size() < prefix_size || !under_root(file.substr(prefix_size))) return false;
  for (const std::string& file : index.skipped)
    if (!under_root(file)) return false;
  for (const ImageInfo& size : index.sizes)
    if (size.height <= 0 || size.width <= 0 || (size.channels != 1 && size.channels != 3))
      return false;
  return true;
}

}  // namespace

int64_t mtime_ns(const std::string& path) {
  struct stat info;
  if (::stat(path.c_str(), &info) != 0) return -1;
  return int64_t(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
}

std::vector<std::string> subdirectory_names(const std::string& directory) {
  DIR* dir = ::opendir(directory.c_str());
  if (!dir) fail("{}: cannot list: {}", directory, std::strerror(errno));
  std::vector<std::string> names;
  while (dirent* entry = ::readdir(dir)) {
    if (entry->d_name[0] == '.' &&
        (entry->d_name[1] == 0 || (entry->d_name[1] == '.' && entry->d_name[2] == 0)))
      continue;
    bool is_dir = entry->d_type == DT_DIR;
    if (entry->d_type == DT_UNKNOWN || entry->d_type == DT_LNK) {
      struct stat info;
      std::string path = directory + "/" + entry->d_name;
      is_dir = ::stat(path.c_str(), &info) == 0 && S_ISDIR(info.st_mode);
    }
    if (is_dir) names.push_back(entry->d_name);
  }
  ::closedir(dir);
  std::sort(names.begin(), names.end());
  return names;
}

bool read_folder_index(const std::string& path, FolderIndex& index,
                       const std::string& file_prefix) {
  std::vector<uint8_t> bytes;
  try {
    bytes = read_file_bytes(path);  // bounded by the tensor ceiling
  } catch (const Error&) {
    return false;
  }
  if (bytes.size() < sizeof(kMagic) + 8 || std::memcmp(bytes.data(), kMagic, sizeof(kMagic)) != 0)
    return false;
  uint64_t stored = 0;
  std::memcpy(&stored, bytes.data() + bytes.size() - 8, 8);
  if (checksum(bytes.data(), bytes.size() - 8) != stored) return false;
  Reader in(bytes.data() + sizeof(kMagic), bytes.size() - sizeof(kMagic) - 8);
  FolderIndex out;
  out.verify = in.get<uint32_t>();
  out.channels = in.get<uint32_t>();
  out.class_list_file = in.text();
  out.class_list_mtime_ns = in.get<int64_t>();
  out.class_list_size = in.get<int64_t>();
  out.root_directories = in.strings();
  out.directories.resize(in.count(12));
  for (DirectoryStamp& stamp : out.directories) {
    stamp.path = in.text();
    stamp.mtime_ns = in.get<int64_t>();
  }
  out.class_names = in.strings();
  size_t files = in.count(8);
  out.files.resize(files);
  out.labels.resize(files);
  for (size_t i = 0; i < files && in.ok; ++i) {
    out.files[i] = in.text(file_prefix);
    out.labels[i] = in.get<int32_t>();
  }
  out.sizes.resize(in.count(12));
  for (ImageInfo& size : out.sizes) {
    size.height = in.get<int32_t>();
    size.width = in.get<int32_t>();
    size.channels = in.get<int32_t>();
  }
  out.skipped = in.strings();
  out.warnings = in.strings();
  if (!in.ok || (!out.sizes.empty() && out.sizes.size() != files)) return false;
  for (int32_t label : out.labels)
    if (label < 0 || size_t(label) >= out.class_names.size()) return false;
  if (!index_is_sane(out, file_prefix.size())) return false;
  index = std::move(out);
  return true;
}

bool write_folder_index(const std::string& path, const FolderIndex& index) {
  Writer out;
  out.bytes.insert(out.bytes.end(), kMagic, kMagic + sizeof(kMagic));
  out.put(index.verify);
  out.put(index.channels);
  out.put(index.class_list_file);
  out.put(index.class_list_mtime_ns);
  out.put(index.class_list_size);
  out.put_strings(index.root_directories);
  out.put(static_cast<uint64_t>(index.directories.size()));
  for (const DirectoryStamp& stamp : index.directories) {
    out.put(stamp.path);
    out.put(stamp.mtime_ns);
  }
  out.put_strings(index.class_names);
  out.put(static_cast<uint64_t>(index.files.size()));
  for (size_t i = 0; i < index.files.size(); ++i) {
    out.put(index.files[i]);
    out.put(index.labels[i]);
  }
  out.put(static_cast<uint64_t>(index.sizes.size()));
  for (const ImageInfo& size : index.sizes) {
    out.put(static_cast<int32_t>(size.height));
    out.put(static_cast<int32_t>(size.width));
    out.put(static_cast<int32_t>(size.channels));
  }
  out.put_strings(index.skipped);
  out.put_strings(index.warnings);
  out.put(checksum(out.bytes.data(), out.bytes.size()));

  // A cache: a failure to write it is not an error. The temporary name is unique per process and
  // call, so several processes may open the same tree at once.
  try {
    ir::write_file_atomically(
        path, std::string_view(reinterpret_cast<const char*>(out.bytes.data()), out.bytes.size()));
    return true;
  } catch (const Error&) {
    return false;
  }
}

bool folder_index_is_current(const std::string& root, const FolderIndex& index) {
  if (index.directories.empty()) return false;
  try {
    if (subdirectory_names(root) != index.root_directories) return false;
  } catch (const Error&) {
    return false;
  }
  for (const DirectoryStamp& stamp : index.directories) {
    if (stamp.mtime_ns < 0) return false;
    std::string path = stamp.path.empty() ? root : root + "/" + stamp.path;
    if (mtime_ns(path) != stamp.mtime_ns) return false;
  }
  if (!index.class_list_file.empty()) {
    struct stat info;
    if (::stat(index.class_list_file.c_str(), &info) != 0) return false;
    int64_t mtime = int64_t(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
    if (mtime != index.class_list_mtime_ns || info.st_size != index.class_list_size) return false;
  }
  return true;
}

}  // namespace qcv::data
