// Internal to qcv_data: the ImageFolder file index cache (format and validity rule; see
// ImageFolderDataset in data.h for the user-facing rule).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "data/data.h"

namespace qcv::data {

// A directory of the tree and its modification time (ns since the epoch; -1: unknown, which
// never matches, used for directories changed too close to the walk).
struct DirectoryStamp {
  std::string path;  // relative to the root; "" is the root itself
  int64_t mtime_ns = -1;
};

struct FolderIndex {
  // What the index was built from and how. The root itself is not stamped (writing the index
  // into it changes its mtime): its subdirectory names are compared instead.
  std::vector<std::string> root_directories;  // sorted
  std::vector<DirectoryStamp> directories;    // class directories and everything below them
  std::string class_list_file;
  int64_t class_list_mtime_ns = 0;
  int64_t class_list_size = 0;
  uint32_t verify = 0;    // ImageFolderOptions::Verify as an integer (None < Header < Full)
  uint32_t channels = 0;  // the decode channels used by a Full verification
  // The content.
  std::vector<std::string> class_names;  // display names, label order
  std::vector<std::string> files;        // relative to the root (see read_folder_index)
  std::vector<int32_t> labels;
  std::vector<ImageInfo> sizes;       // per file when verified, else empty
  std::vector<std::string> skipped;   // relative to the root
  std::vector<std::string> warnings;  // emitted when the tree was walked, repeated on reuse
};

// The modification time of a path in ns, or -1 if it cannot be stat'ed.
int64_t mtime_ns(const std::string& path);

// Reads an index; returns false (no throw) if it is missing, from another version, corrupt or
// not sane (a path outside the root's class directories, a label or size out of range).
// The file paths come back as file_prefix + relative path (e.g. "<root>/").
bool read_folder_index(const std::string& path, FolderIndex& index,
                       const std::string& file_prefix = "");
// Writes atomically (temporary file in the same directory, then rename); returns false (no
// throw) if the directory is not writable.
bool write_folder_index(const std::string& path, const FolderIndex& index);
// True if `index` describes `root` as it is now: the same subdirectories of the root, every
// directory stamp still matches, the same class list file.
bool folder_index_is_current(const std::string& root, const FolderIndex& index);

// The names of the subdirectories of `directory` (following symlinks), sorted; readdir's d_type,
// stat only where the filesystem does not report the type. Throws qcv::Error if unreadable.
std::vector<std::string> subdirectory_names(const std::string& directory);

}  // namespace qcv::data
