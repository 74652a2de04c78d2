// qcv shards' output folder: written fresh and swapped in, so no shard of an earlier run is read
// as data; an interrupted run leaves the old folder whole; a folder holding other files is refused.
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <set>

#include "data/data.h"
#include "data/test_files.h"

namespace qcv::data {
namespace {
namespace fs = std::filesystem;
using testing::TempDir;

// `per_class` 8x8 JPEGs in each class folder.
std::string make_folder(const TempDir& dir, const std::string& name,
                        const std::vector<std::string>& classes, int per_class) {
  for (const std::string& c : classes)
    for (int i = 0; i < per_class; ++i)
      testing::write_jpeg(dir.file(name + "/" + c + "/" + std::to_string(i) + ".jpg"), 8, 8, 3,
                          std::vector<uint8_t>(8 * 8 * 3, uint8_t(40 * i)), 90);
  return dir.path() + "/" + name;
}

ImageFolderOptions no_index() {
  ImageFolderOptions options;
  options.use_index = false;
  return options;
}

std::set<std::string> names_in(const std::string& folder) {
  std::set<std::string> out;
  for (const auto& e : fs::directory_iterator(folder)) out.insert(e.path().filename().string());
  return out;
}

TEST(ShardOutput, RewritingAFolderLeavesNoOldShards) {
  TempDir dir;
  ShardWriterOptions one_per_shard;
  one_per_shard.samples_per_shard = 1;
  ImageFolderDataset big(make_folder(dir, "big", {"a", "b", "c"}, 2), no_index());
  ASSERT_EQ(write_shards(big, dir.file("out"), one_per_shard).size(), 6u);
  ImageFolderDataset small(make_folder(dir, "small", {"x"}, 2), no_index());
  ASSERT_EQ(write_shards(small, dir.file("out"), one_per_shard).size(), 2u);

  EXPECT_EQ(names_in(dir.file("out")),
            (std::set<std::string>{"classes.txt", "shard-000000.tar", "shard-000001.tar"}));
  ShardDataset data(list_shards(dir.file("out")));
  EXPECT_EQ(data.size(), 2u) << "shards of the first run were read as data";
  EXPECT_EQ(data.class_names(), std::vector<std::string>{"x"});
  EXPECT_EQ(names_in(dir.path()), (std::set<std::string>{"big", "small", "out"}))
      << "a temporary was left beside the output";
}

TEST(ShardOutput, AFailedRunLeavesTheOldFolderWhole) {
  TempDir dir;
  ImageFolderDataset good(make_folder(dir, "good", {"a"}, 3), no_index());
  write_shards(good, dir.file("out"), {});
  const std::set<std::string> before = names_in(dir.file("out"));
  const std::string root = make_folder(dir, "bad", {"a"}, 3);
  ImageFolderDataset bad(root, no_index());
  fs::remove(root + "/a/2.jpg");  // indexed, then gone: the run fails after writing two shards
  ShardWriterOptions one_per_shard;
  one_per_shard.samples_per_shard = 1;
  testing::expect_error([&] { write_shards(bad, dir.file("out"), one_per_shard); }, {"2.jpg"});
  EXPECT_EQ(names_in(dir.file("out")), before);
  EXPECT_EQ(ShardDataset(list_shards(dir.file("out"))).size(), 3u);
  EXPECT_EQ(names_in(dir.path()), (std::set<std::string>{"good", "bad", "out"}));
}

TEST(ShardOutput, AFolderHoldingOtherFilesIsRefusedUntouched) {
  TempDir dir;
  ImageFolderDataset folder(make_folder(dir, "root", {"a"}, 1), no_index());
  fs::create_directories(dir.file("home"));
  std::ofstream(dir.file("home/thesis.tex")) << "precious";
  testing::expect_error([&] { write_shards(folder, dir.file("home"), {}); },
                        {dir.file("home"), "thesis.tex"});
  EXPECT_EQ(names_in(dir.file("home")), std::set<std::string>{"thesis.tex"});
  std::ofstream(dir.file("plain")) << "a file";
  testing::expect_error([&] { write_shards(folder, dir.file("plain"), {}); }, {"not a folder"});
}

TEST(ShardOutput, AClassNameThatCannotBeALineOfClassesTxtIsRefused) {
  TempDir dir;
  const std::string root = make_folder(dir, "root", {"a", "b\nc"}, 1);
  ImageFolderDataset folder(root, no_index());
  testing::expect_error([&] { write_shards(folder, dir.file("out"), {}); }, {"b\\x0ac"});
  EXPECT_FALSE(fs::exists(dir.file("out")));
}

}  // namespace
}  // namespace qcv::data
