// Transforms against values worked by hand, and the random samplers' contracts.
#include <gtest/gtest.h>

#include <cmath>

#include "data/data.h"

namespace qcv::data {
namespace {

Image gray(int h, int w, const std::vector<uint8_t>& values) {
  Image image(h, w, 1);
  image.pixels = values;
  return image;
}

TEST(Resize, Bilinear4x4To2x2AveragesEachQuad) {
  // v = 16y + 4x. Half-pixel centres: output 0 samples source 0.5, output 1 samples 2.5, so each
  // output is the mean of a 2x2 quad: 16 * 0.5 + 4 * 0.5 = 10, 8 + 10 = 18, 40 + 2 = 42, 50.
  std::vector<uint8_t> v;
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 4; ++x) v.push_back(uint8_t(16 * y + 4 * x));
  Image out = resize_bilinear(gray(4, 4, v), 2, 2);
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{10, 18, 42, 50}));
}

TEST(Resize, Bilinear2x2To4x4WithEdgeClamp) {
  // Source coordinates of the 4 outputs: -0.25 (clamped to 0), 0.25, 0.75, 1.25 (clamped to
  // neighbour 1). Top row 0..100: 0, 25, 75, 100. Bottom row 200..255: 200, 213.75, 241.25, 255.
  // Row weights 0, 0.25, 0.75, 1 between them, rounded to nearest:
  //   0.25: 50, 72.19, 116.56, 138.75   0.75: 150, 166.56, 199.69, 216.25
  Image out = resize_bilinear(gray(2, 2, {0, 100, 200, 255}), 4, 4);
  EXPECT_EQ(out.pixels, (std::vector<uint8_t>{0, 25, 75, 100,      //
                                              50, 72, 117, 139,    //
                                              150, 167, 200, 216,  //
                                              200, 214, 241, 255}));
}

TEST(Resize, RgbChannelsStaySeparate) {
  Image rgb(1, 2, 3);
  rgb.pixels = {0, 10, 200, 100, 30, 0};
  // 1x2 -> 1x1: source x = 0.5, the mean of the two pixels per channel.
  EXPECT_EQ(resize_bilinear(rgb, 1, 1).pixels, (std::vector<uint8_t>{50, 20, 100}));
}

TEST(Resize, ShorterSideKeepsAspectTruncating) {
  Image wide(20, 30, 1);
  Image out = resize_shorter_side(wide, 8);  // 8 x int(8 * 30 / 20) = 8 x 12
  EXPECT_EQ(out.height, 8);
  EXPECT_EQ(out.width, 12);
  Image tall(31, 10, 3);
  out = resize_shorter_side(tall, 7);  // int(7 * 31 / 10) = 21
  EXPECT_EQ(out.height, 21);
  EXPECT_EQ(out.width, 7);
}

TEST(Crop, CenterCropRoundsHalfToEvenLikeTorchvision) {
  std::vector<uint8_t> v(49);
  for (int i = 0; i < 49; ++i) v[i] = uint8_t(i);
  // 7x7 -> 2x2: top = round(2.5) = 2 (half to even), so rows/cols 2..3: 16 17 / 23 24.
  EXPECT_EQ(center_crop(gray(7, 7, v), 2, 2).pixels, (std::vector<uint8_t>{16, 17, 23, 24}));
  // 5x5 (values 0..24) -> 2x2: top = round(1.5) = 2: 12 13 / 17 18.
  std::vector<uint8_t> w(v.begin(), v.begin() + 25);
  EXPECT_EQ(center_crop(gray(5, 5, w), 2, 2).pixels, (std::vector<uint8_t>{12, 13, 17, 18}));
  // 3x3 -> 4x4 pads (4-3)/2 = 0 before and 1 after.
  Image padded = center_crop(gray(3, 3, {1, 2, 3, 4, 5, 6, 7, 8, 9}), 4, 4);
  EXPECT_EQ(padded.pixels, (std::vector<uint8_t>{1, 2, 3, 0, 4, 5, 6, 0, 7, 8, 9, 0, 0, 0, 0, 0}));
}

TEST(Crop, OutsideIsZeroAndPadFlip) {
  Image image = gray(2, 2, {1, 2, 3, 4});
  EXPECT_EQ(crop(image, -1, 1, 3, 2).pixels, (std::vector<uint8_t>{0, 0, 2, 0, 4, 0}));
  EXPECT_EQ(pad(image, 1).pixels,
            (std::vector<uint8_t>{0, 0, 0, 0, 0, 1, 2, 0, 0, 3, 4, 0, 0, 0, 0, 0}));
  Image rgb(1, 2, 3);
  rgb.pixels = {1, 2, 3, 4, 5, 6};
  EXPECT_EQ(horizontal_flip(rgb).pixels, (std::vector<uint8_t>{4, 5, 6, 1, 2, 3}));
}

