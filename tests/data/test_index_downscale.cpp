// ImageFolder index cache (built, reused, invalidated) and JPEG DCT-domain downscale.
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <filesystem>

#include "data/data.h"
#include "data/test_files.h"

namespace qcv::data {
namespace {
namespace fs = std::filesystem;
using testing::TempDir;

// Moves every directory's mtime an hour back, as for a tree that has been sitting on disk (the
// index does not trust directories changed in the last 2 s).
void age_directories(const std::string& root) {
  auto old = fs::file_time_type::clock::now() - std::chrono::hours(1);
  fs::last_write_time(root, old);
  for (const auto& entry : fs::recursive_directory_iterator(root))
    if (entry.is_directory()) fs::last_write_time(entry.path(), old);
}

void gray_png(const std::string& path, int width, int height) {
  std::vector<uint16_t> pixels(size_t(width) * height, 128);
  testing::write_png(path, width, height, PNG_COLOR_TYPE_GRAY, 8, pixels);
}

ImageFolderOptions quiet() {
  ImageFolderOptions options;
  options.warn = [](const std::string&) {};
  return options;
}

TEST(FolderIndex, BuiltReusedAndInvalidated) {
  TempDir dir;
  const std::string root = dir.path() + "/root";
  gray_png(dir.file("root/bee/1.png"), 3, 2);
  gray_png(dir.file("root/bee/2.png"), 4, 5);
  gray_png(dir.file("root/ant/x.png"), 6, 7);
  gray_png(dir.file("root/ant/deep/y.png"), 8, 9);
  age_directories(root);

  ImageFolderDataset first(root, quiet());
  EXPECT_FALSE(first.loaded_from_index());
  EXPECT_EQ(first.index_file(), root + "/.qcv_index");
  ASSERT_TRUE(fs::exists(root + "/.qcv_index"));
  ASSERT_EQ(first.size(), 4u);

  ImageFolderDataset second(root, quiet());
  EXPECT_TRUE(second.loaded_from_index());
  ASSERT_EQ(second.size(), 4u);
  EXPECT_EQ(second.class_names(), (std::vector<std::string>{"ant", "bee"}));
  // torchvision's order: classes sorted, files sorted by path within a class.
  const std::vector<std::string> expected = {"ant/deep/y.png", "ant/x.png", "bee/1.png",
                                             "bee/2.png"};
  const std::vector<int64_t> labels = {0, 0, 1, 1};
  const std::vector<std::pair<int, int>> sizes = {{9, 8}, {7, 6}, {2, 3}, {5, 4}};
  ASSERT_EQ(second.image_sizes().size(), 4u);
  for (size_t i = 0; i < 4; ++i) {
    EXPECT_EQ(second.path(i), root + "/" + expected[i]);
    EXPECT_EQ(first.path(i), second.path(i));
    EXPECT_EQ(second.label(i), labels[i]);
    EXPECT_EQ(second.image_sizes()[i].height, sizes[i].first);
    EXPECT_EQ(second.image_sizes()[i].width, sizes[i].second);
  }
  EXPECT_EQ(second.get(3).image.height, 5);

  // A file added to a class directory changes its mtime: the tree is walked again.
  gray_png(dir.file("root/bee/3.png"), 2, 2);
  ImageFolderDataset third(root, quiet());
  EXPECT_FALSE(third.loaded_from_index());
  EXPECT_EQ(third.size(), 5u);
  // The directory just changed is "racy" (same mtime tick possible): still no reuse...
  EXPECT_FALSE(ImageFolderDataset(root, quiet()).loaded_from_index());
  // ...until it has aged; the walk after that writes an index that is then reused.
  age_directories(root);
  EXPECT_FALSE(ImageFolderDataset(root, quiet()).loaded_from_index());
  EXPECT_TRUE(ImageFolderDataset(root, quiet()).loaded_from_index());

  // A change deep in a class directory, and a new class directory, invalidate it too.
  fs::remove(root + "/ant/deep/y.png");
  ImageFolderDataset fourth(root, quiet());
  EXPECT_FALSE(fourth.loaded_from_index());
  EXPECT_EQ(fourth.size(), 4u);
  age_directories(root);
  ImageFolderDataset(root, quiet());
  ASSERT_TRUE(ImageFolderDataset(root, quiet()).loaded_from_index());
  gray_png(dir.file("root/cat/c.png"), 2, 2);
  fs::last_write_time(root + "/cat", fs::file_time_type::clock::now() - std::chrono::hours(1));
  ImageFolderDataset fifth(root, quiet());
  EXPECT_FALSE(fifth.loaded_from_index());
  EXPECT_EQ(fifth.num_classes(), 3);
}

TEST(FolderIndex, OptionsCorruptionAndLocation) {
  TempDir dir;
  const std::string root = dir.path() + "/root";
  gray_png(dir.file("root/a/1.png"), 3, 2);
  gray_png(dir.file("root/b/2.png"), 3, 2);
  age_directories(root);

  ImageFolderOptions none = quiet();
  none.verify = ImageFolderOptions::Verify::None;
  EXPECT_FALSE(ImageFolderDataset(root, none).loaded_from_index());
  EXPECT_TRUE(ImageFolderDataset(root, none).image_sizes().empty());
  // An index that checked less than asked is not reused; one that checked more is.
  ImageFolderOptions full = quiet();
  full.verify = ImageFolderOptions::Verify::Full;
  EXPECT_FALSE(ImageFolderDataset(root, full).loaded_from_index());
  EXPECT_TRUE(ImageFolderDataset(root, quiet()).loaded_from_index());
  EXPECT_TRUE(ImageFolderDataset(root, none).loaded_from_index());

  // A damaged index is ignored and rewritten, never an error.
  std::vector<uint8_t> bytes = testing::read_all(root + "/.qcv_index");
  bytes[bytes.size() / 2] ^= 0x40;
  testing::write_bytes(root + "/.qcv_index", bytes);
  EXPECT_FALSE(ImageFolderDataset(root, quiet()).loaded_from_index());
  EXPECT_TRUE(ImageFolderDataset(root, quiet()).loaded_from_index());
  bytes.resize(20);
  testing::write_bytes(root + "/.qcv_index", bytes);
  EXPECT_EQ(ImageFolderDataset(root, quiet()).size(), 2u);

  // An explicit index path, and no index at all.
  ImageFolderOptions elsewhere = quiet();
  elsewhere.index_path = dir.path() + "/my.index";
  EXPECT_FALSE(ImageFolderDataset(root, elsewhere).loaded_from_index());
  EXPECT_TRUE(fs::exists(dir.path() + "/my.index"));
  EXPECT_TRUE(ImageFolderDataset(root, elsewhere).loaded_from_index());
  fs::remove(root + "/.qcv_index");
  ImageFolderOptions off = quiet();
  off.use_index = false;
  EXPECT_FALSE(ImageFolderDataset(root, off).loaded_from_index());
  EXPECT_FALSE(fs::exists(root + "/.qcv_index"));
}

TEST(FolderIndex, SkippedFilesAreRememberedAndStrictModeStillFails) {
  TempDir dir;
  const std::string root = dir.path() + "/root";
  gray_png(dir.file("root/a/1.png"), 3, 2);
  testing::write_bytes(dir.file("root/a/bad.jpg"), {0xff, 0xd8, 0xff, 0x00});
  age_directories(root);
  std::vector<std::string> warnings;
  ImageFolderOptions options;
  options.warn = [&](const std::string& w) { warnings.push_back(w); };
  EXPECT_EQ(ImageFolderDataset(root, options).skipped().size(), 1u);
  ImageFolderDataset again(root, options);
  EXPECT_TRUE(again.loaded_from_index());
  EXPECT_EQ(again.skipped().size(), 1u);
  EXPECT_EQ(again.size(), 1u);
  EXPECT_EQ(warnings.size(), 2u);  // the skip when walking, a summary when reusing
  options.strict = true;
  testing::expect_error([&] { ImageFolderDataset(root, options); }, {"bad.jpg"});
}

// A smooth colour pattern: low frequencies survive a reduced IDCT almost exactly.
std::vector<uint8_t> smooth_rgb(int width, int height) {
  std::vector<uint8_t> pixels(size_t(width) * height * 3);
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x) {
      uint8_t* p = &pixels[(size_t(y) * width + x) * 3];
      p[0] = uint8_t(127 + 100 * std::sin(x * 0.02) * std::cos(y * 0.015));
      p[1] = uint8_t(255 * x / width);
      p[2] = uint8_t(255 * y / height);
    }
  return pixels;
}

// The truth a 1/d decode approximates: full decode, then the mean of each d x d block.
Image box_downscale(const Image& image, int d) {
  Image out((image.height + d - 1) / d, (image.width + d - 1) / d, image.channels);
  for (int y = 0; y < out.height; ++y)
    for (int x = 0; x < out.width; ++x)
      for (int c = 0; c < image.channels; ++c) {
        int sum = 0, count = 0;
        for (int yy = y * d; yy < std::min(image.height, (y + 1) * d); ++yy)
          for (int xx = x * d; xx < std::min(image.width, (x + 1) * d); ++xx, ++count)
            sum += image.at(yy, xx, c);
        out.at(y, x, c) = uint8_t((sum + count / 2) / count);
      }
  return out;
}

TEST(DctDownscale, DecodedSizeAndPixelsCloseToFullDecodeAndBoxFilter) {
  TempDir dir;
  const int width = 300, height = 203;  // not multiples of 8: sizes round up
  testing::write_jpeg(dir.file("s.jpg"), width, height, 3, smooth_rgb(width, height), 95);
  std::vector<uint8_t> bytes = testing::read_all(dir.file("s.jpg"));
  Image full = decode_image(bytes.data(), bytes.size(), "s.jpg", 3);
  for (int d : {1, 2, 4, 8}) {
    ImageInfo info;
    int asked_h = 0, asked_w = 0;
    Image scaled = decode_image_scaled(
        bytes.data(), bytes.size(), "s.jpg", 3,
        [&](int h, int w) {
          asked_h = h;
          asked_w = w;
          return d;
        },
        &info);
    EXPECT_EQ(asked_h, height);
    EXPECT_EQ(asked_w, width);
    EXPECT_EQ(info.height, height);
    EXPECT_EQ(info.width, width);
    EXPECT_EQ(scaled.height, (height + d - 1) / d) << "1/" << d;
    EXPECT_EQ(scaled.width, (width + d - 1) / d) << "1/" << d;
    if (d == 1) {
      EXPECT_EQ(scaled.pixels, full.pixels);  // no downscale: identical to a plain decode
      continue;
    }
    Image truth = box_downscale(full, d);
    double sum = 0;
    int worst = 0;
    for (size_t i = 0; i < truth.pixels.size(); ++i) {
      int diff = std::abs(int(truth.pixels[i]) - int(scaled.pixels[i]));
      sum += diff;
      worst = std::max(worst, diff);
    }
    EXPECT_LT(sum / truth.pixels.size(), 2.0) << "1/" << d;
    EXPECT_LE(worst, 40) << "1/" << d;
  }
  testing::expect_error(
      [&] {
        decode_image_scaled(
            bytes.data(), bytes.size(), "s.jpg", 3, [](int, int) { return 3; }, nullptr);
      },
      {"s.jpg", "1/3"});
}

TEST(DctDownscale, ScaleChoice) {
  EXPECT_EQ(dct_scale_for(375, 500, 256, 256), 1);
  EXPECT_EQ(dct_scale_for(1536, 2048, 256, 256), 4);  // 384 >= 256, 192 < 256
  EXPECT_EQ(dct_scale_for(2048, 2048, 256, 256), 8);
  EXPECT_EQ(dct_scale_for(100, 100, 224, 224), 1);
  EXPECT_EQ(dct_scale_for(449, 449, 224, 224), 2);  // ceil(449 / 2) = 225

  std::mt19937_64 rng(7);
  Preprocess eval = Preprocess::imagenet(224, false);
  EXPECT_FALSE(eval.downscales_decode());  // eval: off by default (exact results)
  EXPECT_EQ(eval.decode_scale(1536, 2048, rng), 1);
  eval.decode_downscale = Preprocess::DecodeDownscale::On;
  EXPECT_EQ(eval.decode_scale(1536, 2048, rng), 4);  // needs a shorter side of 256
  Preprocess train = Preprocess::imagenet(224, true);
  EXPECT_TRUE(train.downscales_decode());
  // Random-resized-crop: the scale keeps the (same) crop box >= 224 x 224.
  for (int trial = 0; trial < 20; ++trial) {
    std::mt19937_64 sample(trial);
    std::mt19937_64 copy = sample;
    int d = train.decode_scale(3000, 4000, sample);
    CropBox box = random_resized_crop_box(3000, 4000, copy);
    EXPECT_EQ(d, dct_scale_for(box.height, box.width, 224, 224));
    EXPECT_GE((box.height + d - 1) / d, 224);
    EXPECT_GE((box.width + d - 1) / d, 224);
  }
}

TEST(DctDownscale, LoaderOutputsCloseToFullDecodeAndEvalUnchanged) {
  TempDir dir;
  const int width = 1200, height = 900;
  for (int i = 0; i < 4; ++i)
    testing::write_jpeg(
        dir.file("root/c" + std::to_string(i % 2) + "/" + std::to_string(i) + ".jpg"), width,
        height, 3, smooth_rgb(width, height), 92);
  auto folder = std::make_shared<ImageFolderDataset>(dir.path() + "/root", quiet());
  LoaderOptions options;
  options.batch_size = 4;
  options.workers = 0;
  options.shuffle = false;
  options.seed = 3;
  auto run = [&](Preprocess config) {
    DataLoader loader(folder, config, options);
    Batch batch;
    EXPECT_TRUE(loader.next(batch));
    return batch;
  };
  // Training: the same crops and flips (same random stream), pixels within a few levels.
  Preprocess train = Preprocess::imagenet(128, true);
  Preprocess train_full = train;
  train_full.decode_downscale = Preprocess::DecodeDownscale::Off;
  Batch fast = run(train), exact = run(train_full);
  const float* a = fast.images.data<float>();
  const float* b = exact.images.data<float>();
  double sum = 0;
  for (int64_t i = 0; i < fast.images.numel(); ++i) sum += std::fabs(a[i] - b[i]);
  // 1 level of 255 is about 0.017 after normalization.
  EXPECT_LT(sum / fast.images.numel(), 0.06);
  EXPECT_EQ(fast.labels.data<int64_t>()[3], exact.labels.data<int64_t>()[3]);
  // Eval (Auto = off): bit-identical to preprocessing a plain decode.
  Preprocess eval = Preprocess::imagenet(128, false);
  Batch batch = run(eval);
  ir::Tensor plain = preprocess(read_image(folder->path(2), 3), eval, 0);
  for (int64_t i = 0; i < plain.numel(); ++i)
    ASSERT_EQ(batch.images.data<float>()[2 * plain.numel() + i], plain.data<float>()[i]);
}

}  // namespace
}  // namespace qcv::data
