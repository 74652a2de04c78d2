// IDX (MNIST / Fashion-MNIST) dataset: an idx3-ubyte image file and an idx1-ubyte label file.
#include <fmt/format.h>

#include "data/data.h"
#include "data/idx.h"

namespace qcv::data {

IdxDataset::IdxDataset(const std::string& images_path, const std::string& labels_path,
                       std::vector<std::string> class_names, std::string description)
    : class_names_(std::move(class_names)), description_(std::move(description)) {
  // Both headers first: a mismatch or an absurd image size is refused before any data is read.
  IdxReader images(images_path, 3, "images (idx3-ubyte)");
  IdxReader labels(labels_path, 1, "labels (idx1-ubyte)");
  if (images.dims()[0] != labels.dims()[0])
    fail("{} has {} images but {} has {} labels", images_path, images.dims()[0], labels_path,
         labels.dims()[0]);
  if (images.dims()[1] == 0 || images.dims()[2] == 0 || images.dims()[1] > 65535 ||
      images.dims()[2] > 65535)
    fail("{}: unusable image size {}x{}", images_path, images.dims()[1], images.dims()[2]);
  rows_ = static_cast<int>(images.dims()[1]);
  cols_ = static_cast<int>(images.dims()[2]);
  labels_ = labels.read_data();
  pixels_ = images.read_data();
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
