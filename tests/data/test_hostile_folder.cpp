// Hostile ImageFolder trees and index files: self-symlinks must not make the walk exponential (each
// directory is walked once per class), and an index file is checked before its paths are used.
#include <gtest/gtest.h>
#include <unistd.h>

#include "data/data.h"
#include "data/folder_index.h"
#include "data/test_files.h"

namespace qcv::data {
namespace {
using testing::expect_error;
using testing::TempDir;

void jpeg(const std::string& path) {
  testing::write_jpeg(path, 8, 8, 3, std::vector<uint8_t>(8 * 8 * 3, 9));
}

TEST(HostileFolder, SelfSymlinksAreWalkedOnce) {
  TempDir dir;
  const std::string root = dir.path() + "/root";
  jpeg(dir.file("root/cat/a.jpg"));
  jpeg(dir.file("root/dog/b.jpg"));
  // Two links back to the class directory: following both at every level gives 2^64 paths.
  ASSERT_EQ(::symlink(".", (root + "/cat/l1").c_str()), 0);
  ASSERT_EQ(::symlink(".", (root + "/cat/l2").c_str()), 0);
  // A link to a directory elsewhere is still followed (as torchvision does).
  jpeg(dir.file("elsewhere/c.jpg"));
  ASSERT_EQ(::symlink("../../elsewhere", (root + "/dog/more").c_str()), 0);
  std::vector<std::string> warnings;
  ImageFolderOptions options;
  options.use_index = false;
  options.warn = [&](const std::string& message) { warnings.push_back(message); };
  ImageFolderDataset folder(root, options);
  ASSERT_EQ(folder.size(), 3u);
  EXPECT_EQ(folder.path(0), root + "/cat/a.jpg");
  EXPECT_EQ(folder.path(1), root + "/dog/b.jpg");
  EXPECT_EQ(folder.path(2), root + "/dog/more/c.jpg");
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("cat/l1: a directory already walked"), std::string::npos);
  EXPECT_NE(warnings[1].find("cat/l2: a directory already walked"), std::string::npos);
}

FolderIndex good_index() {
  FolderIndex index;
  index.root_directories = {"cat", "dog"};
  index.directories = {{"cat", 1}, {"dog", 2}, {"dog/sub", 3}};
  index.class_names = {"cat", "dog"};
  index.files = {"cat/a.jpg", "dog/sub/b.png"};
  index.labels = {0, 1};
  index.verify = 1;
  index.channels = 3;
  index.sizes = {{8, 8, 3}, {4, 5, 1}};
  return index;
}

TEST(HostileFolder, IndexEntriesAreCheckedBeforeUse) {
  TempDir dir;
  const std::string path = dir.file(".qcv_index");
  FolderIndex read;
  ASSERT_TRUE(write_folder_index(path, good_index()));
  ASSERT_TRUE(read_folder_index(path, read, "/r/"));
  EXPECT_EQ(read.files[1], "/r/dog/sub/b.png");

  // Each change below keeps the checksum valid (the writer computes it) but is not sane.
  std::vector<std::pair<std::string, std::function<void(FolderIndex&)>>> bad = {
      {"file escapes the root", [](FolderIndex& i) { i.files[0] = "../../etc/passwd"; }},
      {"file through ..", [](FolderIndex& i) { i.files[0] = "cat/../../x.jpg"; }},
      {"absolute file", [](FolderIndex& i) { i.files[0] = "/etc/passwd"; }},
      {"file outside the class directories", [](FolderIndex& i) { i.files[0] = "bird/a.jpg"; }},
      {"empty component", [](FolderIndex& i) { i.files[0] = "cat//a.jpg"; }},
      {"stamp escapes the root", [](FolderIndex& i) { i.directories[2].path = "dog/../.."; }},
      {"root directory with a slash", [](FolderIndex& i) { i.root_directories[1] = "dog/x"; }},
      {"skipped file escapes", [](FolderIndex& i) { i.skipped = {"../y.jpg"}; }},
      {"negative height", [](FolderIndex& i) { i.sizes[0].height = -8; }},
      {"two channels", [](FolderIndex& i) { i.sizes[1].channels = 2; }},
      {"unknown verify level", [](FolderIndex& i) { i.verify = 7; }},
      {"no classes", [](FolderIndex& i) { i.class_names.clear(), i.labels = {}, i.files = {}, i.sizes = {}; }},
      {"label out of range", [](FolderIndex& i) { i.labels[1] = 2; }},
  };
  for (auto& [what, change] : bad) {
    FolderIndex index = good_index();
    change(index);
    ASSERT_TRUE(write_folder_index(path, index));
    EXPECT_FALSE(read_folder_index(path, read, "/r/")) << what;
  }
}

TEST(HostileFolder, ATamperedIndexIsRebuiltFromTheTree) {
  TempDir dir;
  const std::string root = dir.path() + "/root";
  jpeg(dir.file("root/cat/a.jpg"));
  jpeg(dir.file("secret.jpg"));
  ImageFolderOptions options;
  options.index_path = dir.file("index");
  sleep(3);  // past the index's 2 s racy window, so the stamps are trusted
  ImageFolderDataset first(root, options);
  ASSERT_FALSE(first.loaded_from_index());
  ASSERT_TRUE(ImageFolderDataset(root, options).loaded_from_index());  // untouched: trusted
  FolderIndex index;
  ASSERT_TRUE(read_folder_index(options.index_path, index));
  index.files[0] = "cat/../../secret.jpg";
  ASSERT_TRUE(write_folder_index(options.index_path, index));
  ImageFolderDataset second(root, options);
  EXPECT_FALSE(second.loaded_from_index());
  ASSERT_EQ(second.size(), 1u);
  EXPECT_EQ(second.path(0), root + "/cat/a.jpg");
}

}  // namespace
}  // namespace qcv::data
