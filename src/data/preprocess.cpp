// Preprocessing pipelines (eval geometry, training augmentation, normalization) and the presets
// of the datasets qcv knows.
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

// The deterministic geometry: what eval sees, and what pad-and-random-crop starts from.
Image eval_geometry(const Image& image, const Preprocess& config) {
  const int r = config.resolution;
  if (config.resize == Preprocess::Resize::Direct) return resize_bilinear(image, r, r);
  // timm's rule: resize to floor(R / crop_fraction) (224 -> 256 at 0.875), then center crop.
  int shorter = static_cast<int>(std::floor(r / config.crop_fraction + 1e-9));
  return center_crop(resize_shorter_side(image, shorter), r, r);
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

void preprocess(const Image& image, const Preprocess& config, std::mt19937_64& rng, float* out) {
  config.validate();
  const int r = config.resolution;
  // convert_channels copies; skip it when the channels already match.
  Image converted;
  if (image.channels != config.channels) converted = convert_channels(image, config.channels);
  const Image& source = image.channels == config.channels ? image : converted;
  Image work;
  if (config.train && config.train_crop == Preprocess::TrainCrop::RandomResizedCrop) {
    CropBox box = random_resized_crop_box(source.height, source.width, rng, config.crop_scale,
                                          config.crop_ratio);
    work = resize_bilinear(crop(source, box.top, box.left, box.height, box.width), r, r);
  } else {
    work = eval_geometry(source, config);
    if (config.train && config.train_crop == Preprocess::TrainCrop::PadRandomCrop) {
      // Pad by p then take a random R x R window = a window offset by [-p, p] with zero fill.
      const int p = config.pad_pixels;
      int top = static_cast<int>(uniform_int(rng, 0, 2 * p)) - p;
      int left = static_cast<int>(uniform_int(rng, 0, 2 * p)) - p;
      work = crop(work, top, left, r, r);
    }
  }
  if (config.train && config.horizontal_flip && uniform01(rng) < 0.5) work = horizontal_flip(work);
  to_normalized_chw(work, config.mean, config.std, out);
  if (config.train && config.erasing_probability > 0)
    random_erase(out, config.channels, r, r, rng, config.erasing_probability);
}

ir::Tensor preprocess(const Image& image, const Preprocess& config, uint64_t seed) {
  config.validate();
  ir::Tensor out(ir::DType::Float32, {config.channels, config.resolution, config.resolution});
  std::mt19937_64 rng(seed);
  preprocess(image, config, rng, out.data<float>());
  return out;
}

}  // namespace qcv::data
