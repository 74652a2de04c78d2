// qcv::data: datasets (IDX / Fashion-MNIST, CIFAR-10 binary, ImageFolder of JPEG/PNG), image
// preprocessing and augmentation, and a DataLoader that batches with prefetch threads.
//
// Determinism: every random choice for a sample comes from its own std::mt19937_64 seeded from
// (seed, epoch, dataset index) via sample_seed(), and shuffles come from (seed, epoch). Batches are
// therefore identical whatever the number of worker threads or their scheduling.
// Errors (bad files, bad options) throw qcv::Error naming the file and what is wrong.
#pragma once
#include <array>
#include <cstdint>
#include <functional>
#include <memory>
#include <random>
#include <string>
#include <vector>

#include "ir/tensor.h"

namespace qcv::data {

// ---------------------------------------------------------------------------------------------
// Images and datasets

// An 8-bit image, pixels interleaved HWC (row-major, channel fastest). channels is 1 or 3
// after decoding (grayscale / RGB).
struct Image {
  int height = 0;
  int width = 0;
  int channels = 0;
  std::vector<uint8_t> pixels;  // height * width * channels

  Image() = default;
  Image(int h, int w, int c) : height(h), width(w), channels(c), pixels(size_t(h) * w * c, 0) {}
  uint8_t& at(int y, int x, int c) { return pixels[(size_t(y) * width + x) * channels + c]; }
  uint8_t at(int y, int x, int c) const { return pixels[(size_t(y) * width + x) * channels + c]; }
};

struct Example {
  Image image;
  int64_t label = 0;
  // The stored image's size when `image` was decoded at a reduced scale (JPEG DCT-domain
  // downscale, see DecodeScale); 0 when `image` is the full-size decode.
  int full_height = 0;
  int full_width = 0;
};

// The size of an image as stored in its file (from the header).
struct ImageInfo {
  int height = 0;
  int width = 0;
  int channels = 0;  // 1 or 3 after decoding (gray or RGB)
};

// Chooses, from an image's stored size, the JPEG decode scale 1/d: returns d = 1, 2, 4 or 8.
using DecodeScale = std::function<int(int full_height, int full_width)>;

// A random-access labelled image collection. get() must be safe to call from several threads.
class Dataset {
 public:
  virtual ~Dataset() = default;
  virtual size_t size() const = 0;
  virtual Example get(size_t index) const = 0;
  virtual const std::vector<std::string>& class_names() const = 0;
  int num_classes() const { return static_cast<int>(class_names().size()); }
  // Short description for logs, e.g. "fashion-mnist/test (10000 images)".
  virtual std::string description() const = 0;
  // get() with a decode-time downscale: datasets of JPEG files call `scale` with the stored size
  // and decode at 1/d (libjpeg's DCT-domain scaling), setting Example::full_height/full_width.
  // The default ignores `scale` and returns get(index).
  virtual Example get_scaled(size_t index, const DecodeScale& scale) const;
};

// The most classes any dataset may have: a larger label or class list is refused (a label of 10^9
// in a shard without classes.txt would otherwise name a billion classes). ImageNet-21k has 21,841.
constexpr int64_t kMaxClasses = 1000000;

// Class names of the built-in datasets, in label order.
const std::vector<std::string>& fashion_mnist_class_names();
const std::vector<std::string>& cifar10_class_names();

// IDX files (the MNIST format): an idx3-ubyte image file [N, rows, cols] and an idx1-ubyte label
// file [N], each raw or gzip-compressed (detected from the content). Labels must be below the
// number of class names; if class_names is empty, they are "0".."max label".
class IdxDataset : public Dataset {
 public:
  IdxDataset(const std::string& images_path, const std::string& labels_path,
             std::vector<std::string> class_names = {}, std::string description = "");
  size_t size() const override { return labels_.size(); }
  Example get(size_t index) const override;
  const std::vector<std::string>& class_names() const override { return class_names_; }
  std::string description() const override { return description_; }
  int image_height() const { return rows_; }
  int image_width() const { return cols_; }
  const std::vector<uint8_t>& labels() const { return labels_; }

