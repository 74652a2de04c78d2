// The qcv side of bench/data_throughput.sh: images/s through qcv's DataLoader (decode +
// RandomResizedCrop + flip + normalize) over an ImageFolder or shards, one JSON line per run;
// for fashion-mnist / mnist:DIR / cifar10:DIR, that dataset's own training preprocessing
// (pad-crop + flip), e.g. `data_throughput fashion-mnist --resolution 32 --batch 64 --workers 2`.
// Usage: data_throughput DATASET [--workers N] [--batch B] [--resolution R]
//        [--downscale on|off] [--epochs E] [--open-only]
#include <chrono>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <string>

#include "data/data.h"

// The built-in datasets need a split; folders and shards use the path as given.
static std::string small_split(const std::string& name) {
  std::string kind = name.substr(0, name.find(':'));
  return kind == "fashion-mnist" || kind == "mnist" || kind == "cifar10" ? "train" : "";
}

int main(int argc, char** argv) {
  using namespace qcv::data;
  if (argc < 2) {
    std::fprintf(stderr,
                 "usage: %s DATASET [--workers N] [--batch B] [--resolution R] "
                 "[--downscale on|off] [--epochs E] [--open-only]\n",
                 argv[0]);
    return 2;
  }
  std::string name = argv[1];
  int workers = 1, batch = 64, resolution = 224, epochs = 2;
  bool downscale = true, open_only = false;
  for (int i = 2; i < argc; ++i) {
    std::string arg = argv[i];
    auto value = [&] { return i + 1 < argc ? argv[++i] : ""; };
    if (arg == "--workers")
      workers = std::atoi(value());
    else if (arg == "--batch")
      batch = std::atoi(value());
    else if (arg == "--resolution")
      resolution = std::atoi(value());
    else if (arg == "--epochs")
      epochs = std::atoi(value());
    else if (arg == "--downscale")
      downscale = std::strcmp(value(), "off") != 0;
    else if (arg == "--open-only")
      open_only = true;
  }
  try {
    using clock = std::chrono::steady_clock;
    auto t0 = clock::now();
    ImageFolderOptions folder;
    folder.verify = ImageFolderOptions::Verify::None;  // as torchvision: list files only
    std::shared_ptr<Dataset> dataset = open_dataset(name, small_split(name), folder);
    double open_s = std::chrono::duration<double>(clock::now() - t0).count();
    bool from_index = false;
    if (auto* f = dynamic_cast<ImageFolderDataset*>(dataset.get()))
      from_index = f->loaded_from_index();
    if (open_only) {
      std::printf("{\"open_s\": %.4f, \"images\": %zu, \"from_index\": %s}\n", open_s,
                  dataset->size(), from_index ? "true" : "false");
      return 0;
    }
    // The small datasets train with their own preset (pad-and-random-crop), as qcv train does.
    std::string kind = name.substr(0, name.find(':'));
    bool small = kind == "fashion-mnist" || kind == "mnist" || kind == "cifar10";
    Preprocess config = small ? Preprocess::for_dataset(kind == "mnist" ? "fashion-mnist" : kind,
                                                        resolution, true)
                              : Preprocess::imagenet(resolution, true);
    config.decode_downscale =
        downscale ? Preprocess::DecodeDownscale::On : Preprocess::DecodeDownscale::Off;
    LoaderOptions options;
    options.batch_size = batch;
    options.workers = workers;
    options.prefetch_batches = 2 * std::max(workers, 1);
    DataLoader loader(dataset, config, options);
    double best = 0;
    size_t all_images = 0;
    // CPU time too: on a shared machine the wall time says as much about the neighbours.
    std::clock_t cpu_start = std::clock();
    for (int epoch = 0; epoch < epochs; ++epoch) {
      auto start = clock::now();
      loader.start_epoch(epoch);
      Batch b;
      size_t images = 0;
      while (loader.next(b)) images += static_cast<size_t>(b.images.shape()[0]);
      double seconds = std::chrono::duration<double>(clock::now() - start).count();
      best = std::max(best, images / seconds);
      all_images += images;
    }
    double cpu_s = double(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    std::printf(
        "{\"images_per_s\": %.1f, \"images_per_cpu_s\": %.1f, \"workers\": %d, "
        "\"downscale\": %s, \"open_s\": %.4f}\n",
        best, all_images / cpu_s, workers, downscale ? "true" : "false", open_s);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "data_throughput: %s\n", e.what());
    return 1;
  }
  return 0;
}
