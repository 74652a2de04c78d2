// ImageFolder: root/<class>/**/*.{jpg,jpeg,png}, labels from sorted class directory names (or an
// explicit class list), like torchvision.datasets.ImageFolder.
#include <dirent.h>
#include <fmt/format.h>
#include <sys/stat.h>

#include <algorithm>
#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <filesystem>
#include <fstream>
#include <set>
#include <sstream>

#include "data/data.h"
#include "data/file_io.h"
#include "data/folder_index.h"

namespace qcv::data {
namespace fs = std::filesystem;
namespace {

bool is_image_name(const char* name) {
  const char* dot = std::strrchr(name, '.');
  if (!dot) return false;
  std::string ext(dot);
  std::transform(ext.begin(), ext.end(), ext.begin(),
                 [](unsigned char c) { return std::tolower(c); });
  return ext == ".jpg" || ext == ".jpeg" || ext == ".png";
}

struct ClassEntry {
  std::string directory;
  std::string display_name;
};

std::vector<ClassEntry> read_class_list(const std::string& path) {
  std::ifstream in(path);
  if (!in) fail("{}: cannot open the class list", path);
  std::vector<ClassEntry> classes;
  std::set<std::string> seen;
  std::string line;
  int line_number = 0;
  while (std::getline(in, line)) {
    ++line_number;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::istringstream fields(line);
    ClassEntry entry;
    if (!(fields >> entry.directory) || entry.directory[0] == '#') continue;
    std::getline(fields >> std::ws, entry.display_name);
    if (entry.display_name.empty()) entry.display_name = entry.directory;
    if (!seen.insert(entry.directory).second)
      fail("{}:{}: class '{}' listed twice", path, line_number, entry.directory);
    classes.push_back(entry);
    if (int64_t(classes.size()) > kMaxClasses)
      fail("{}: more than {} classes listed", path, kMaxClasses);
  }
  if (classes.empty()) fail("{}: the class list is empty", path);
  return classes;
}

// The image files under one class directory, relative to the root, and a stamp of every
// directory walked. readdir's d_type avoids a stat per file; symlinks are followed (as
// torchvision does), but each directory is walked once per class: a link back to a directory
// already walked (a -> ., two self-links make 2^depth paths) or to the root is skipped and reported.
class TreeWalk {
 public:
  TreeWalk(std::string root, int64_t racy_after_ns)
      : root_(std::move(root)), racy_(racy_after_ns) {}

  void walk_class(const std::string& directory, std::vector<std::string>& files) {
    visited_.clear();
    // The root counts as walked: a link back to it would file every other class under this one.
    struct stat info;
    if (::stat(root_.c_str(), &info) == 0) visited_.insert({info.st_dev, info.st_ino});
    walk(directory, 0, files);
  }

  std::vector<DirectoryStamp> stamps;
  std::vector<std::string> repeated;  // directories reached a second time, not walked again

 private:
  void walk(const std::string& relative, int depth, std::vector<std::string>& files) {
    if (depth > 64) fail("{}/{}: directories nested too deep (a symlink loop?)", root_, relative);
    const std::string path = root_ + "/" + relative;
    struct stat info;
    if (::stat(path.c_str(), &info) != 0) fail("{}: cannot stat: {}", path, std::strerror(errno));
    if (!visited_.insert({info.st_dev, info.st_ino}).second) {
      repeated.push_back(relative);
      return;
    }
    int64_t mtime = int64_t(info.st_mtim.tv_sec) * 1000000000 + info.st_mtim.tv_nsec;
    // A change within the same mtime tick as this walk would go unnoticed: record it as unknown.
    stamps.push_back({relative, mtime >= racy_ ? -1 : mtime});
    DIR* dir = ::opendir(path.c_str());
    if (!dir) fail("{}: cannot list: {}", path, std::strerror(errno));
    std::vector<std::string> subdirectories;
    while (dirent* entry = ::readdir(dir)) {
      const char* name = entry->d_name;
      if (name[0] == '.' && (name[1] == 0 || (name[1] == '.' && name[2] == 0))) continue;
      unsigned char type = entry->d_type;
      if (type == DT_UNKNOWN || type == DT_LNK) {
        struct stat target_info;
        std::string target = path + "/" + name;
        type = ::stat(target.c_str(), &target_info) != 0 ? DT_UNKNOWN
               : S_ISDIR(target_info.st_mode)            ? DT_DIR
               : S_ISREG(target_info.st_mode)            ? DT_REG
                                                         : DT_UNKNOWN;
      }
      if (type == DT_DIR)
        subdirectories.push_back(relative + "/" + name);
      else if (type == DT_REG && is_image_name(name))
        files.push_back(relative + "/" + name);
    }
    ::closedir(dir);
    std::sort(subdirectories.begin(), subdirectories.end());
    for (const std::string& sub : subdirectories) walk(sub, depth + 1, files);
  }

