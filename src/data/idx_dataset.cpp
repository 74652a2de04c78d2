// IDX (MNIST / Fashion-MNIST) reader. Format: 2 zero bytes, a type byte (0x08: unsigned byte), a
// dimension count, then one big-endian uint32 per dimension, then the data.
#include <fmt/format.h>

#include "data/data.h"
#include "data/file_io.h"

namespace qcv::data {
namespace {

struct IdxArray {
  std::vector<uint32_t> dims;
  std::vector<uint8_t> data;
};

uint32_t read_be32(const uint8_t* p) {
  return (uint32_t(p[0]) << 24) | (uint32_t(p[1]) << 16) | (uint32_t(p[2]) << 8) | uint32_t(p[3]);
}

IdxArray read_idx(const std::string& path, size_t expected_rank, const char* kind) {
  std::vector<uint8_t> bytes = read_maybe_gzip(path);
  if (bytes.size() < 4) fail("{}: truncated IDX file: {} bytes, no header", path, bytes.size());
  if (bytes[0] != 0 || bytes[1] != 0)
    fail("{}: bad IDX magic {:02x} {:02x} {:02x} {:02x} (expected 00 00 08 0{})", path, bytes[0],
         bytes[1], bytes[2], bytes[3], expected_rank);
  if (bytes[2] != 0x08)
    fail("{}: IDX element type 0x{:02x} is not supported (only 0x08, unsigned byte)", path,
         bytes[2]);
  if (bytes[3] != expected_rank)
    fail("{}: IDX file has {} dimensions, expected {} for an {} file", path, bytes[3],
         expected_rank, kind);
  size_t header = 4 + 4 * expected_rank;
  if (bytes.size() < header)
    fail("{}: truncated IDX header: {} bytes, expected at least {}", path, bytes.size(), header);
  IdxArray array;
  size_t count = 1;
  for (size_t i = 0; i < expected_rank; ++i) {
    uint32_t dim = read_be32(bytes.data() + 4 + 4 * i);
    array.dims.push_back(dim);
    // A corrupt header must not wrap the element count around to a size that looks right.
    if (dim != 0 && count > bytes.size() / dim)
      fail(
          "{}: truncated IDX data or corrupt header: dimensions [{}, ...] need more than the "
          "file's {} bytes",
          path, fmt::join(array.dims, ", "), bytes.size());
    count *= dim;
  }
  size_t payload = bytes.size() - header;
  if (payload < count)
    fail("{}: truncated IDX data: dimensions [{}] need {} bytes, file has {}", path,
         fmt::join(array.dims, ", "), count, payload);
  if (payload > count)
    fail("{}: IDX size mismatch: dimensions [{}] need {} bytes, file has {} (extra data)", path,
         fmt::join(array.dims, ", "), count, payload);
  array.data.assign(bytes.begin() + header, bytes.end());
  return array;
}

}  // namespace

IdxDataset::IdxDataset(const std::string& images_path, const std::string& labels_path,
                       std::vector<std::string> class_names, std::string description)
    : class_names_(std::move(class_names)), description_(std::move(description)) {
  IdxArray images = read_idx(images_path, 3, "images (idx3-ubyte)");
  IdxArray labels = read_idx(labels_path, 1, "labels (idx1-ubyte)");
  if (images.dims[0] != labels.dims[0])
    fail("{} has {} images but {} has {} labels", images_path, images.dims[0], labels_path,
         labels.dims[0]);
  if (images.dims[1] == 0 || images.dims[2] == 0 || images.dims[1] > 65535 ||
      images.dims[2] > 65535)
    fail("{}: unusable image size {}x{}", images_path, images.dims[1], images.dims[2]);
  rows_ = static_cast<int>(images.dims[1]);
  cols_ = static_cast<int>(images.dims[2]);
  pixels_ = std::move(images.data);
  labels_ = std::move(labels.data);
  int max_label = -1;
  for (uint8_t label : labels_) max_label = std::max<int>(max_label, label);
  if (class_names_.empty()) {
    for (int i = 0; i <= max_label; ++i) class_names_.push_back(std::to_string(i));
  } else if (max_label >= static_cast<int>(class_names_.size())) {
    fail("{}: label {} out of range for {} classes", labels_path, max_label, class_names_.size());
  }
  if (description_.empty()) description_ = images_path;
  description_ += fmt::format(" ({} images {}x{})", labels_.size(), rows_, cols_);
}

Example IdxDataset::get(size_t index) const {
  if (index >= labels_.size())
    fail("{}: index {} out of range (size {})", description_, index, labels_.size());
  Example example;
  example.image = Image(rows_, cols_, 1);
  size_t pixels = size_t(rows_) * cols_;
  std::copy_n(pixels_.begin() + index * pixels, pixels, example.image.pixels.begin());
  example.label = labels_[index];
  return example;
}

const std::vector<std::string>& fashion_mnist_class_names() {
  static const std::vector<std::string> names = {"T-shirt/top", "Trouser",   "Pullover", "Dress",
                                                 "Coat",        "Sandal",    "Shirt",    "Sneaker",
                                                 "Bag",         "Ankle boot"};
  return names;
}

}  // namespace qcv::data
