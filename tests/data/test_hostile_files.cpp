// Whole-file readers are bounded: a CIFAR batch (alone or all batches together) over the tensor
// ceiling is refused before it is read or copied, and a directory given as a file says so.
#include <gtest/gtest.h>

#include "data/data.h"
#include "data/file_io.h"
#include "data/test_files.h"

namespace qcv::data {
namespace {
using testing::expect_error;
using testing::ScopedEnv;
using testing::TempDir;

std::vector<uint8_t> cifar_records(size_t count) {
  std::vector<uint8_t> bytes(count * 3073, 5);
  for (size_t r = 0; r < count; ++r) bytes[r * 3073] = uint8_t(r % 10);
  return bytes;
}

TEST(HostileFiles, CifarBatchesAreBoundedByTheCeiling) {
  TempDir dir;
  testing::write_bytes(dir.file("three.bin"), cifar_records(3));  // 9219 bytes
  testing::write_bytes(dir.file("a.bin"), cifar_records(2));      // 6146 bytes each
  testing::write_bytes(dir.file("b.bin"), cifar_records(2));
  EXPECT_EQ(CifarDataset({dir.file("a.bin"), dir.file("b.bin")}).size(), 4u);  // no ceiling
  ScopedEnv ceiling("QCV_MAX_TENSOR_BYTES", "8K");
  expect_error([&] { CifarDataset({dir.file("three.bin")}); },
               {"three.bin", "9219 bytes exceeds the limit of 8192", "QCV_MAX_TENSOR_BYTES"});
  // Each file fits; the four images together (12288 bytes) do not.
  expect_error([&] { CifarDataset({dir.file("a.bin"), dir.file("b.bin")}); },
               {"b.bin", "CIFAR images of 2 batch files", "12288 bytes exceeds the limit of 8192"});
}

TEST(HostileFiles, WholeFileReadsRefuseDirectoriesAndOversizedFiles) {
  TempDir dir;
  expect_error([&] { read_file_bytes(dir.path()); }, {dir.path(), "is a directory"});
  expect_error([&] { read_image(dir.path()); }, {dir.path(), "is a directory"});
  testing::write_bytes(dir.file("ten.bin"), std::vector<uint8_t>(10, 1));
  expect_error([&] { read_file_bytes(dir.file("ten.bin"), 9); },
               {"ten.bin", "10 bytes exceeds the limit of 9"});
  EXPECT_EQ(read_file_bytes(dir.file("ten.bin"), 10).size(), 10u);
}

}  // namespace
}  // namespace qcv::data
