// Preprocessing pipelines (eval geometry, training augmentation, normalization) and the presets
// of the datasets qcv knows.
#include <algorithm>
#include <cmath>

#include "data/data.h"

namespace qcv::data {
void Preprocess::validate() const {
  const Preprocess& config = *this;
  if (config.channels != 1 && config.channels != 3)
    fail("preprocess: channels must be 1 or 3, got {}", config.channels);
  if (config.resolution <= 0)
    fail("preprocess: resolution must be positive, got {}", config.resolution);
  if (config.crop_fraction <= 0 || config.crop_fraction > 1)
    fail("preprocess: crop_fraction must be in (0, 1], got {}", config.crop_fraction);
  if (config.pad_pixels < 0) fail("preprocess: pad_pixels must be >= 0, got {}", config.pad_pixels);
  for (int c = 0; c < config.channels; ++c)
    if (!(config.std[c] > 0))
      fail("preprocess: std[{}] must be positive, got {}", c, config.std[c]);
}

namespace {

// timm's rule: resize to floor(R / crop_fraction) (224 -> 256 at 0.875), then center crop.
int eval_shorter_side(const Preprocess& config) {
  return static_cast<int>(std::floor(config.resolution / config.crop_fraction + 1e-9));
}

// The deterministic geometry: what eval sees, and what pad-and-random-crop starts from. The
// resized size comes from the stored size (full_height x full_width), so that a downscaled
// decode gives the same output geometry as a full one.
Image eval_geometry(const Image& image, int full_height, int full_width, const Preprocess& config) {
  const int r = config.resolution;
  if (config.resize == Preprocess::Resize::Direct) return resize_bilinear(image, r, r);
  const int shorter = eval_shorter_side(config);
  if (full_height == image.height && full_width == image.width)
    return center_crop(resize_shorter_side(image, shorter), r, r);
  int height = shorter, width = shorter;  // resize_shorter_side's rule on the stored size
  if (full_height <= full_width)
    width = static_cast<int>(int64_t(shorter) * full_width / full_height);
  else
    height = static_cast<int>(int64_t(shorter) * full_height / full_width);
  return center_crop(resize_bilinear(image, height, width), r, r);
}

bool random_resized_crop(const Preprocess& config) {
  return config.train && config.train_crop == Preprocess::TrainCrop::RandomResizedCrop;
}

}  // namespace

Preprocess Preprocess::imagenet(int resolution, bool train) {
  Preprocess config;
  config.train = train;
  config.resolution = resolution;
  return config;
}

Preprocess Preprocess::for_dataset(const std::string& name, int resolution, bool train,
                                   int channels) {
  Preprocess config = imagenet(resolution, train);
  auto starts_with = [&](const char* prefix) { return name.rfind(prefix, 0) == 0; };
  if (starts_with("fashion-mnist")) {
    config.channels = 1;
    config.mean = {0.2860f, 0.2860f, 0.2860f};
    config.std = {0.3530f, 0.3530f, 0.3530f};
  } else if (starts_with("cifar10")) {
    config.mean = {0.4914f, 0.4822f, 0.4465f};
    config.std = {0.2470f, 0.2435f, 0.2616f};
  }
  if (starts_with("fashion-mnist") || starts_with("cifar10")) {
    config.resize = Resize::Direct;
    config.train_crop = TrainCrop::PadRandomCrop;
    config.pad_pixels = 4;
  }
  if (channels != 0) config.channels = channels;
  config.validate();
  return config;
}

bool Preprocess::downscales_decode() const {
  if (decode_downscale == DecodeDownscale::Auto) return train;
  return decode_downscale == DecodeDownscale::On;
}

int Preprocess::decode_scale(int full_height, int full_width, std::mt19937_64 rng) const {
  if (!downscales_decode() || full_height <= 0 || full_width <= 0) return 1;
  const int r = resolution;
  if (random_resized_crop(*this)) {
    CropBox box = random_resized_crop_box(full_height, full_width, rng, crop_scale, crop_ratio);
    return dct_scale_for(box.height, box.width, r, r);
  }
  if (resize == Resize::Direct) return dct_scale_for(full_height, full_width, r, r);
  const int shorter = eval_shorter_side(*this);
  return dct_scale_for(full_height, full_width, shorter, shorter);
}

namespace {

// The pipeline on an image decoded from one stored at full_height x full_width.
void run_pipeline(const Image& image, int full_height, int full_width, const Preprocess& config,
                  std::mt19937_64& rng, float* out) {
  config.validate();
  const int r = config.resolution;
  // convert_channels copies; skip it when the channels already match.
  Image converted;
  if (image.channels != config.channels) converted = convert_channels(image, config.channels);
  const Image& source = image.channels == config.channels ? image : converted;
  Image work;
  if (random_resized_crop(config)) {
    CropBox box =
        random_resized_crop_box(full_height, full_width, rng, config.crop_scale, config.crop_ratio);
    if (full_height != source.height || full_width != source.width) {
      // Map the box drawn on the stored size onto the downscaled decode, rounded to pixels.
      const double sy = double(source.height) / full_height;
      const double sx = double(source.width) / full_width;
      int top = static_cast<int>(std::lround(box.top * sy));
      int left = static_cast<int>(std::lround(box.left * sx));
      box.height = std::max(
          1, std::min(static_cast<int>(std::lround(box.height * sy)), source.height - top));
      box.width =
          std::max(1, std::min(static_cast<int>(std::lround(box.width * sx)), source.width - left));
      box.top = std::min(top, source.height - 1);
      box.left = std::min(left, source.width - 1);
    }
    work = resize_bilinear(crop(source, box.top, box.left, box.height, box.width), r, r);
  } else {
    work = eval_geometry(source, full_height, full_width, config);
    if (config.train && config.train_crop == Preprocess::TrainCrop::PadRandomCrop) {
      // Pad by p then take a random R x R window = a window offset by [-p, p] with zero fill.
      const int p = config.pad_pixels;
      int top = static_cast<int>(uniform_int(rng, 0, 2 * p)) - p;
      int left = static_cast<int>(uniform_int(rng, 0, 2 * p)) - p;
      work = crop(work, top, left, r, r);
    }
  }
  if (config.train && config.horizontal_flip && uniform01(rng) < 0.5) work = horizontal_flip(work);
  if (config.bgr && work.channels == 3)
    for (size_t i = 0; i < work.pixels.size(); i += 3) std::swap(work.pixels[i], work.pixels[i + 2]);
  to_normalized_chw(work, config.mean, config.std, out);
  if (config.train && config.erasing_probability > 0)
    random_erase(out, config.channels, r, r, rng, config.erasing_probability);
}

}  // namespace

void preprocess(const Image& image, const Preprocess& config, std::mt19937_64& rng, float* out) {
  run_pipeline(image, image.height, image.width, config, rng, out);
}

void preprocess(const Example& example, const Preprocess& config, std::mt19937_64& rng,
                float* out) {
  const Image& image = example.image;
  run_pipeline(image, example.full_height > 0 ? example.full_height : image.height,
               example.full_width > 0 ? example.full_width : image.width, config, rng, out);
}

ir::Tensor preprocess(const Image& image, const Preprocess& config, uint64_t seed) {
  config.validate();
  ir::Tensor out(ir::DType::Float32, {config.channels, config.resolution, config.resolution});
  std::mt19937_64 rng(seed);
  preprocess(image, config, rng, out.data<float>());
  return out;
}

}  // namespace qcv::data