 private:
  int rows_ = 0, cols_ = 0;
  std::vector<uint8_t> pixels_;  // N * rows * cols
  std::vector<uint8_t> labels_;
  std::vector<std::string> class_names_;
  std::string description_;
};

// CIFAR-10 binary batches: records of 1 label byte + 3072 bytes (3 x 32 x 32, CHW, planes R G B).
// Records from all files are concatenated in the order given.
class CifarDataset : public Dataset {
 public:
  explicit CifarDataset(const std::vector<std::string>& batch_paths,
                        std::vector<std::string> class_names = cifar10_class_names(),
                        std::string description = "");
  size_t size() const override { return labels_.size(); }
  Example get(size_t index) const override;
  const std::vector<std::string>& class_names() const override { return class_names_; }
  std::string description() const override { return description_; }

 private:
  std::vector<uint8_t> pixels_;  // N * 32 * 32 * 3, stored HWC
  std::vector<uint8_t> labels_;
  std::vector<std::string> class_names_;
  std::string description_;
};

struct ImageFolderOptions {
  // 1 or 3: decoded images are converted to this many channels (gray->RGB by replication,
  // RGB->gray by ITU-R 601 luma as PIL's convert("L")); 0 keeps each file's own (1 or 3).
  int channels = 3;
  // Optional class list, one class per line: "<directory> [display name]". Its order defines the
  // labels; unlisted directories are ignored with a warning. Empty: sorted directory names.
  std::string class_list_file;
  // Bad images: false -> skipped with a warning naming the file; true -> qcv::Error.
  bool strict = false;
  // How much of each image to check when the folder is opened. None: list files only (fastest,
  // like torchvision; a bad file then fails in get()). Header: signature, size and colour type
  // from the first 64 KiB. Full: decode every image.
  enum class Verify { None, Header, Full };
  Verify verify = Verify::Header;
  // Where warnings go; default prints "qcv: warning: ..." on stderr.
  std::function<void(const std::string&)> warn;
  // The file index cache (see ImageFolderDataset). Empty: <root>/.qcv_index, or, when the root
  // is not writable, $XDG_CACHE_HOME (default ~/.cache)/qcv/index-<hash of the root path>.
  std::string index_path;
  bool use_index = true;  // false: always walk the tree, never read or write an index
};

// root/<class>/*.{jpg,jpeg,png} (case-insensitive extensions), like torchvision's ImageFolder:
// classes are sorted directory names (byte order) and files are sorted within each class.
// Symlinked directories are followed, but each directory is walked once per class (a link back
// to one already walked is skipped with a warning), so link loops cannot multiply the walk.
// The image format is detected from the file content, not its extension.
//
// File index cache: the first open walks the tree (readdir, no per-file stat), verifies as asked
// and writes an index (class names, relative paths, labels, verified image sizes, skipped files)
// atomically. Later opens with the same options read it instead of walking: a 1.28 M-file tree
// opens in a fraction of a second. Rule: the index is used only if every directory of the tree
// (the root, the class directories and their subdirectories) still has the modification time
// recorded, the class list file has the same mtime and size, and the index was verified at least
// as thoroughly as asked. Adding, removing or renaming a file or directory changes its parent
// directory's mtime, so that invalidates it; replacing a file's content in place does not (get()
// then fails on a bad file as usual). Directories modified within 2 s of the walk are recorded as
// unknown (their change could fall in the same mtime tick), so the next open walks again.
class ImageFolderDataset : public Dataset {
 public:
  explicit ImageFolderDataset(const std::string& root, ImageFolderOptions options = {});
  size_t size() const override { return files_.size(); }
  // Throws qcv::Error naming the file if it can no longer be decoded.
  Example get(size_t index) const override;
  Example get_scaled(size_t index, const DecodeScale& scale) const override;
  int64_t label(size_t index) const { return labels_.at(index); }
  // Stored sizes from the verification (empty when opened with Verify::None).
  const std::vector<ImageInfo>& image_sizes() const { return sizes_; }
  // Whether this open read the index cache instead of walking the tree, and the index path used.
  bool loaded_from_index() const { return loaded_from_index_; }
  const std::string& index_file() const { return index_file_; }
  const std::vector<std::string>& class_names() const override { return class_names_; }
  std::string description() const override;
  const std::string& path(size_t index) const { return files_.at(index); }
  // Files skipped as unreadable when the folder was opened (non-strict mode).
  const std::vector<std::string>& skipped() const { return skipped_; }

