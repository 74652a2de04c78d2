// The real Fashion-MNIST from Debian's dataset-fashion-mnist, when installed: published sizes,
// class balance and first labels; pixel sums and statistics computed independently with
// Python's gzip + NumPy. Also prints loader throughput (no timing assertions).
#include <gtest/gtest.h>

#include <chrono>
#include <cmath>
#include <cstdio>
#include <ctime>
#include <filesystem>

#include "data/data.h"

namespace qcv::data {
namespace {

bool fashion_mnist_installed() {
  return std::filesystem::exists("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz");
}

TEST(FashionMnist, TestSplitMatchesPublishedFacts) {
  if (!fashion_mnist_installed()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  auto dataset = open_dataset("fashion-mnist", "test");
  ASSERT_EQ(dataset->size(), 10000u);
  ASSERT_EQ(dataset->num_classes(), 10);
  EXPECT_EQ(dataset->class_names()[0], "T-shirt/top");
  EXPECT_EQ(dataset->class_names()[9], "Ankle boot");
  std::vector<int> histogram(10);
  uint64_t pixel_sum = 0;
  for (size_t i = 0; i < dataset->size(); ++i) {
    Example example = dataset->get(i);
    ASSERT_EQ(example.image.height, 28);
    ASSERT_EQ(example.image.width, 28);
    ASSERT_EQ(example.image.channels, 1);
    ++histogram.at(example.label);
    for (uint8_t p : example.image.pixels) pixel_sum += p;
  }
  EXPECT_EQ(histogram, std::vector<int>(10, 1000));
  EXPECT_EQ(pixel_sum, 573469082u);  // numpy: images.astype(int64).sum()
  std::vector<int64_t> first;
  for (size_t i = 0; i < 10; ++i) first.push_back(dataset->get(i).label);
  EXPECT_EQ(first, (std::vector<int64_t>{9, 2, 1, 1, 6, 1, 4, 6, 5, 7}));
}

TEST(FashionMnist, TrainSplitNormalizesToZeroMeanUnitStdAndThroughput) {
  if (!fashion_mnist_installed()) GTEST_SKIP() << "dataset-fashion-mnist is not installed";
  std::shared_ptr<const Dataset> train = open_dataset("fashion-mnist", "train");
  ASSERT_EQ(train->size(), 60000u);
  EXPECT_EQ(train->get(0).label, 9);
  EXPECT_EQ(train->get(3).label, 3);

  // At 28x28 the eval pipeline is only normalization: with the published mean 0.2860 and std
  // 0.3530 (numpy over the train set: 0.28604, 0.35302) the output has mean ~0 and std ~1.
  LoaderOptions options;
  options.batch_size = 500;
  options.shuffle = false;
  DataLoader eval(train, Preprocess::for_dataset("fashion-mnist", 28, false), options);
  double sum = 0, sum_squares = 0;
  size_t count = 0;
  std::vector<int> histogram(10);
  Batch batch;
  eval.start_epoch(0);
  while (eval.next(batch)) {
    const float* x = batch.images.data<float>();
    for (int64_t i = 0; i < batch.images.numel(); ++i) sum += x[i], sum_squares += x[i] * x[i];
    count += batch.images.numel();
    for (int64_t i = 0; i < batch.labels.numel(); ++i) ++histogram[batch.labels.data<int64_t>()[i]];
  }
  double mean = sum / count;
  EXPECT_NEAR(mean, 0.0, 1e-3);
  EXPECT_NEAR(std::sqrt(sum_squares / count - mean * mean), 1.0, 1e-3);
  EXPECT_EQ(histogram, std::vector<int>(10, 6000));

  // Throughput at 32x32, batch 64, training augmentation (pad-crop + flip), one epoch each.
  for (int workers : {1, 2}) {
    LoaderOptions timed;
    timed.batch_size = 64;
    timed.workers = workers;
    DataLoader loader(train, Preprocess::for_dataset("fashion-mnist", 32, true), timed);
    auto start = std::chrono::steady_clock::now();
    std::clock_t cpu_start = std::clock();
    loader.start_epoch(0);
    size_t images = 0;
    while (loader.next(batch)) images += batch.indices.size();
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    double cpu_seconds = double(std::clock() - cpu_start) / CLOCKS_PER_SEC;
    // CPU time too: on a shared machine the wall time says more about the neighbours.
    std::printf(
        "[ throughput ] fashion-mnist train 32x32 batch 64, %d worker(s): %.0f images/s "
        "(wall), %.0f images per CPU-second\n",
        workers, images / seconds, images / cpu_seconds);
  }
}

}  // namespace
}  // namespace qcv::data