  std::string root_;
  int64_t racy_;
  std::set<std::pair<dev_t, ino_t>> visited_;
};

int64_t now_ns() {
  timespec now;
  ::clock_gettime(CLOCK_REALTIME, &now);
  return int64_t(now.tv_sec) * 1000000000 + now.tv_nsec;
}

// Where the index of `root` may live, in order of preference.
std::vector<std::string> index_candidates(const std::string& root, const ImageFolderOptions& o) {
  if (!o.index_path.empty()) return {o.index_path};
  std::vector<std::string> paths = {root + "/.qcv_index"};
  std::error_code error;
  std::string absolute = fs::absolute(root, error).lexically_normal().string();
  uint64_t hash = 0xcbf29ce484222325ull;
  for (unsigned char c : absolute) hash = (hash ^ c) * 0x100000001b3ull;
  const char* xdg = std::getenv("XDG_CACHE_HOME");
  const char* home = std::getenv("HOME");
  std::string cache = xdg && *xdg     ? std::string(xdg)
                      : home && *home ? std::string(home) + "/.cache"
                                      : "";
  if (!cache.empty()) paths.push_back(fmt::format("{}/qcv/index-{:016x}", cache, hash));
  return paths;
}

}  // namespace

ImageFolderDataset::ImageFolderDataset(const std::string& root, ImageFolderOptions options)
    : root_(root), options_(std::move(options)) {
  if (options_.channels != 0 && options_.channels != 1 && options_.channels != 3)
    fail("{}: ImageFolder channels must be 0, 1 or 3, got {}", root, options_.channels);
  if (!options_.warn)
    options_.warn = [](const std::string& message) {
      std::fprintf(stderr, "qcv: warning: %s\n", message.c_str());
    };
  std::error_code error;
  if (!fs::is_directory(root, error)) fail("{}: not a directory (ImageFolder root)", root);

  try {
    scan(root);
  } catch (const fs::filesystem_error& e) {
    fail("{}: cannot list the ImageFolder: {}", root, e.what());
  }
}

namespace {

// Walks the tree and verifies its images as asked.
FolderIndex build_index(const std::string& root, const ImageFolderOptions& options) {
  FolderIndex index;
  index.verify = static_cast<uint32_t>(options.verify);
  index.channels = static_cast<uint32_t>(options.channels);
  index.class_list_file = options.class_list_file;
  // Directories modified in the last 2 s may change again within the same mtime tick.
  TreeWalk walk(root, now_ns() - 2000000000);
  index.root_directories = subdirectory_names(root);
  std::vector<ClassEntry> classes;
  if (options.class_list_file.empty()) {
    for (const std::string& name : index.root_directories) classes.push_back({name, name});
  } else {
    struct stat info;
    if (::stat(options.class_list_file.c_str(), &info) == 0) {
      index.class_list_mtime_ns = mtime_ns(options.class_list_file);
      index.class_list_size = info.st_size;
    }
    classes = read_class_list(options.class_list_file);
    for (const std::string& name : index.root_directories) {
      bool listed = std::any_of(classes.begin(), classes.end(),
                                [&](const ClassEntry& c) { return c.directory == name; });
      if (!listed)
        index.warnings.push_back(fmt::format("{}/{}: directory not in class list {}, ignored", root,
                                             name, options.class_list_file));
    }
  }
  if (classes.empty()) fail("{}: no class directories (expected root/<class>/<image>)", root);
  for (const std::string& warning : index.warnings) options.warn(warning);

  const bool verified = options.verify != ImageFolderOptions::Verify::None;
  for (size_t label = 0; label < classes.size(); ++label) {
    index.class_names.push_back(classes[label].display_name);
    const std::string& directory = classes[label].directory;
    // A listed class may have no directory here; other directories are exactly those listed.
    if (!std::binary_search(index.root_directories.begin(), index.root_directories.end(),
                            directory))
      continue;
    std::vector<std::string> files;
    walk.walk_class(directory, files);
    for (const std::string& repeated : walk.repeated)
      index.warnings.push_back(fmt::format(
          "{}/{}: a directory already walked for this class (a symlink loop or a second link), "
          "skipped",
          root, repeated));
    for (size_t w = index.warnings.size() - walk.repeated.size(); w < index.warnings.size(); ++w)
      options.warn(index.warnings[w]);
    walk.repeated.clear();
    std::sort(files.begin(), files.end());
    for (std::string& file : files) {
      const std::string path = root + "/" + file;
      ImageInfo info;
      try {
        if (options.verify == ImageFolderOptions::Verify::Full) {
          Image image = read_image(path, options.channels);
          info = {image.height, image.width, image.channels};
        } else if (verified) {
          info = read_image_header(path);
        }
      } catch (const Error& e) {
        if (options.strict) throw;
        options.warn(fmt::format("skipping unreadable image: {}", e.what()));
        index.skipped.push_back(file);
        continue;
      }
      index.files.push_back(std::move(file));
      index.labels.push_back(static_cast<int32_t>(label));
      if (verified) index.sizes.push_back(info);
    }
  }
  index.directories = std::move(walk.stamps);
  return index;
}

// Whether a stored index answers these options (its tree is checked separately).
bool index_fits(const FolderIndex& index, const ImageFolderOptions& options) {
  if (index.class_list_file != options.class_list_file) return false;
  if (index.verify < static_cast<uint32_t>(options.verify)) return false;
  if (options.verify == ImageFolderOptions::Verify::Full &&
      index.channels != static_cast<uint32_t>(options.channels))
    return false;
  // Strict mode must fail on the bad files: walk again to report them.
  return !(options.strict && !index.skipped.empty());
}

}  // namespace

void ImageFolderDataset::scan(const std::string& given_root) {
  // Paths are built as root + "/" + relative: drop trailing slashes once.
  std::string root = given_root;
  while (root.size() > 1 && root.back() == '/') root.pop_back();
  std::vector<std::string> candidates;
  if (options_.use_index) candidates = index_candidates(root, options_);
  FolderIndex index;
  bool found = false;
  for (const std::string& candidate : candidates) {
    if (read_folder_index(candidate, index, root + "/") && index_fits(index, options_) &&
        folder_index_is_current(root, index)) {
      found = true;
      index_file_ = candidate;
      break;
    }
  }
  if (found) {
    for (const std::string& warning : index.warnings) options_.warn(warning);
    if (!index.skipped.empty())
      options_.warn(fmt::format("{}: {} unreadable images skipped (listed in the index {})", root,
                                index.skipped.size(), index_file_));
  } else {
    index = build_index(root, options_);
    for (const std::string& candidate : candidates) {
      std::error_code error;
      fs::create_directories(fs::path(candidate).parent_path(), error);
      if (write_folder_index(candidate, index)) {
        index_file_ = candidate;
        break;
      }
    }
  }
  loaded_from_index_ = found;
  if (index.files.empty())
    fail("{}: no readable .jpg/.jpeg/.png images in its class directories", root);
  class_names_ = std::move(index.class_names);
  if (found) {
    files_ = std::move(index.files);  // read with the root prefix already
  } else {
    files_.reserve(index.files.size());
    for (const std::string& file : index.files) files_.push_back(root + "/" + file);
  }
  labels_.assign(index.labels.begin(), index.labels.end());
  sizes_ = std::move(index.sizes);
  for (const std::string& file : index.skipped) skipped_.push_back(root + "/" + file);
}

Example ImageFolderDataset::get(size_t index) const {
  if (index >= files_.size())
    fail("{}: index {} out of range (size {})", root_, index, files_.size());
  Example example;
  example.image = read_image(files_[index], options_.channels);
  example.label = labels_[index];
  return example;
}

Example ImageFolderDataset::get_scaled(size_t index, const DecodeScale& scale) const {
  if (index >= files_.size())
    fail("{}: index {} out of range (size {})", root_, index, files_.size());
  std::vector<uint8_t> bytes = read_file_bytes(files_[index]);
  Example example;
  ImageInfo full;
  example.image = decode_image_scaled(bytes.data(), bytes.size(), files_[index], options_.channels,
                                      scale, &full);
  if (full.height != example.image.height || full.width != example.image.width) {
    example.full_height = full.height;
    example.full_width = full.width;
  }
  example.label = labels_[index];
  return example;
}

std::string ImageFolderDataset::description() const {
  return fmt::format("{} ({} images, {} classes{})", root_, files_.size(), class_names_.size(),
                     skipped_.empty() ? "" : fmt::format(", {} skipped", skipped_.size()));
}

}  // namespace qcv::data