 private:
  void scan(const std::string& root);

  std::string root_;
  ImageFolderOptions options_;
  std::vector<std::string> class_names_;
  std::vector<std::string> files_;
  std::vector<int64_t> labels_;
  std::vector<ImageInfo> sizes_;
  std::vector<std::string> skipped_;
  bool loaded_from_index_ = false;
  std::string index_file_;
};

// ---------------------------------------------------------------------------------------------
// Tar shards (WebDataset's layout) for network filesystems: few large files read with pread.
//
// Layout: shard-000000.tar, shard-000001.tar, ... plain POSIX ustar archives. A sample is the
// members sharing a key (the member path up to the first '.' of its file name): <key>.jpg,
// <key>.jpeg or <key>.png holds the encoded image, <key>.cls the label as decimal text. Other
// members are ignored. An optional classes.txt beside the shards lists the class names in label
// order, one per line; without it the classes are "0".."max label". `qcv shards` writes this.
// Labels are decimal text below kMaxClasses; every member must lie inside its shard.

struct ShardOptions {
  int channels = 3;  // as ImageFolderOptions::channels
};

class ShardDataset : public Dataset {
 public:
  // Reads every shard's member headers (not the images) into an in-memory index. Throws
  // qcv::Error naming the shard and member on a truncated or corrupt archive.
  explicit ShardDataset(std::vector<std::string> shard_paths, ShardOptions options = {});
  ~ShardDataset() override;
  size_t size() const override { return samples_.size(); }
  Example get(size_t index) const override;
  Example get_scaled(size_t index, const DecodeScale& scale) const override;
  const std::vector<std::string>& class_names() const override { return class_names_; }
  std::string description() const override;
  const std::vector<std::string>& shards() const { return shards_; }
  // The sample's key and label (no image read).
  const std::string& key(size_t index) const { return samples_.at(index).key; }
  int64_t label(size_t index) const { return samples_.at(index).label; }
  // The encoded image bytes of a sample, read with pread.
  std::vector<uint8_t> read_image_bytes(size_t index) const;

 private:
  struct Sample {
    std::string key;
    uint32_t shard = 0;
    uint64_t offset = 0;  // of the image member's data
    uint64_t size = 0;
    int64_t label = 0;
  };
  ShardOptions options_;
  std::vector<std::string> shards_;
  std::vector<int> descriptors_;  // open shards (-1: opened per read, when there are too many)
  std::vector<Sample> samples_;
  std::vector<std::string> class_names_;
};

// "dir" -> dir/*.tar sorted; anything else is a glob(3) pattern (sorted). Throws if none match.
std::vector<std::string> list_shards(const std::string& dir_or_glob);

struct ShardWriterOptions {
  size_t samples_per_shard = 1000;
  bool shuffle = false;  // write the samples in a random order from `seed` (shards then mix
  uint64_t seed = 0;     // classes, which sequential readers of WebDataset expect)
  // Called after each sample with (written, total).
  std::function<void(size_t, size_t)> progress;
};

// Writes an ImageFolder's files, bytes unchanged, as shards out_dir/shard-NNNNNN.tar plus
// out_dir/classes.txt, all in a fresh temporary folder that then replaces out_dir (an existing
// out_dir must hold only an earlier run's shards). Keys are the sample number and the file name
// stem ("000000042_n01440764_10026"). Returns the shard paths.
std::vector<std::string> write_shards(const ImageFolderDataset& folder, const std::string& out_dir,
                                      const ShardWriterOptions& options = {});

// Some samples of another dataset, in the order given (calibration sets, validation splits).
class SubsetDataset : public Dataset {
 public:
  SubsetDataset(std::shared_ptr<const Dataset> base, std::vector<int64_t> indices);
  size_t size() const override { return indices_.size(); }
  Example get(size_t index) const override;
  Example get_scaled(size_t index, const DecodeScale& scale) const override;
  const std::vector<std::string>& class_names() const override { return base_->class_names(); }
  std::string description() const override;
  const std::vector<int64_t>& indices() const { return indices_; }

