// Dataset names -> readers (see open_dataset in data.h).
#include <cstdlib>
#include <filesystem>

#include "data/data.h"

namespace qcv::data {
namespace fs = std::filesystem;
namespace {

constexpr const char* kFashionMnistDir = "/usr/share/datasets/fashion-mnist";

// MNIST and Fashion-MNIST share file names and format; only the class names differ.
std::shared_ptr<Dataset> open_mnist_like(const std::string& kind, const std::string& directory,
                                         const std::string& split) {
  std::string prefix;
  if (split == "train") {
    prefix = "train";
  } else if (split == "test" || split == "val") {
    prefix = "t10k";
  } else {
    fail("{}: unknown split '{}' (expected train or test)", kind, split);
  }
  // Debian ships the files gzip-compressed; accept uncompressed ones too.
  auto find = [&](const std::string& stem) {
    fs::path gz = fs::path(directory) / (stem + ".gz");
    fs::path raw = fs::path(directory) / stem;
    if (fs::exists(gz)) return gz.string();
    if (fs::exists(raw)) return raw.string();
    fail("{}: {} not found (nor {}.gz){}", kind, raw.string(), raw.string(),
         kind == "fashion-mnist"
             ? "; install Debian's dataset-fashion-mnist or set QCV_FASHION_MNIST_DIR"
             : "");
  };
  std::string images = find(prefix + "-images-idx3-ubyte");
  std::string labels = find(prefix + "-labels-idx1-ubyte");
  std::vector<std::string> names;
  if (kind == "fashion-mnist")
    names = fashion_mnist_class_names();
  else
    for (int digit = 0; digit < 10; ++digit) names.push_back(std::to_string(digit));
  return std::make_shared<IdxDataset>(images, labels, names, kind + "/" + split);
}

std::shared_ptr<Dataset> open_cifar10(const std::string& directory, const std::string& split) {
  std::vector<std::string> files;
  if (split == "train") {
    for (int i = 1; i <= 5; ++i)
      files.push_back(
          (fs::path(directory) / ("data_batch_" + std::to_string(i) + ".bin")).string());
  } else if (split == "test" || split == "val") {
    files.push_back((fs::path(directory) / "test_batch.bin").string());
  } else {
    fail("cifar10: unknown split '{}' (expected train or test)", split);
  }
  return std::make_shared<CifarDataset>(files, cifar10_class_names(), "cifar10/" + split);
}

}  // namespace

std::shared_ptr<Dataset> open_dataset(const std::string& name, const std::string& split,
                                      const ImageFolderOptions& folder_options) {
  if (name == "fashion-mnist") {
    const char* env = std::getenv("QCV_FASHION_MNIST_DIR");
    return open_mnist_like("fashion-mnist", env && *env ? env : kFashionMnistDir, split);
  }
  if (name.rfind("fashion-mnist:", 0) == 0)
    return open_mnist_like("fashion-mnist", name.substr(14), split);
  if (name.rfind("mnist:", 0) == 0) return open_mnist_like("mnist", name.substr(6), split);
  if (name.rfind("cifar10:", 0) == 0) return open_cifar10(name.substr(8), split);
  if (name.rfind("shards:", 0) == 0) {
    std::string spec = name.substr(7);
    std::error_code error;
    fs::path split_dir = fs::path(spec) / split;
    if (!split.empty() && fs::is_directory(split_dir, error)) spec = split_dir.string();
    ShardOptions options;
    options.channels = folder_options.channels;
    return std::make_shared<ShardDataset>(list_shards(spec), options);
  }
  std::error_code error;
  if (fs::is_directory(name, error)) {
    fs::path split_dir = fs::path(name) / split;
    std::string root =
        !split.empty() && fs::is_directory(split_dir, error) ? split_dir.string() : name;
    return std::make_shared<ImageFolderDataset>(root, folder_options);
  }
  fail(
      "unknown dataset '{}': expected fashion-mnist, fashion-mnist:<dir>, mnist:<dir>, "
      "cifar10:<dir>, shards:<dir or glob> or an ImageFolder directory",
      name);
}

}  // namespace qcv::data
