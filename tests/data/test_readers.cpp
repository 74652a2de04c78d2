// IDX and CIFAR-10 readers on small files written here, including broken ones.
#include <gtest/gtest.h>

#include "data/data.h"
#include "data/test_files.h"

namespace qcv::data {
namespace {
using testing::expect_error;
using testing::TempDir;

struct IdxFiles {
  std::vector<uint8_t> images;  // 3 images of 2 x 3
  std::vector<uint8_t> labels;
  IdxFiles() {
    std::vector<uint8_t> pixels;
    for (int i = 0; i < 18; ++i) pixels.push_back(uint8_t(10 * i));
    images = testing::idx_bytes({3, 2, 3}, pixels);
    labels = testing::idx_bytes({3}, {7, 0, 2});
  }
};

void check_idx_content(const IdxDataset& dataset) {
  ASSERT_EQ(dataset.size(), 3u);
  EXPECT_EQ(dataset.image_height(), 2);
  EXPECT_EQ(dataset.image_width(), 3);
  Example second = dataset.get(1);
  EXPECT_EQ(second.label, 0);
  ASSERT_EQ(second.image.channels, 1);
  // Image 1 holds bytes 6..11 of the data: 60, 70, ... row-major.
  EXPECT_EQ(second.image.at(0, 0, 0), 60);
  EXPECT_EQ(second.image.at(1, 2, 0), 110);
  EXPECT_EQ(dataset.get(0).label, 7);
  EXPECT_EQ(dataset.get(2).label, 2);
  EXPECT_EQ(dataset.num_classes(), 8);  // "0".."7" without explicit names
}

TEST(IdxDataset, ReadsRawAndGzip) {
  TempDir dir;
  IdxFiles files;
  testing::write_bytes(dir.file("img.idx3"), files.images);
  testing::write_bytes(dir.file("lab.idx1"), files.labels);
  testing::write_bytes(dir.file("img.idx3.gz"), testing::gzip_bytes(files.images));
  testing::write_bytes(dir.file("lab.idx1.gz"), testing::gzip_bytes(files.labels));
  check_idx_content(IdxDataset(dir.file("img.idx3"), dir.file("lab.idx1")));
  check_idx_content(IdxDataset(dir.file("img.idx3.gz"), dir.file("lab.idx1.gz")));
  // Mixed: compression is detected per file from its content.
  check_idx_content(IdxDataset(dir.file("img.idx3.gz"), dir.file("lab.idx1")));
}

TEST(IdxDataset, RejectsBrokenFiles) {
  TempDir dir;
  IdxFiles files;
  std::string labels = dir.file("lab.idx1");
  testing::write_bytes(labels, files.labels);

  std::vector<uint8_t> truncated(files.images.begin(), files.images.end() - 5);
  testing::write_bytes(dir.file("short.idx3"), truncated);
  expect_error([&] { IdxDataset(dir.file("short.idx3"), labels); },
               {"short.idx3", "truncated", "18 bytes", "13"});

  std::vector<uint8_t> bad_magic = files.images;
  bad_magic[0] = 0x12;
  testing::write_bytes(dir.file("magic.idx3"), bad_magic);
  expect_error([&] { IdxDataset(dir.file("magic.idx3"), labels); }, {"magic.idx3", "magic"});

  // Labels file given as the images file: wrong rank.
  expect_error([&] { IdxDataset(labels, labels); }, {"lab.idx1", "1 dimensions, expected 3"});

  testing::write_bytes(dir.file("header.idx3"), {0, 0, 8, 3, 0, 0});
  expect_error([&] { IdxDataset(dir.file("header.idx3"), labels); },
               {"header.idx3", "truncated IDX header"});

  std::vector<uint8_t> extra = files.images;
  extra.push_back(1);
  testing::write_bytes(dir.file("extra.idx3"), extra);
  expect_error([&] { IdxDataset(dir.file("extra.idx3"), labels); }, {"extra.idx3", "extra"});

  // Dimensions whose product wraps around 64 bits must not pass for an empty file.
  testing::write_bytes(dir.file("wrap.idx3"),
                       testing::idx_bytes({0x80000000u, 0x80000000u, 4}, {}));
  expect_error([&] { IdxDataset(dir.file("wrap.idx3"), labels); }, {"wrap.idx3", "overflows"});

  // Counts that disagree between images and labels.
  testing::write_bytes(dir.file("img.idx3"), files.images);
  testing::write_bytes(dir.file("four.idx1"), testing::idx_bytes({4}, {1, 2, 3, 4}));
  expect_error([&] { IdxDataset(dir.file("img.idx3"), dir.file("four.idx1")); },
               {"img.idx3", "3 images", "four.idx1", "4 labels"});

  // A gzip stream cut short.
  std::vector<uint8_t> gz = testing::gzip_bytes(files.images);
  gz.resize(gz.size() / 2);
  testing::write_bytes(dir.file("cut.idx3.gz"), gz);
  expect_error([&] { IdxDataset(dir.file("cut.idx3.gz"), labels); }, {"cut.idx3.gz", "gzip"});

  // Labels beyond the class names given.
  expect_error(
      [&] {
        IdxDataset(dir.file("img.idx3"), labels, {"a", "b", "c"});
      },
      {"lab.idx1", "label 7"});

  expect_error([&] { IdxDataset(dir.file("missing.idx3"), labels); },
               {"missing.idx3", "cannot open"});
}

std::vector<uint8_t> cifar_record(uint8_t label, uint8_t base) {
  std::vector<uint8_t> record = {label};
  // Plane c, pixel i: base + c * 50 + (i % 7).
  for (int c = 0; c < 3; ++c)
    for (int i = 0; i < 1024; ++i) record.push_back(uint8_t(base + c * 50 + i % 7));
  return record;
}

TEST(CifarDataset, ReadsRecordsAcrossBatchFiles) {
  TempDir dir;
  std::vector<uint8_t> first = cifar_record(3, 0);
  std::vector<uint8_t> second = cifar_record(9, 1);
  first.insert(first.end(), second.begin(), second.end());
  testing::write_bytes(dir.file("data_batch_1.bin"), first);
  testing::write_bytes(dir.file("data_batch_2.bin"), cifar_record(0, 2));
  CifarDataset dataset({dir.file("data_batch_1.bin"), dir.file("data_batch_2.bin")});
  ASSERT_EQ(dataset.size(), 3u);
  EXPECT_EQ(dataset.num_classes(), 10);
  EXPECT_EQ(dataset.class_names()[9], "truck");
  Example example = dataset.get(1);
  EXPECT_EQ(example.label, 9);
  ASSERT_EQ(example.image.height, 32);
  ASSERT_EQ(example.image.channels, 3);
  // Pixel (y=2, x=5) is plane index i = 69; 69 % 7 = 6.
  EXPECT_EQ(example.image.at(2, 5, 0), 1 + 6);
  EXPECT_EQ(example.image.at(2, 5, 1), 1 + 50 + 6);
  EXPECT_EQ(example.image.at(2, 5, 2), 1 + 100 + 6);
  EXPECT_EQ(dataset.get(2).label, 0);
  EXPECT_EQ(dataset.get(2).image.at(0, 0, 2), 102);
}

TEST(CifarDataset, RejectsTruncatedAndBadLabels) {
  TempDir dir;
  std::vector<uint8_t> record = cifar_record(1, 0);
  record.pop_back();
  testing::write_bytes(dir.file("short.bin"), record);
  expect_error([&] { CifarDataset({dir.file("short.bin")}); },
               {"short.bin", "truncated", "3072 bytes"});
  testing::write_bytes(dir.file("label.bin"), cifar_record(10, 0));
  expect_error([&] { CifarDataset({dir.file("label.bin")}); }, {"label.bin", "label 10"});
}

TEST(OpenDataset, MnistLayoutDirectories) {
  TempDir dir;
  IdxFiles files;
  // Fashion-MNIST's names, gzip-compressed (as Debian ships them) for test, raw for train.
  testing::write_bytes(dir.file("t10k-images-idx3-ubyte.gz"), testing::gzip_bytes(files.images));
  testing::write_bytes(dir.file("t10k-labels-idx1-ubyte.gz"), testing::gzip_bytes(files.labels));
  testing::write_bytes(dir.file("train-images-idx3-ubyte"), files.images);
  testing::write_bytes(dir.file("train-labels-idx1-ubyte"), files.labels);
  auto fashion = open_dataset("fashion-mnist:" + dir.path(), "test");
  ASSERT_EQ(fashion->size(), 3u);
  EXPECT_EQ(fashion->class_names()[7], "Sneaker");
  EXPECT_EQ(fashion->get(0).label, 7);
  auto mnist = open_dataset("mnist:" + dir.path(), "train");
  ASSERT_EQ(mnist->size(), 3u);
  EXPECT_EQ(mnist->class_names()[7], "7");
  EXPECT_EQ(mnist->get(1).image.at(0, 0, 0), 60);
}

TEST(OpenDataset, NamesAndErrors) {
  TempDir dir;
  std::vector<uint8_t> records = cifar_record(4, 0);
  testing::write_bytes(dir.file("test_batch.bin"), records);
  auto cifar = open_dataset("cifar10:" + dir.path(), "test");
  EXPECT_EQ(cifar->size(), 1u);
  EXPECT_EQ(cifar->get(0).label, 4);
  expect_error([&] { open_dataset("cifar10:" + dir.path(), "train"); }, {"data_batch_1.bin"});
  expect_error([&] { open_dataset("fashion-mnist:" + dir.path(), "test"); },
               {"t10k-images-idx3-ubyte"});
  expect_error([&] { open_dataset("fashion-mnist", "dev"); }, {"split 'dev'"});
  expect_error([&] { open_dataset("no-such-dataset", "train"); }, {"no-such-dataset"});
}

}  // namespace
}  // namespace qcv::data
