// ImageFolder: root/<class>/**/*.{jpg,jpeg,png}, labels from sorted class directory names (or an
// explicit class list), like torchvision.datasets.ImageFolder.
#include <fmt/format.h>

#include <algorithm>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <map>
#include <sstream>

#include "data/data.h"

namespace qcv::data {
namespace fs = std::filesystem;
namespace {

bool is_image_file(const fs::path& path) {
  std::string ext = path.extension().string();
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
    for (const ClassEntry& seen : classes)
      if (seen.directory == entry.directory)
        fail("{}:{}: class '{}' listed twice", path, line_number, entry.directory);
    classes.push_back(entry);
  }
  if (classes.empty()) fail("{}: the class list is empty", path);
  return classes;
}

std::vector<std::string> class_directories(const fs::path& root) {
  std::vector<std::string> names;
  for (const fs::directory_entry& entry : fs::directory_iterator(root))
    if (entry.is_directory()) names.push_back(entry.path().filename().string());
  std::sort(names.begin(), names.end());
  return names;
}

std::vector<std::string> image_files(const fs::path& directory) {
  std::vector<std::string> files;
  auto options = fs::directory_options::follow_directory_symlink;
  for (const fs::directory_entry& entry : fs::recursive_directory_iterator(directory, options))
    if (entry.is_regular_file() && is_image_file(entry.path())) files.push_back(entry.path());
  std::sort(files.begin(), files.end());
  return files;
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

void ImageFolderDataset::scan(const std::string& root) {
  std::error_code error;
  std::vector<std::string> directories = class_directories(root);
  std::vector<ClassEntry> classes;
  if (options_.class_list_file.empty()) {
    for (const std::string& name : directories) classes.push_back({name, name});
  } else {
    classes = read_class_list(options_.class_list_file);
    for (const std::string& name : directories) {
      bool listed = std::any_of(classes.begin(), classes.end(),
                                [&](const ClassEntry& c) { return c.directory == name; });
      if (!listed)
        options_.warn(fmt::format("{}/{}: directory not in class list {}, ignored", root, name,
                                  options_.class_list_file));
    }
  }
  if (classes.empty()) fail("{}: no class directories (expected root/<class>/<image>)", root);

  for (size_t label = 0; label < classes.size(); ++label) {
    class_names_.push_back(classes[label].display_name);
    fs::path directory = fs::path(root) / classes[label].directory;
    if (!fs::is_directory(directory, error)) continue;  // a listed class may have no images here
    for (const std::string& file : image_files(directory)) {
      try {
        if (options_.verify == ImageFolderOptions::Verify::Full)
          read_image(file, options_.channels);
        else if (options_.verify == ImageFolderOptions::Verify::Header)
          check_image_header(file);
      } catch (const Error& e) {
        if (options_.strict) throw;
        options_.warn(fmt::format("skipping unreadable image: {}", e.what()));
        skipped_.push_back(file);
        continue;
      }
      files_.push_back(file);
      labels_.push_back(static_cast<int64_t>(label));
    }
  }
  if (files_.empty()) fail("{}: no readable .jpg/.jpeg/.png images in its class directories", root);
}

Example ImageFolderDataset::get(size_t index) const {
  if (index >= files_.size())
    fail("{}: index {} out of range (size {})", root_, index, files_.size());
  Example example;
  example.image = read_image(files_[index], options_.channels);
  example.label = labels_[index];
  return example;
}

std::string ImageFolderDataset::description() const {
  return fmt::format("{} ({} images, {} classes{})", root_, files_.size(), class_names_.size(),
                     skipped_.empty() ? "" : fmt::format(", {} skipped", skipped_.size()));
}

}  // namespace qcv::data
