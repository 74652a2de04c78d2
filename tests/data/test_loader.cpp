// DataLoader: coverage per epoch, shuffling, drop_last, shards, determinism across thread counts,
// and worker errors, on an in-memory dataset whose pixels encode the sample index.
#include <gtest/gtest.h>

#include <algorithm>
#include <numeric>
#include <set>

#include "data/data.h"

namespace qcv::data {
namespace {

// Sample i: a 6x6 gray image filled with i % 251, label i % 7. Optionally throws for one index.
class CountingDataset : public Dataset {
 public:
  explicit CountingDataset(size_t size, int64_t failing_index = -1)
      : size_(size), failing_(failing_index) {
    for (int i = 0; i < 7; ++i) names_.push_back("c" + std::to_string(i));
  }
  size_t size() const override { return size_; }
  Example get(size_t index) const override {
    if (static_cast<int64_t>(index) == failing_) fail("counting: sample {} is broken", index);
    Example example;
    example.image = Image(6, 6, 1);
    for (size_t p = 0; p < example.image.pixels.size(); ++p)
      example.image.pixels[p] = uint8_t((index + p * 13) % 251);
    example.label = static_cast<int64_t>(index % 7);
    return example;
  }
  const std::vector<std::string>& class_names() const override { return names_; }
  std::string description() const override { return "counting"; }