 private:
  std::shared_ptr<const Dataset> base_;
  std::vector<int64_t> indices_;
};

// `count` distinct samples of `base` chosen from `seed` (sorted by index), e.g. a PTQ
// calibration set; all of them if count >= size.
std::shared_ptr<SubsetDataset> random_subset(std::shared_ptr<const Dataset> base, size_t count,
                                             uint64_t seed);

// Opens a dataset by name:
//   "fashion-mnist"          Debian's dataset-fashion-mnist (/usr/share/datasets/fashion-mnist,
//                            or $QCV_FASHION_MNIST_DIR); split "train" (60000) or "test" (10000)
//   "fashion-mnist:<dir>"    the same four IDX files in <dir>
//   "mnist:<dir>"            MNIST's four IDX files (same names) in <dir>, classes "0".."9"
//   "cifar10:<dir>"          data_batch_1..5.bin (train) or test_batch.bin (test) in <dir>
//   "shards:<dir or glob>"   tar shards (ShardDataset): <dir>/<split>/*.tar if that directory
//                            exists, else <dir>/*.tar, or the shards matching a glob pattern
//   "<dir>"                  an ImageFolder: <dir>/<split> if that exists, else <dir> itself
std::shared_ptr<Dataset> open_dataset(const std::string& name, const std::string& split,
                                      const ImageFolderOptions& folder_options = {});

// ---------------------------------------------------------------------------------------------
// Image decoding (libjpeg-turbo, libpng); never aborts: corrupt input throws qcv::Error.

// Decodes JPEG or PNG bytes (format from the signature). Palette, 16-bit, gray+alpha and RGBA are
// normalized to 8-bit gray or RGB (alpha dropped), then converted to `channels` if it is 1 or 3.
// `name` is used in error messages.
Image decode_image(const uint8_t* bytes, size_t size, const std::string& name, int channels = 0);
Image read_image(const std::string& path, int channels = 0);
// Checks signature and header (size, colour type) only; throws qcv::Error if they are unusable.
void check_image_header(const std::string& path);
// The same check, returning the stored size.
ImageInfo read_image_header(const std::string& path);
ImageInfo decode_image_header(const uint8_t* bytes, size_t size, const std::string& name);

// JPEG DCT-domain downscale (libjpeg's scaled IDCT, like PIL's draft mode): a JPEG is decoded at
// 1/d of its size, d = choose(stored height, stored width) in {1, 2, 4, 8}; the output is
// ceil(size / d). This is an approximation of a full decode followed by a box-filter downscale
// (each output pixel comes from a reduced inverse DCT of its 8x8 block), several times faster.
// PNGs are always decoded at full size. *full receives the stored size.
Image decode_image_scaled(const uint8_t* bytes, size_t size, const std::string& name, int channels,
                          const DecodeScale& choose, ImageInfo* full);
// The largest d in {1, 2, 4, 8} with ceil(height / d) >= need_height and ceil(width / d) >=
// need_width (1 if even the full size is smaller).
int dct_scale_for(int height, int width, int need_height, int need_width);

// ---------------------------------------------------------------------------------------------
// Transforms: pure functions of their inputs.

// Bilinear resize with half-pixel centres and edge clamping, no antialiasing: the same as
// torchvision's tensor resize with antialias=False, OpenCV's INTER_LINEAR and ONNX Resize
// (linear, half_pixel). Outputs are rounded to nearest.
Image resize_bilinear(const Image& image, int out_height, int out_width);
// Resizes so that the shorter side is `size`; the longer side is int(size * long / short) (as
// torchvision).
Image resize_shorter_side(const Image& image, int size);
// Crops the box (top, left, height, width); parts outside the image are zero (as torchvision's
// center_crop padding).
Image crop(const Image& image, int top, int left, int height, int width);
// torchvision's center_crop: top = round((H - h) / 2), left = round((W - w) / 2), half to even.
Image center_crop(const Image& image, int height, int width);
Image horizontal_flip(const Image& image);
Image pad(const Image& image, int padding);  // zeros on every side
// 1 <-> 3 channels: gray->RGB replicates, RGB->gray is ITU-R 601 luma (PIL's convert("L")).
Image convert_channels(const Image& image, int channels);

// Writes the image as float CHW: out[c][y][x] = (pixel / 255 - mean[c]) / std[c].
void to_normalized_chw(const Image& image, const std::array<float, 3>& mean,
                       const std::array<float, 3>& std, float* out);

struct CropBox {
  int top = 0, left = 0, height = 0, width = 0;
};
// torchvision's RandomResizedCrop.get_params: 10 attempts at an area fraction in `scale` and a
// log-uniform aspect ratio in `ratio`; falls back to a center crop clamped to `ratio`.
CropBox random_resized_crop_box(int height, int width, std::mt19937_64& rng,
                                std::array<double, 2> scale = {0.08, 1.0},
                                std::array<double, 2> ratio = {3.0 / 4.0, 4.0 / 3.0});
// torchvision's RandomErasing on a normalized CHW tensor: with probability p, fills one random
// rectangle (area fraction in `scale`, log-uniform aspect in `ratio`, 10 attempts) with `value`.
// Returns whether it erased.
bool random_erase(float* chw, int channels, int height, int width, std::mt19937_64& rng,
                  double p = 0.5, std::array<double, 2> scale = {0.02, 0.33},
                  std::array<double, 2> ratio = {0.3, 3.3}, float value = 0.0f);

// Portable random helpers (the same numbers on every standard library).
double uniform01(std::mt19937_64& rng);                             // [0, 1)
int64_t uniform_int(std::mt19937_64& rng, int64_t lo, int64_t hi);  // [lo, hi], inclusive
// A seed for one sample: a hash of (seed, epoch, index).
uint64_t sample_seed(uint64_t seed, int64_t epoch, int64_t index);

// ---------------------------------------------------------------------------------------------
// Preprocessing pipelines: image -> float CHW [channels, resolution, resolution].

struct Preprocess {
  enum class Resize {
    ShorterSideThenCenterCrop,  // eval: shorter side to floor(R / crop_fraction), center crop R
    Direct,                     // resize to R x R (small datasets: 28x28 -> 32x32)
  };
  enum class TrainCrop {
    None,               // train uses the eval geometry
    RandomResizedCrop,  // torchvision's RandomResizedCrop(R) on the original image
    PadRandomCrop,      // resize as eval, zero-pad `pad_pixels`, random R x R crop
  };
  bool train = false;
  int resolution = 224;
  int channels = 3;  // 1 or 3
  Resize resize = Resize::ShorterSideThenCenterCrop;
  double crop_fraction = 0.875;  // torchvision / timm eval: 224 from 256
  std::array<float, 3> mean = {0.485f, 0.456f, 0.406f};
  std::array<float, 3> std = {0.229f, 0.224f, 0.225f};
  bool bgr = false;  // feed channels in B, G, R order (Caffe-style models); mean/std in that order
  // Training augmentation (used only when train is true).
  TrainCrop train_crop = TrainCrop::RandomResizedCrop;
  std::array<double, 2> crop_scale = {0.08, 1.0};
  std::array<double, 2> crop_ratio = {3.0 / 4.0, 4.0 / 3.0};
  int pad_pixels = 4;
  bool horizontal_flip = true;
  double erasing_probability = 0.0;  // RandomErasing p; 0 disables it
  // JPEG DCT-domain downscale at decode (DataLoader): decode big JPEGs at 1/2, 1/4 or 1/8 when
  // the pipeline still gets at least its output resolution from the smaller image (see
  // decode_scale). Auto: on in training (augmentation is an approximation anyway), off in eval
  // (results identical to a full decode, as the reference pipelines compute them).
  enum class DecodeDownscale { Auto, On, Off };
  DecodeDownscale decode_downscale = DecodeDownscale::Auto;