TEST(Channels, GrayReplicatesAndLumaMatchesPil) {
  EXPECT_EQ(convert_channels(gray(1, 1, {9}), 3).pixels, (std::vector<uint8_t>{9, 9, 9}));
  Image rgb(1, 4, 3);
  rgb.pixels = {255, 0, 0, 0, 255, 0, 0, 0, 255, 255, 255, 255};
  // PIL: Image.new("RGB", (1, 1), c).convert("L") gives 76, 150, 29, 255.
  EXPECT_EQ(convert_channels(rgb, 1).pixels, (std::vector<uint8_t>{76, 150, 29, 255}));
}

TEST(Normalize, ImageNetMeanStdByHand) {
  Image rgb(1, 2, 3);
  rgb.pixels = {255, 0, 51, 0, 255, 102};
  std::vector<float> out(6);
  to_normalized_chw(rgb, {0.485f, 0.456f, 0.406f}, {0.229f, 0.224f, 0.225f}, out.data());
  // CHW: R plane (255, 0), G plane (0, 255), B plane (51 = 0.2, 102 = 0.4).
  EXPECT_NEAR(out[0], (1 - 0.485) / 0.229, 1e-5);  //  2.24891
  EXPECT_NEAR(out[1], -0.485 / 0.229, 1e-5);       // -2.11790
  EXPECT_NEAR(out[2], -0.456 / 0.224, 1e-5);       // -2.03571
  EXPECT_NEAR(out[3], (1 - 0.456) / 0.224, 1e-5);  //  2.42857
  EXPECT_NEAR(out[4], (0.2 - 0.406) / 0.225, 1e-5);
  EXPECT_NEAR(out[5], (0.4 - 0.406) / 0.225, 1e-5);
}

TEST(Preprocess, ImageNetEvalResizesShorterSideThenCenterCrops) {
  // R = 2 with crop fraction 0.5: shorter side to 4. A 4x8 image keeps its size, then the
  // center 2x2 crop starts at top round(1) = 1, left round(3) = 3.
  Image image(4, 8, 1);
  for (int y = 0; y < 4; ++y)
    for (int x = 0; x < 8; ++x) image.at(y, x, 0) = uint8_t(10 * y + x);
  Preprocess config = Preprocess::imagenet(2, false);
  config.crop_fraction = 0.5;
  config.channels = 1;
  config.mean = {0.0f, 0.0f, 0.0f};
  config.std = {1.0f, 1.0f, 1.0f};
  ir::Tensor out = preprocess(image, config);
  ASSERT_EQ(out.shape(), (ir::Shape{1, 2, 2}));
  std::vector<float> v = out.to_float_vector();
  EXPECT_NEAR(v[0], 13 / 255.0, 1e-6);
  EXPECT_NEAR(v[1], 14 / 255.0, 1e-6);
  EXPECT_NEAR(v[2], 23 / 255.0, 1e-6);
  EXPECT_NEAR(v[3], 24 / 255.0, 1e-6);
  // 224 is cropped from 256 (torchvision's reference eval transform).
  Image big(300, 400, 3);
  config = Preprocess::imagenet(224, false);
  EXPECT_EQ(preprocess(big, config).shape(), (ir::Shape{3, 224, 224}));
}

TEST(Preprocess, FashionMnistPresetAndGrayToRgb) {
  Preprocess eval = Preprocess::for_dataset("fashion-mnist", 32, false);
  EXPECT_EQ(eval.channels, 1);
  EXPECT_FLOAT_EQ(eval.mean[0], 0.2860f);
  EXPECT_FLOAT_EQ(eval.std[0], 0.3530f);
  Image image(28, 28, 1);
  std::fill(image.pixels.begin(), image.pixels.end(), 255);
  std::vector<float> v = preprocess(image, eval).to_float_vector();
  ASSERT_EQ(v.size(), 32u * 32u);
  for (float x : v) ASSERT_NEAR(x, (1 - 0.2860) / 0.3530, 1e-5);
  Preprocess rgb = Preprocess::for_dataset("fashion-mnist", 64, false, 3);
  EXPECT_EQ(preprocess(image, rgb).shape(), (ir::Shape{3, 64, 64}));
}

TEST(Preprocess, PadRandomCropIsAShiftedPossiblyFlippedEvalImage) {
  Image image(8, 8, 1);
  for (size_t i = 0; i < image.pixels.size(); ++i) image.pixels[i] = uint8_t(1 + i * 3);
  Preprocess eval = Preprocess::for_dataset("fashion-mnist", 8, false);
  eval.mean = {0, 0, 0};
  eval.std = {1, 1, 1};
  Preprocess train = eval;
  train.train = true;
  int flips = 0;
  for (uint64_t seed = 0; seed < 40; ++seed) {
    std::vector<float> t = preprocess(image, train, seed).to_float_vector();
    bool found = false;
    for (int flip = 0; flip < 2 && !found; ++flip)
      for (int dy = -4; dy <= 4 && !found; ++dy)
        for (int dx = -4; dx <= 4 && !found; ++dx) {
          Image shifted = crop(image, dy, dx, 8, 8);
          if (flip) shifted = horizontal_flip(shifted);
          bool same = true;
          for (int i = 0; i < 64 && same; ++i)
            same = std::fabs(t[i] - shifted.pixels[i] / 255.0f) < 1e-6f;
          if (same) {
            found = true;
            flips += flip;
          }
        }
    EXPECT_TRUE(found) << "seed " << seed;
  }
  EXPECT_GT(flips, 5);  // about half of 40 are flipped
  EXPECT_LT(flips, 35);
}

