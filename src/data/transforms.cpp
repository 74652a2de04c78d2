// Geometric and photometric transforms on HWC uint8 images, and the torchvision random-parameter
// samplers (RandomResizedCrop, RandomErasing) on portable random numbers.
#include <algorithm>
#include <cmath>
#include <limits>

#include "data/data.h"

namespace qcv::data {
namespace {

void check_image(const Image& image, const char* where) {
  if (image.height <= 0 || image.width <= 0 || image.channels <= 0 ||
      image.pixels.size() != size_t(image.height) * image.width * image.channels)
    fail("{}: malformed image {}x{}x{} with {} bytes", where, image.height, image.width,
         image.channels, image.pixels.size());
}

// Source coordinate, lower neighbour and weight of each output column/row (PyTorch's
// upsample_bilinear2d with align_corners=false: negative coordinates clamp to 0).
struct Taps {
  std::vector<int> lo, hi;
  std::vector<float> weight;  // of hi
};

Taps bilinear_taps(int in, int out) {
  Taps taps;
  double scale = double(in) / out;
  for (int i = 0; i < out; ++i) {
    double source = std::max(0.0, (i + 0.5) * scale - 0.5);
    int lo = std::min(static_cast<int>(source), in - 1);
    taps.lo.push_back(lo);
    taps.hi.push_back(std::min(lo + 1, in - 1));
    taps.weight.push_back(static_cast<float>(source - lo));
  }
  return taps;
}

int round_half_even(double x) { return static_cast<int>(std::nearbyint(x)); }

// The inner loops with the channel count known at compile time (1 and 3 are the hot cases).
template <int kChannels>
void resize_rows(const Image& image, const Taps& ys, const Taps& xs, int channels, Image& out) {
  const int c = kChannels > 0 ? kChannels : channels;
  for (int y = 0; y < out.height; ++y) {
    const uint8_t* row0 = &image.pixels[size_t(ys.lo[y]) * image.width * c];
    const uint8_t* row1 = &image.pixels[size_t(ys.hi[y]) * image.width * c];
    const float wy = ys.weight[y];
    uint8_t* dst = &out.pixels[size_t(y) * out.width * c];
    for (int x = 0; x < out.width; ++x) {
      const int x0 = xs.lo[x] * c, x1 = xs.hi[x] * c;
      const float wx = xs.weight[x];
      for (int k = 0; k < c; ++k) {
        float top = row0[x0 + k] + wx * (row0[x1 + k] - row0[x0 + k]);
        float bottom = row1[x0 + k] + wx * (row1[x1 + k] - row1[x0 + k]);
        // A convex combination of bytes stays in [0, 255]: rounding needs no clamp.
        dst[x * c + k] = static_cast<uint8_t>(top + wy * (bottom - top) + 0.5f);
      }
    }
  }
}

}  // namespace

Image resize_bilinear(const Image& image, int out_height, int out_width) {
  check_image(image, "resize_bilinear");
  if (out_height <= 0 || out_width <= 0)
    fail("resize_bilinear: bad output size {}x{}", out_height, out_width);
  if (out_height == image.height && out_width == image.width) return image;
  Taps ys = bilinear_taps(image.height, out_height);
  Taps xs = bilinear_taps(image.width, out_width);
  Image out(out_height, out_width, image.channels);
  if (image.channels == 1)
    resize_rows<1>(image, ys, xs, 1, out);
  else if (image.channels == 3)
    resize_rows<3>(image, ys, xs, 3, out);
  else
    resize_rows<0>(image, ys, xs, image.channels, out);
  return out;
}

Image resize_shorter_side(const Image& image, int size) {
  check_image(image, "resize_shorter_side");
  if (size <= 0) fail("resize_shorter_side: bad size {}", size);
  if (image.height <= image.width) {
    int width = static_cast<int>(int64_t(size) * image.width / image.height);
    return resize_bilinear(image, size, width);
  }
  int height = static_cast<int>(int64_t(size) * image.height / image.width);
  return resize_bilinear(image, height, size);
}

Image crop(const Image& image, int top, int left, int height, int width) {
  check_image(image, "crop");
  if (height <= 0 || width <= 0) fail("crop: bad crop size {}x{}", height, width);
  const int c = image.channels;
  Image out(height, width, c);  // zero outside the source
  int y_begin = std::max(0, -top), y_end = std::min(height, image.height - top);
  int x_begin = std::max(0, -left), x_end = std::min(width, image.width - left);
  if (x_begin >= x_end) return out;
  for (int y = y_begin; y < y_end; ++y) {
    const uint8_t* src = &image.pixels[(size_t(y + top) * image.width + left + x_begin) * c];
    std::copy_n(src, size_t(x_end - x_begin) * c, &out.pixels[(size_t(y) * width + x_begin) * c]);
  }
  return out;
}

Image center_crop(const Image& image, int height, int width) {
  // torchvision pads a too-small image symmetrically (extra pixel after) and crops at 0.
  int top = image.height < height ? -((height - image.height) / 2)
                                  : round_half_even((image.height - height) / 2.0);
  int left = image.width < width ? -((width - image.width) / 2)
                                 : round_half_even((image.width - width) / 2.0);
  return crop(image, top, left, height, width);
}

Image horizontal_flip(const Image& image) {
  check_image(image, "horizontal_flip");
  const int c = image.channels;
  Image out(image.height, image.width, c);
  for (int y = 0; y < image.height; ++y)
    for (int x = 0; x < image.width; ++x)
      std::copy_n(&image.pixels[(size_t(y) * image.width + x) * c], c,
                  &out.pixels[(size_t(y) * image.width + image.width - 1 - x) * c]);
  return out;
}

Image pad(const Image& image, int padding) {
  if (padding < 0) fail("pad: negative padding {}", padding);
  return crop(image, -padding, -padding, image.height + 2 * padding, image.width + 2 * padding);
}

Image convert_channels(const Image& image, int channels) {
  check_image(image, "convert_channels");
  if (image.channels == channels) return image;
  size_t pixels = size_t(image.height) * image.width;
  Image out(image.height, image.width, channels);
  if (image.channels == 1 && channels == 3) {
    for (size_t i = 0; i < pixels; ++i)
      out.pixels[3 * i] = out.pixels[3 * i + 1] = out.pixels[3 * i + 2] = image.pixels[i];
  } else if (image.channels == 3 && channels == 1) {
    // PIL's fixed-point ITU-R 601-2 luma: L = R * 299/1000 + G * 587/1000 + B * 114/1000.
    for (size_t i = 0; i < pixels; ++i) {
      const uint8_t* p = &image.pixels[3 * i];
      out.pixels[i] = uint8_t((p[0] * 19595u + p[1] * 38470u + p[2] * 7471u + 0x8000u) >> 16);
    }
  } else {
    fail("convert_channels: cannot convert {} channels to {}", image.channels, channels);
  }
  return out;
}

void to_normalized_chw(const Image& image, const std::array<float, 3>& mean,
                       const std::array<float, 3>& std, float* out) {
  check_image(image, "to_normalized_chw");
  if (image.channels > 3) fail("to_normalized_chw: {} channels (at most 3)", image.channels);
  const int c = image.channels;
  size_t plane = size_t(image.height) * image.width;
  for (int k = 0; k < c; ++k) {
    if (std[k] == 0.0f) fail("to_normalized_chw: std[{}] is zero", k);
    // (p / 255 - mean) / std as one multiply-add per pixel.
    float scale = 1.0f / (255.0f * std[k]);
    float shift = -mean[k] / std[k];
    float* dst = out + k * plane;
    for (size_t i = 0; i < plane; ++i) dst[i] = image.pixels[i * c + k] * scale + shift;
  }
}

double uniform01(std::mt19937_64& rng) { return (rng() >> 11) * 0x1.0p-53; }

int64_t uniform_int(std::mt19937_64& rng, int64_t lo, int64_t hi) {
  if (hi < lo) fail("uniform_int: empty range [{}, {}]", lo, hi);
  uint64_t range = uint64_t(hi - lo) + 1;
  if (range == 0) return static_cast<int64_t>(rng());  // the whole 64-bit range
  // Rejection sampling keeps every value equally likely.
  uint64_t limit =
      std::numeric_limits<uint64_t>::max() - std::numeric_limits<uint64_t>::max() % range;
  uint64_t r;
  do r = rng();
  while (r >= limit);
  return lo + static_cast<int64_t>(r % range);
}

uint64_t sample_seed(uint64_t seed, int64_t epoch, int64_t index) {
  // splitmix64's finalizer over each component in turn.
  auto mix = [](uint64_t z) {
    z += 0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  };
  return mix(mix(mix(seed) ^ uint64_t(epoch)) ^ uint64_t(index));
}

CropBox random_resized_crop_box(int height, int width, std::mt19937_64& rng,
                                std::array<double, 2> scale, std::array<double, 2> ratio) {
  if (height <= 0 || width <= 0) fail("random_resized_crop_box: bad image {}x{}", height, width);
  if (scale[0] > scale[1] || ratio[0] > ratio[1] || ratio[0] <= 0)
    fail("random_resized_crop_box: bad scale [{}, {}] or ratio [{}, {}]", scale[0], scale[1],
         ratio[0], ratio[1]);
  double area = double(height) * width;
  double log_lo = std::log(ratio[0]), log_hi = std::log(ratio[1]);
  for (int attempt = 0; attempt < 10; ++attempt) {
    double target = area * (scale[0] + (scale[1] - scale[0]) * uniform01(rng));
    double aspect = std::exp(log_lo + (log_hi - log_lo) * uniform01(rng));
    int w = round_half_even(std::sqrt(target * aspect));
    int h = round_half_even(std::sqrt(target / aspect));
    if (w > 0 && w <= width && h > 0 && h <= height) {
      int top = static_cast<int>(uniform_int(rng, 0, height - h));
      int left = static_cast<int>(uniform_int(rng, 0, width - w));
      return {top, left, h, w};
    }
  }
  // Fallback: the whole image, cut to the nearest allowed aspect ratio, centred.
  double in_ratio = double(width) / height;
  int w = width, h = height;
  if (in_ratio < ratio[0]) {
    h = round_half_even(w / ratio[0]);
  } else if (in_ratio > ratio[1]) {
    w = round_half_even(h * ratio[1]);
  }
  return {(height - h) / 2, (width - w) / 2, h, w};
}

bool random_erase(float* chw, int channels, int height, int width, std::mt19937_64& rng, double p,
                  std::array<double, 2> scale, std::array<double, 2> ratio, float value) {
  if (uniform01(rng) >= p) return false;
  double area = double(height) * width;
  double log_lo = std::log(ratio[0]), log_hi = std::log(ratio[1]);
  for (int attempt = 0; attempt < 10; ++attempt) {
    double target = area * (scale[0] + (scale[1] - scale[0]) * uniform01(rng));
    double aspect = std::exp(log_lo + (log_hi - log_lo) * uniform01(rng));
    int h = round_half_even(std::sqrt(target * aspect));
    int w = round_half_even(std::sqrt(target / aspect));
    if (!(h < height && w < width)) continue;
    int top = static_cast<int>(uniform_int(rng, 0, height - h));
    int left = static_cast<int>(uniform_int(rng, 0, width - w));
    for (int c = 0; c < channels; ++c)
      for (int y = top; y < top + h; ++y)
        std::fill_n(chw + (size_t(c) * height + y) * width + left, w, value);
    return true;
  }
  return false;
}

}  // namespace qcv::data