 private:
  size_t size_;
  int64_t failing_;
  std::vector<std::string> names_;
};

Preprocess identity_eval() {
  Preprocess config = Preprocess::for_dataset("fashion-mnist", 6, false);
  config.mean = {0, 0, 0};
  config.std = {1, 1, 1};
  return config;
}

std::vector<Batch> run_epoch(DataLoader& loader, int64_t epoch) {
  loader.start_epoch(epoch);
  std::vector<Batch> batches;
  Batch batch;
  while (loader.next(batch)) batches.push_back(batch);
  return batches;
}

std::vector<int64_t> all_indices(const std::vector<Batch>& batches) {
  std::vector<int64_t> out;
  for (const Batch& b : batches) out.insert(out.end(), b.indices.begin(), b.indices.end());
  return out;
}

TEST(DataLoader, EveryIndexOnceWithMatchingImagesAndLabels) {
  auto dataset = std::make_shared<CountingDataset>(103);
  LoaderOptions options;
  options.batch_size = 10;
  options.workers = 3;
  options.seed = 11;
  DataLoader loader(dataset, identity_eval(), options);
  EXPECT_EQ(loader.batches_per_epoch(), 11u);
  for (int64_t epoch = 0; epoch < 2; ++epoch) {
    std::vector<Batch> batches = run_epoch(loader, epoch);
    ASSERT_EQ(batches.size(), 11u);
    EXPECT_EQ(batches.back().images.shape(), (ir::Shape{3, 1, 6, 6}));
    std::vector<int64_t> seen = all_indices(batches);
    std::vector<int64_t> sorted = seen;
    std::sort(sorted.begin(), sorted.end());
    std::vector<int64_t> expected(103);
    std::iota(expected.begin(), expected.end(), 0);
    EXPECT_EQ(sorted, expected) << "epoch " << epoch;
    EXPECT_NE(seen, expected) << "shuffled";
    EXPECT_EQ(seen, loader.epoch_indices(epoch));
    // Pixel 0 of each sample is index % 251, scaled to [0, 1]; labels are index % 7.
    for (const Batch& b : batches) {
      const float* images = b.images.data<float>();
      const int64_t* labels = b.labels.data<int64_t>();
      for (size_t i = 0; i < b.indices.size(); ++i) {
        EXPECT_FLOAT_EQ(images[i * 36], float(b.indices[i] % 251) / 255.0f);
        EXPECT_FLOAT_EQ(images[i * 36 + 1], float((b.indices[i] + 13) % 251) / 255.0f);
        EXPECT_EQ(labels[i], b.indices[i] % 7);
      }
    }
  }
  EXPECT_NE(loader.epoch_indices(0), loader.epoch_indices(1));
}

TEST(DataLoader, NoShuffleAndDropLast) {
  auto dataset = std::make_shared<CountingDataset>(25);
  LoaderOptions options;
  options.batch_size = 4;
  options.shuffle = false;
  options.drop_last = true;
  DataLoader loader(dataset, identity_eval(), options);
  std::vector<Batch> batches = run_epoch(loader, 0);
  ASSERT_EQ(batches.size(), 6u);
  EXPECT_EQ(loader.samples_per_epoch(), 24u);
  std::vector<int64_t> expected(24);
  std::iota(expected.begin(), expected.end(), 0);
  EXPECT_EQ(all_indices(batches), expected);
}

TEST(DataLoader, ShardsAreDisjointAndCoverTheDataset) {
  auto dataset = std::make_shared<CountingDataset>(103);
  for (bool pad : {false, true}) {
    std::multiset<int64_t> all;
    std::set<size_t> sizes;
    for (int rank = 0; rank < 4; ++rank) {
      LoaderOptions options;
      options.batch_size = 8;
      options.world_size = 4;
      options.rank = rank;
      options.pad_shards = pad;
      options.seed = 5;
      options.workers = 1;
      DataLoader loader(dataset, identity_eval(), options);
      std::vector<int64_t> shard = all_indices(run_epoch(loader, 3));
      EXPECT_EQ(shard.size(), loader.samples_per_epoch());
      sizes.insert(shard.size());
      all.insert(shard.begin(), shard.end());
    }
    for (int64_t i = 0; i < 103; ++i) EXPECT_GE(all.count(i), 1u) << i;
    if (pad) {
      EXPECT_EQ(sizes, (std::set<size_t>{26}));  // ceil(103 / 4), one sample repeated
      EXPECT_EQ(all.size(), 104u);
    } else {
      EXPECT_EQ(all.size(), 103u);  // disjoint
      EXPECT_EQ(sizes, (std::set<size_t>{25, 26}));
    }
  }
}

TEST(DataLoader, TrainAugmentationIsIdenticalForAnyThreadCount) {
  auto dataset = std::make_shared<CountingDataset>(57);
  Preprocess train = Preprocess::imagenet(5, true);  // random-resized-crop + flip
  train.erasing_probability = 0.5;
  std::vector<std::vector<float>> reference;
  for (int workers : {0, 1, 2, 5}) {
    LoaderOptions options;
    options.batch_size = 6;
    options.workers = workers;
    options.prefetch_batches = 2;
    options.seed = 99;
    DataLoader loader(dataset, train, options);
    std::vector<std::vector<float>> images;
    for (int64_t epoch = 0; epoch < 2; ++epoch)
      for (const Batch& b : run_epoch(loader, epoch)) images.push_back(b.images.to_float_vector());
    if (reference.empty()) {
      reference = images;
    } else {
      EXPECT_EQ(images, reference) << workers << " workers";
    }
  }
  // Augmentation depends on the epoch: the same sample differs between epochs.
  LoaderOptions options;
  options.shuffle = false;
  options.batch_size = 57;
  DataLoader loader(dataset, train, options);
  std::vector<float> a = run_epoch(loader, 0)[0].images.to_float_vector();
  std::vector<float> b = run_epoch(loader, 1)[0].images.to_float_vector();
  EXPECT_NE(a, b);
  EXPECT_EQ(a, run_epoch(loader, 0)[0].images.to_float_vector());
}

TEST(DataLoader, WorkerErrorsReachTheCaller) {
  auto dataset = std::make_shared<CountingDataset>(40, /*failing_index=*/17);
  for (int workers : {0, 2}) {
    LoaderOptions options;
    options.batch_size = 4;
    options.workers = workers;
    DataLoader loader(dataset, identity_eval(), options);
    loader.start_epoch(0);
    Batch batch;
    try {
      while (loader.next(batch)) {
      }
      ADD_FAILURE() << "expected an error";
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find("sample 17"), std::string::npos) << e.what();
    }
  }
}

TEST(DataLoader, RestartMidEpochAndBadOptions) {
  auto dataset = std::make_shared<CountingDataset>(200);
  LoaderOptions options;
  options.batch_size = 3;
  options.workers = 2;
  DataLoader loader(dataset, identity_eval(), options);
  Batch batch;
  loader.start_epoch(0);
  ASSERT_TRUE(loader.next(batch));
  loader.start_epoch(1);  // abandons the prefetch of epoch 0
  ASSERT_TRUE(loader.next(batch));
  std::vector<int64_t> order = loader.epoch_indices(1);
  EXPECT_EQ(batch.indices, std::vector<int64_t>(order.begin(), order.begin() + 3));
  // Destroying a loader mid-epoch joins its workers (the test would hang otherwise).

  LoaderOptions bad = options;
  bad.rank = 2;
  bad.world_size = 2;
  EXPECT_THROW(DataLoader(dataset, identity_eval(), bad), Error);
  bad = options;
  bad.batch_size = 0;
  EXPECT_THROW(DataLoader(dataset, identity_eval(), bad), Error);
  bad = options;
  bad.batch_size = 500;
  bad.drop_last = true;
  EXPECT_THROW(DataLoader(dataset, identity_eval(), bad), Error);
  EXPECT_THROW(DataLoader(nullptr, identity_eval(), options), Error);
}

TEST(RandomSubset, DistinctSortedReproducibleSamples) {
  auto dataset = std::make_shared<CountingDataset>(50);
  auto subset = random_subset(dataset, 10, 3);
  ASSERT_EQ(subset->size(), 10u);
  const std::vector<int64_t>& picked = subset->indices();
  EXPECT_TRUE(std::is_sorted(picked.begin(), picked.end()));
  EXPECT_EQ(std::set<int64_t>(picked.begin(), picked.end()).size(), 10u);
  for (size_t i = 0; i < picked.size(); ++i) {
    ASSERT_GE(picked[i], 0);
    ASSERT_LT(picked[i], 50);
    EXPECT_EQ(subset->get(i).label, picked[i] % 7);
  }
  EXPECT_EQ(random_subset(dataset, 10, 3)->indices(), picked);
  EXPECT_NE(random_subset(dataset, 10, 4)->indices(), picked);
  EXPECT_EQ(random_subset(dataset, 80, 3)->size(), 50u);
  EXPECT_EQ(subset->num_classes(), 7);
  EXPECT_THROW(SubsetDataset(dataset, {3, 50}), Error);
  // A subset feeds a loader like any dataset.
  LoaderOptions options;
  options.batch_size = 4;
  DataLoader loader(subset, identity_eval(), options);
  EXPECT_EQ(loader.batches_per_epoch(), 3u);
}

}  // namespace
}  // namespace qcv::data
