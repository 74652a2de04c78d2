// Tar shards: qcv's writer and reader round trip, the system `tar` reads qcv's shards and qcv
// reads shards made by `tar` (ustar, GNU and pax formats), damaged shards fail with clear errors.
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "data/data.h"
#include "data/test_files.h"

namespace qcv::data {
namespace {
namespace fs = std::filesystem;
using testing::TempDir;

std::string run(const std::string& command) {
  std::string output;
  FILE* pipe = ::popen(command.c_str(), "r");
  if (!pipe) return output;
  char buffer[4096];
  size_t got;
  while ((got = std::fread(buffer, 1, sizeof(buffer), pipe)) > 0) output.append(buffer, got);
  int status = ::pclose(pipe);
  if (status != 0) ADD_FAILURE() << command << " exited with " << status << ": " << output;
  return output;
}

std::vector<uint8_t> rgb_noise(int width, int height, unsigned seed) {
  std::mt19937 rng(seed);
  std::vector<uint8_t> pixels(size_t(width) * height * 3);
  for (uint8_t& p : pixels) p = uint8_t(rng());
  return pixels;
}

// 5 images in 2 classes, JPEG and PNG, one with dots in its name.
std::string make_folder(const TempDir& dir) {
  testing::write_jpeg(dir.file("root/cat/a.jpg"), 16, 12, 3, rgb_noise(16, 12, 1), 90);
  testing::write_jpeg(dir.file("root/cat/b.v2.jpeg"), 9, 20, 3, rgb_noise(9, 20, 2), 90);
  std::vector<uint8_t> png = rgb_noise(5, 4, 3);
  testing::write_png(dir.file("root/cat/c.png"), 5, 4, PNG_COLOR_TYPE_RGB, 8,
                     std::vector<uint16_t>(png.begin(), png.end()));
  testing::write_jpeg(dir.file("root/dog/d.JPG"), 8, 8, 3, rgb_noise(8, 8, 4), 90);
  testing::write_jpeg(dir.file("root/dog/e.jpg"), 33, 17, 3, rgb_noise(33, 17, 5), 90);
  return dir.path() + "/root";
}

ImageFolderOptions no_index() {
  ImageFolderOptions options;
  options.use_index = false;
  return options;
}

TEST(Shards, WriteReadRoundTrip) {
  TempDir dir;
  ImageFolderDataset folder(make_folder(dir), no_index());
  ShardWriterOptions options;
  options.samples_per_shard = 2;
  std::vector<std::string> shards = write_shards(folder, dir.path() + "/out", options);
  ASSERT_EQ(shards.size(), 3u);
  EXPECT_EQ(fs::path(shards[2]).filename(), "shard-000002.tar");
  EXPECT_FALSE(fs::exists(shards[0] + ".tmp"));

  ShardDataset data(list_shards(dir.path() + "/out"));
  ASSERT_EQ(data.size(), folder.size());
  EXPECT_EQ(data.class_names(), (std::vector<std::string>{"cat", "dog"}));
  for (size_t i = 0; i < folder.size(); ++i) {
    Example expected = folder.get(i);
    Example got = data.get(i);
    EXPECT_EQ(got.label, expected.label);
    EXPECT_EQ(got.image.height, expected.image.height);
    EXPECT_EQ(got.image.pixels, expected.image.pixels) << data.key(i);
    EXPECT_EQ(data.read_image_bytes(i), testing::read_all(folder.path(i)));
  }
  EXPECT_EQ(data.key(1), "000000001_b_v2");
  // The same through open_dataset, with a glob and with a directory.
  EXPECT_EQ(open_dataset("shards:" + dir.path() + "/out/shard-00000[01].tar", "train")->size(), 4u);
  EXPECT_EQ(open_dataset("shards:" + dir.path() + "/out", "train")->size(), 5u);
  testing::expect_error([&] { list_shards(dir.path() + "/nothing-*.tar"); }, {"nothing-*.tar"});
}

TEST(Shards, SystemTarReadsQcvShards) {
  TempDir dir;
  ImageFolderDataset folder(make_folder(dir), no_index());
  ShardWriterOptions options;
  options.samples_per_shard = 10;
  std::vector<std::string> shards = write_shards(folder, dir.path() + "/out", options);
  ASSERT_EQ(shards.size(), 1u);
  EXPECT_EQ(run("tar -tf " + shards[0]),
            "000000000_a.jpg\n000000000_a.cls\n000000001_b_v2.jpg\n000000001_b_v2.cls\n"
            "000000002_c.png\n000000002_c.cls\n000000003_d.jpg\n000000003_d.cls\n"
            "000000004_e.jpg\n000000004_e.cls\n");
  // Extracted members are the original bytes and the labels as text.
  fs::create_directories(dir.path() + "/x");
  run("tar -xf " + shards[0] + " -C " + dir.path() + "/x");
  EXPECT_EQ(testing::read_all(dir.path() + "/x/000000004_e.jpg"),
            testing::read_all(folder.path(4)));
  std::vector<uint8_t> label = testing::read_all(dir.path() + "/x/000000004_e.cls");
  EXPECT_EQ(std::string(label.begin(), label.end()), "1");
}

TEST(Shards, QcvReadsTarMadeByTar) {
  TempDir dir;
  ImageFolderDataset folder(make_folder(dir), no_index());
  // Long directory names exercise the ustar prefix field, GNU long names and pax headers.
  const std::string deep = "a-directory-name-that-is-quite-long-" + std::string(60, 'x') +
                           "/and-another-level-" + std::string(40, 'y');
  const std::string members = dir.path() + "/members";
  for (size_t i = 0; i < folder.size(); ++i) {
    std::string key = deep + "/sample" + std::to_string(i);
    std::string ext = fs::path(folder.path(i)).extension() == ".png" ? ".png" : ".jpg";
    fs::create_directories(members + "/" + deep);
    fs::copy_file(folder.path(i), members + "/" + key + ext);
    std::ofstream(members + "/" + key + ".cls") << folder.label(i) << "\n";
  }
  ASSERT_GT(deep.size() + 20, 100u);
  for (const char* format : {"ustar", "gnu", "pax"}) {
    SCOPED_TRACE(format);
    std::string shard = dir.path() + "/" + format + ".tar";
    run(std::string("tar --format=") + format + " -cf " + shard + " -C " + members + " .");
    ShardDataset data({shard});
    ASSERT_EQ(data.size(), folder.size());
    for (size_t i = 0; i < data.size(); ++i) {
      // Keys are "./<deep>/sampleN"; `tar` orders members as the directory lists them.
      std::string key = data.key(i);
      size_t n = std::stoul(key.substr(key.rfind("sample") + 6));
      EXPECT_EQ(key, "./" + deep + "/sample" + std::to_string(n));
      EXPECT_EQ(data.label(i), folder.label(n));
      EXPECT_EQ(data.get(i).image.pixels, folder.get(n).image.pixels);
    }
  }
}

TEST(Shards, DamagedShardsFailNamingShardAndMember) {
  TempDir dir;
  ImageFolderDataset folder(make_folder(dir), no_index());
  std::vector<std::string> shards = write_shards(folder, dir.path() + "/out", {});
  std::vector<uint8_t> good = testing::read_all(shards[0]);
  const std::string bad = dir.path() + "/bad.tar";
  auto open_bad = [&](const std::vector<uint8_t>& bytes) {
    testing::write_bytes(bad, bytes);
    ShardDataset data({bad});
  };
  // Header offsets, read the simple way (octal size at byte 124, data padded to 512).
  std::vector<size_t> headers;
  for (size_t at = 0; good[at] != 0;
       at += 512 + (std::strtoul((const char*)&good[at + 124], nullptr, 8) + 511) / 512 * 512)
    headers.push_back(at);
  ASSERT_EQ(headers.size(), 10u);
  // Cut inside the data of the third member.
  std::vector<uint8_t> cut(good.begin(), good.begin() + headers[2] + 512 + 100);
  testing::expect_error([&] { open_bad(cut); }, {"bad.tar", "truncated", "000000001_b_v2.jpg"});
  // Cut exactly after a member: no end-of-archive block.
  std::vector<uint8_t> no_end(good.begin(), good.end() - 1024);
  testing::expect_error([&] { open_bad(no_end); },
                        {"bad.tar", "end-of-archive", "000000004_e.cls"});
  // Cut inside a header.
  std::vector<uint8_t> half_header(good.begin(), good.begin() + headers[2] + 200);
  testing::expect_error([&] { open_bad(half_header); },
                        {"bad.tar", "truncated", "000000000_a.cls"});
  // A flipped byte in a header.
  std::vector<uint8_t> flipped = good;
  flipped[5] ^= 1;
  testing::expect_error([&] { open_bad(flipped); }, {"bad.tar", "checksum", "offset 0"});
  testing::expect_error([&] { ShardDataset({"/nonexistent/shard.tar"}); },
                        {"/nonexistent/shard.tar"});
}

}  // namespace
}  // namespace qcv::data