  // ImageNet-style (ONNX Model Zoo MobileNet/ResNet preprocessing).
  static Preprocess imagenet(int resolution, bool train);
  // Defaults for a named dataset ("fashion-mnist", "cifar10", anything else -> imagenet):
  // small datasets resize directly and train with pad-and-random-crop + flip.
  static Preprocess for_dataset(const std::string& name, int resolution, bool train,
                                int channels = 0);  // 0: the dataset's own (1 for Fashion-MNIST)
  size_t output_size() const { return size_t(channels) * resolution * resolution; }
  // Throws qcv::Error for unusable settings (channels not 1 or 3, resolution <= 0, ...).
  void validate() const;
  bool downscales_decode() const;  // decode_downscale resolved for train / eval
  // The decode scale d (1, 2, 4, 8) for an image stored at full_height x full_width: the largest
  // with which no pixel is upsampled more than from the full image: eval / Direct / PadRandomCrop
  // need the resized size (shorter side floor(R / crop_fraction), or R x R) from the decoded
  // image; RandomResizedCrop needs its crop box (drawn from a copy of `rng`, the same box
  // preprocess() then draws) to stay >= R x R. 1 when downscales_decode() is false.
  int decode_scale(int full_height, int full_width, std::mt19937_64 rng) const;
};

// Runs the pipeline on one image, writing output_size() floats. `rng` is used only in training.
void preprocess(const Image& image, const Preprocess& config, std::mt19937_64& rng, float* out);
// The same for an example that may have been decoded downscaled (Example::full_height/width set):
// random parameters and output geometry come from the stored size, so the random stream is the
// same as with a full decode; crop boxes are mapped to the smaller image (rounded to pixels).
void preprocess(const Example& example, const Preprocess& config, std::mt19937_64& rng, float* out);
// The same as a [channels, resolution, resolution] float tensor, randomness from sample_seed.
ir::Tensor preprocess(const Image& image, const Preprocess& config, uint64_t seed = 0);

// ---------------------------------------------------------------------------------------------
// Batching

struct LoaderOptions {
  int batch_size = 64;
  bool shuffle = true;     // a new permutation each epoch, from (seed, epoch)
  bool drop_last = false;  // drop the last incomplete batch
  int workers = 2;         // prefetch threads; 0 runs everything in the caller's thread
  int prefetch_batches = 4;
  uint64_t seed = 0;
  // Sharding for distributed training: this rank takes positions rank, rank + world_size, ...
  // of the epoch's (shuffled) order, so shards are disjoint and together cover the dataset.
  int rank = 0;
  int world_size = 1;
  // Repeat the first indices of the order so that every rank gets ceil(N / world_size) samples
  // (torch's DistributedSampler); needed when ranks must run the same number of steps.
  bool pad_shards = false;
};

struct Batch {
  ir::Tensor images;             // float32 [N, C, R, R]
  ir::Tensor labels;             // int64 [N]
  std::vector<int64_t> indices;  // the dataset index of each sample
};

// Yields the batches of an epoch in order; worker threads decode and augment up to
// prefetch_batches ahead. The content of every batch depends only on (options, epoch).
class DataLoader {
 public:
  DataLoader(std::shared_ptr<const Dataset> dataset, Preprocess preprocess,
             LoaderOptions options = {});
  ~DataLoader();
  DataLoader(const DataLoader&) = delete;
  DataLoader& operator=(const DataLoader&) = delete;

  // Starts (or restarts) an epoch; any prefetch of the previous one is abandoned.
  void start_epoch(int64_t epoch);
  // The next batch of the current epoch; false when the epoch is over. Rethrows (as qcv::Error)
  // the first error a worker met.
  bool next(Batch& batch);

  // This rank's dataset indices for an epoch, in the order they are batched.
  std::vector<int64_t> epoch_indices(int64_t epoch) const;
  size_t batches_per_epoch() const;
  size_t samples_per_epoch() const;  // after sharding and drop_last
  const Dataset& dataset() const { return *dataset_; }
  const Preprocess& preprocessing() const { return preprocess_; }
  const LoaderOptions& options() const { return options_; }

 private:
  struct Epoch;
  std::shared_ptr<const Dataset> dataset_;
  Preprocess preprocess_;
  LoaderOptions options_;
  std::unique_ptr<Epoch> epoch_;
};

}  // namespace qcv::data
