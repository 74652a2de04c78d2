// CIFAR-10 binary batches: each record is 1 label byte then 3072 pixel bytes, 1024 per colour
// plane (R, G, B), each plane 32 rows of 32.
#include <fmt/format.h>

#include "data/data.h"
#include "data/file_io.h"
#include "ir/limits.h"

namespace qcv::data {
namespace {
constexpr size_t kSide = 32;
constexpr size_t kPlane = kSide * kSide;
constexpr size_t kRecord = 1 + 3 * kPlane;
}  // namespace

const std::vector<std::string>& cifar10_class_names() {
  static const std::vector<std::string> names = {
      "airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"};
  return names;
}

CifarDataset::CifarDataset(const std::vector<std::string>& batch_paths,
                           std::vector<std::string> class_names, std::string description)
    : class_names_(std::move(class_names)), description_(std::move(description)) {
  if (batch_paths.empty()) fail("CIFAR dataset: no batch files given");
  for (const std::string& path : batch_paths) {
    std::vector<uint8_t> bytes = read_file_bytes(path);
    if (bytes.empty()) fail("{}: empty CIFAR batch file", path);
    if (bytes.size() % kRecord != 0)
      fail(
          "{}: truncated CIFAR batch: {} bytes is not a whole number of {}-byte records "
          "({} records and {} bytes left over)",
          path, bytes.size(), kRecord, bytes.size() / kRecord, bytes.size() % kRecord);
    size_t records = bytes.size() / kRecord;
    size_t first = labels_.size();
    // Each file is bounded by read_file_bytes; all of them together by the same ceiling.
    limits::checked_tensor_bytes({int64_t(first + records), int64_t(3 * kPlane)}, 1,
                                 fmt::format("{}: CIFAR images of {} batch files", path,
                                             batch_paths.size()));
    labels_.resize(first + records);
    pixels_.resize((first + records) * 3 * kPlane);
    for (size_t r = 0; r < records; ++r) {
      const uint8_t* record = bytes.data() + r * kRecord;
      if (record[0] >= class_names_.size())
        fail("{}: record {} has label {}, expected below {}", path, r, record[0],
             class_names_.size());
      labels_[first + r] = record[0];
      uint8_t* hwc = pixels_.data() + (first + r) * 3 * kPlane;
      for (size_t c = 0; c < 3; ++c)
        for (size_t i = 0; i < kPlane; ++i) hwc[i * 3 + c] = record[1 + c * kPlane + i];
    }
  }
  if (description_.empty()) description_ = fmt::format("{}", fmt::join(batch_paths, ","));
  description_ += fmt::format(" ({} images 32x32)", labels_.size());
}

Example CifarDataset::get(size_t index) const {
  if (index >= labels_.size())
    fail("{}: index {} out of range (size {})", description_, index, labels_.size());
  Example example;
  example.image = Image(kSide, kSide, 3);
  std::copy_n(pixels_.begin() + index * 3 * kPlane, 3 * kPlane, example.image.pixels.begin());
  example.label = labels_[index];
  return example;
}

}  // namespace qcv::data
