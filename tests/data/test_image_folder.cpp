// JPEG/PNG decoding and ImageFolder on files written here with libjpeg and libpng.
#include <gtest/gtest.h>

#include <cstdlib>
#include <fstream>

#include "data/data.h"
#include "data/test_files.h"

namespace qcv::data {
namespace {
using testing::expect_error;
using testing::TempDir;

TEST(DecodeImage, PngColourTypesNormalizeToGrayOrRgb) {
  TempDir dir;
  // RGB 2x1: exact pixels back.
  testing::write_png(dir.file("rgb.png"), 2, 1, PNG_COLOR_TYPE_RGB, 8, {1, 2, 3, 250, 251, 252});
  Image rgb = read_image(dir.file("rgb.png"));
  ASSERT_EQ(rgb.channels, 3);
  EXPECT_EQ(rgb.pixels, (std::vector<uint8_t>{1, 2, 3, 250, 251, 252}));

  // RGBA: alpha dropped.
  testing::write_png(dir.file("rgba.png"), 1, 1, PNG_COLOR_TYPE_RGBA, 8, {10, 20, 30, 0});
  EXPECT_EQ(read_image(dir.file("rgba.png")).pixels, (std::vector<uint8_t>{10, 20, 30}));

  // Gray + alpha -> gray; gray -> RGB on request by replication.
  testing::write_png(dir.file("ga.png"), 2, 1, PNG_COLOR_TYPE_GRAY_ALPHA, 8, {7, 255, 9, 0});
  Image gray = read_image(dir.file("ga.png"));
  ASSERT_EQ(gray.channels, 1);
  EXPECT_EQ(gray.pixels, (std::vector<uint8_t>{7, 9}));
  EXPECT_EQ(read_image(dir.file("ga.png"), 3).pixels, (std::vector<uint8_t>{7, 7, 7, 9, 9, 9}));

  // 16-bit: 257 * v is exactly v in 8 bits; 0xffff is 255.
  testing::write_png(dir.file("16.png"), 2, 1, PNG_COLOR_TYPE_RGB, 16,
                     {257 * 200, 257 * 3, 0, 0xffff, 257, 257 * 128});
  EXPECT_EQ(read_image(dir.file("16.png")).pixels, (std::vector<uint8_t>{200, 3, 0, 255, 1, 128}));

  // Palette, 2 bits per index.
  std::vector<png_color> palette = {{0, 0, 0}, {255, 0, 0}, {0, 128, 0}, {1, 2, 3}};
  testing::write_png(dir.file("pal.png"), 4, 1, PNG_COLOR_TYPE_PALETTE, 2, {3, 2, 1, 0}, palette);
  EXPECT_EQ(read_image(dir.file("pal.png")).pixels,
            (std::vector<uint8_t>{1, 2, 3, 0, 128, 0, 255, 0, 0, 0, 0, 0}));

  // 1-bit gray expands to 0 / 255; RGB -> gray uses PIL's luma (red 255 -> 76).
  testing::write_png(dir.file("bit.png"), 3, 1, PNG_COLOR_TYPE_GRAY, 1, {1, 0, 1});
  EXPECT_EQ(read_image(dir.file("bit.png")).pixels, (std::vector<uint8_t>{255, 0, 255}));
  testing::write_png(dir.file("red.png"), 1, 1, PNG_COLOR_TYPE_RGB, 8, {255, 0, 0});
  EXPECT_EQ(read_image(dir.file("red.png"), 1).pixels, (std::vector<uint8_t>{76}));
}

TEST(DecodeImage, JpegColourAndGray) {
  TempDir dir;
  const int w = 16, h = 8;
  std::vector<uint8_t> rgb;
  for (int i = 0; i < w * h; ++i) rgb.insert(rgb.end(), {200, 100, 50});
  testing::write_jpeg(dir.file("a.jpg"), w, h, 3, rgb);
  Image image = read_image(dir.file("a.jpg"));
  ASSERT_EQ(image.height, h);
  ASSERT_EQ(image.width, w);
  ASSERT_EQ(image.channels, 3);
  // Quality 100 on a flat colour: within a couple of levels (YCbCr round trip).
  for (size_t i = 0; i < image.pixels.size(); ++i)
    EXPECT_NEAR(image.pixels[i], rgb[i], 3) << "byte " << i;

  std::vector<uint8_t> gray(w * h, 30);
  testing::write_jpeg(dir.file("g.jpeg"), w, h, 1, gray);
  Image g = read_image(dir.file("g.jpeg"));
  ASSERT_EQ(g.channels, 1);
  for (uint8_t v : g.pixels) EXPECT_NEAR(v, 30, 1);
}

TEST(DecodeImage, CorruptInputThrowsNamingTheFile) {
  TempDir dir;
  testing::write_bytes(dir.file("junk.jpg"), {0xff, 0xd8, 0xff, 0x00, 0x01, 0x02});
  expect_error([&] { read_image(dir.file("junk.jpg")); }, {"junk.jpg", "corrupt JPEG"});
  testing::write_bytes(dir.file("text.png"), {'h', 'e', 'l', 'l', 'o'});
  expect_error([&] { read_image(dir.file("text.png")); }, {"text.png", "not a JPEG or PNG"});

  std::vector<uint8_t> noise(64 * 64 * 3);
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = uint8_t(i * 2654435761u >> 24);
  testing::write_jpeg(dir.file("full.jpg"), 64, 64, 3, noise, 90);
  std::vector<uint8_t> bytes = testing::read_all(dir.file("full.jpg"));
  bytes.resize(bytes.size() / 2);
  testing::write_bytes(dir.file("half.jpg"), bytes);
  check_image_header(dir.file("half.jpg"));  // the header is intact
  expect_error([&] { read_image(dir.file("half.jpg")); }, {"half.jpg", "truncated"});

  std::vector<uint16_t> samples(32 * 32 * 3);
  for (size_t i = 0; i < samples.size(); ++i) samples[i] = uint16_t(i * 7 % 256);
  testing::write_png(dir.file("full.png"), 32, 32, PNG_COLOR_TYPE_RGB, 8, samples);
  bytes = testing::read_all(dir.file("full.png"));
  bytes.resize(bytes.size() - 40);
  testing::write_bytes(dir.file("cut.png"), bytes);
  expect_error([&] { read_image(dir.file("cut.png")); }, {"cut.png", "corrupt PNG"});
}

// root/{ant,cat,dog}: ant has a PNG, cat a JPEG and a PNG, dog a JPEG and a corrupt "image".
void make_folder(const TempDir& dir) {
  testing::write_png(dir.file("root/ant/a.png"), 2, 2, PNG_COLOR_TYPE_GRAY, 8, {0, 1, 2, 3});
  std::vector<uint8_t> rgb(4 * 4 * 3, 90);
  testing::write_jpeg(dir.file("root/cat/b.JPG"), 4, 4, 3, rgb);
  testing::write_png(dir.file("root/cat/a.png"), 1, 1, PNG_COLOR_TYPE_RGB, 8, {5, 6, 7});
  testing::write_jpeg(dir.file("root/dog/x.jpeg"), 4, 4, 3, rgb);
  testing::write_bytes(dir.file("root/dog/broken.jpg"), {'n', 'o', 'p', 'e'});
  testing::write_bytes(dir.file("root/dog/notes.txt"), {'x'});  // not an image extension
}

TEST(ImageFolderDataset, SortedClassesSkipsCorruptWithWarning) {
  TempDir dir;
  make_folder(dir);
  std::vector<std::string> warnings;
  ImageFolderOptions options;
  options.warn = [&](const std::string& w) { warnings.push_back(w); };
  ImageFolderDataset dataset(dir.file("root"), options);
  EXPECT_EQ(dataset.class_names(), (std::vector<std::string>{"ant", "cat", "dog"}));
  ASSERT_EQ(dataset.size(), 4u);
  ASSERT_EQ(warnings.size(), 1u);
  EXPECT_NE(warnings[0].find("broken.jpg"), std::string::npos) << warnings[0];
  ASSERT_EQ(dataset.skipped().size(), 1u);
  // Files sorted within a class: cat/a.png before cat/b.JPG.
  Example ant = dataset.get(0);
  EXPECT_EQ(ant.label, 0);
  EXPECT_EQ(ant.image.channels, 3);  // gray replicated to the default 3 channels
  EXPECT_EQ(ant.image.at(1, 1, 2), 3);
  Example cat = dataset.get(1);
  EXPECT_EQ(cat.label, 1);
  EXPECT_EQ(cat.image.pixels, (std::vector<uint8_t>{5, 6, 7}));
  EXPECT_EQ(dataset.get(2).label, 1);
  EXPECT_EQ(dataset.get(3).label, 2);
  EXPECT_NE(dataset.path(3).find("x.jpeg"), std::string::npos);

  // open_dataset on a directory picks the split subfolder when it exists.
  auto opened = open_dataset(dir.path(), "root", options);
  EXPECT_EQ(opened->size(), 4u);
}

TEST(ImageFolderDataset, StrictModeAndClassList) {
  TempDir dir;
  make_folder(dir);
  ImageFolderOptions strict;
  strict.strict = true;
  expect_error([&] { ImageFolderDataset(dir.file("root"), strict); }, {"broken.jpg"});

  std::string list = dir.file("classes.txt");
  std::ofstream(list) << "dog Good dog\n\n# comment\ncat\n";
  std::vector<std::string> warnings;
  ImageFolderOptions options;
  options.class_list_file = list;
  options.channels = 1;
  options.warn = [&](const std::string& w) { warnings.push_back(w); };
  ImageFolderDataset dataset(dir.file("root"), options);
  EXPECT_EQ(dataset.class_names(), (std::vector<std::string>{"Good dog", "cat"}));
  ASSERT_EQ(dataset.size(), 3u);  // dog/x.jpeg, cat/a.png, cat/b.JPG
  EXPECT_EQ(dataset.get(0).label, 0);
  EXPECT_EQ(dataset.get(1).label, 1);
  EXPECT_EQ(dataset.get(1).image.channels, 1);
  // 'ant' is not listed (warned), broken.jpg skipped (warned).
  ASSERT_EQ(warnings.size(), 2u);
  EXPECT_NE(warnings[0].find("ant"), std::string::npos);

  expect_error([&] { ImageFolderDataset(dir.file("nowhere")); }, {"nowhere", "not a directory"});
}

TEST(DecodeImage, HeaderCheckReadsPastLargeMetadata) {
  TempDir dir;
  std::vector<uint8_t> rgb(8 * 8 * 3, 77);
  // The frame header sits after 130 KB of APP segments, beyond the 64 KiB first read.
  testing::write_jpeg(dir.file("meta.jpg"), 8, 8, 3, rgb, 95, 2);
  ASSERT_GT(testing::read_all(dir.file("meta.jpg")).size(), 130000u);
  check_image_header(dir.file("meta.jpg"));
  EXPECT_EQ(read_image(dir.file("meta.jpg")).width, 8);
  std::vector<uint8_t> bytes = testing::read_all(dir.file("meta.jpg"));
  bytes.resize(100000);  // cut inside the metadata: no frame header at all
  testing::write_bytes(dir.file("cut.jpg"), bytes);
  expect_error([&] { check_image_header(dir.file("cut.jpg")); }, {"cut.jpg", "corrupt JPEG"});
}

TEST(ImageFolderDataset, FullVerificationCatchesTruncatedImages) {
  TempDir dir;
  std::vector<uint8_t> noise(64 * 64 * 3);
  for (size_t i = 0; i < noise.size(); ++i) noise[i] = uint8_t(i * 2654435761u >> 24);
  testing::write_jpeg(dir.file("root/a/good.jpg"), 64, 64, 3, noise, 90);
  std::vector<uint8_t> bytes = testing::read_all(dir.file("root/a/good.jpg"));
  bytes.resize(bytes.size() / 2);
  testing::write_bytes(dir.file("root/a/half.jpg"), bytes);
  ImageFolderOptions quiet;
  quiet.warn = [](const std::string&) {};
  // The header check keeps the truncated file; get() then reports it by name.
  ImageFolderDataset fast(dir.file("root"), quiet);
  ASSERT_EQ(fast.size(), 2u);
  expect_error([&] { fast.get(1); }, {"half.jpg", "truncated"});
  quiet.verify = ImageFolderOptions::Verify::Full;
  ImageFolderDataset verified(dir.file("root"), quiet);
  EXPECT_EQ(verified.size(), 1u);
  EXPECT_EQ(verified.skipped().size(), 1u);
  // Without any check the listing keeps every file, as torchvision does.
  testing::write_bytes(dir.file("root/a/junk.png"), {1, 2, 3});
  quiet.verify = ImageFolderOptions::Verify::None;
  EXPECT_EQ(ImageFolderDataset(dir.file("root"), quiet).size(), 3u);
}

}  // namespace
}  // namespace qcv::data