TEST(RandomResizedCrop, BoxesRespectScaleRatioAndBounds) {
  std::mt19937_64 rng(7);
  const int h = 240, w = 320;
  for (int i = 0; i < 500; ++i) {
    CropBox box = random_resized_crop_box(h, w, rng);
    ASSERT_GE(box.top, 0);
    ASSERT_GE(box.left, 0);
    ASSERT_LE(box.top + box.height, h);
    ASSERT_LE(box.left + box.width, w);
    double area = double(box.height) * box.width / (h * w);
    // Rounded sides can move the area a little outside [0.08, 1] and the ratio outside [3/4, 4/3].
    EXPECT_GT(area, 0.07);
    double ratio = double(box.width) / box.height;
    EXPECT_GT(ratio, 0.7);
    EXPECT_LT(ratio, 1.4);
  }
  // Same seed, same boxes.
  std::mt19937_64 a(42), b(42);
  for (int i = 0; i < 20; ++i) {
    CropBox x = random_resized_crop_box(h, w, a), y = random_resized_crop_box(h, w, b);
    EXPECT_EQ(x.top, y.top);
    EXPECT_EQ(x.left, y.left);
    EXPECT_EQ(x.height, y.height);
    EXPECT_EQ(x.width, y.width);
  }
}

TEST(RandomResizedCrop, FallbackIsCentredAndClampedToRatio) {
  // A scale above 1 never fits, so all 10 attempts fail. A 10x40 image (ratio 4) is cut to the
  // widest allowed ratio 4/3: width round(10 * 4/3) = 13, left (40 - 13) / 2 = 13.
  std::mt19937_64 rng(1);
  CropBox box = random_resized_crop_box(10, 40, rng, {2.0, 3.0});
  EXPECT_EQ(box.top, 0);
  EXPECT_EQ(box.height, 10);
  EXPECT_EQ(box.width, 13);
  EXPECT_EQ(box.left, 13);
  // 40x10 (ratio 1/4): height round(10 / (3/4)) = 13, top 13.
  box = random_resized_crop_box(40, 10, rng, {2.0, 3.0});
  EXPECT_EQ(box.height, 13);
  EXPECT_EQ(box.top, 13);
  EXPECT_EQ(box.width, 10);
}

TEST(RandomErasing, ErasesARectangleWithProbabilityP) {
  std::vector<float> chw(2 * 10 * 10, 1.0f);
  std::mt19937_64 rng(3);
  EXPECT_FALSE(random_erase(chw.data(), 2, 10, 10, rng, 0.0));
  EXPECT_TRUE(std::all_of(chw.begin(), chw.end(), [](float v) { return v == 1.0f; }));
  ASSERT_TRUE(random_erase(chw.data(), 2, 10, 10, rng, 1.0, {0.1, 0.3}));
  // The same pixels in both channels are erased, 2%..33%-ish of the area, as one rectangle.
  int erased = 0, y0 = 10, y1 = -1, x0 = 10, x1 = -1;
  for (int y = 0; y < 10; ++y)
    for (int x = 0; x < 10; ++x) {
      ASSERT_EQ(chw[y * 10 + x], chw[100 + y * 10 + x]);
      if (chw[y * 10 + x] == 0.0f) {
        ++erased;
        y0 = std::min(y0, y), y1 = std::max(y1, y), x0 = std::min(x0, x), x1 = std::max(x1, x);
      }
    }
  EXPECT_EQ(erased, (y1 - y0 + 1) * (x1 - x0 + 1));
  EXPECT_GE(erased, 5);
  EXPECT_LE(erased, 40);
}

TEST(Random, UniformHelpersAndSampleSeeds) {
  std::mt19937_64 rng(5);
  std::vector<int> counts(5);
  for (int i = 0; i < 5000; ++i) {
    double u = uniform01(rng);
    ASSERT_GE(u, 0.0);
    ASSERT_LT(u, 1.0);
    ++counts[uniform_int(rng, 0, 4)];
  }
  for (int c : counts) EXPECT_NEAR(c, 1000, 150);
  EXPECT_EQ(sample_seed(1, 2, 3), sample_seed(1, 2, 3));
  EXPECT_NE(sample_seed(1, 2, 3), sample_seed(1, 3, 2));
  EXPECT_NE(sample_seed(1, 2, 3), sample_seed(2, 2, 3));
}

TEST(Preprocess, RejectsBadSettings) {
  Preprocess config;
  config.channels = 2;
  EXPECT_THROW(preprocess(Image(4, 4, 3), config), Error);
  config.channels = 3;
  config.resolution = 0;
  EXPECT_THROW(preprocess(Image(4, 4, 3), config), Error);
  EXPECT_THROW(resize_bilinear(Image(4, 4, 1), 0, 3), Error);
  Image malformed(4, 4, 1);
  malformed.pixels.pop_back();
  EXPECT_THROW(resize_bilinear(malformed, 2, 2), Error);
}

}  // namespace
}  // namespace qcv::data
