// Hostile IDX / gzip files: the header is read from a streaming inflate and checked before any
// data; ceilings (set low here) hold; truncated and corrupt gzip name the file.
#include <gtest/gtest.h>

#include "data/data.h"
#include "data/idx.h"
#include "data/test_files.h"

namespace qcv::data {
namespace {
using testing::expect_error;
using testing::ScopedEnv;
using testing::TempDir;

std::vector<uint8_t> concat(std::vector<uint8_t> a, const std::vector<uint8_t>& b) {
  a.insert(a.end(), b.begin(), b.end());
  return a;
}

TEST(HostileIdx, GzipBombStopsAtTheDecompressedCeiling) {
  TempDir dir;
  // A header that claims 4 M images of 28x28 (3.3 GB, under the default tensor ceiling) over
  // 8 MiB of zeros that compress to a few kB.
  std::vector<uint8_t> bomb = testing::gzip_bytes(
      concat(testing::idx_bytes({4000000, 28, 28}, {}), std::vector<uint8_t>(8 << 20, 0)));
  ASSERT_LT(bomb.size(), 64u << 10);
  testing::write_bytes(dir.file("bomb.idx3.gz"), bomb);
  {
    ScopedEnv ceiling("QCV_MAX_DECOMPRESSED_BYTES", "1M");
    expect_error([&] { IdxReader(dir.file("bomb.idx3.gz"), 3, "images").read_data(); },
                 {"bomb.idx3.gz", "inflates to more than 1048576 bytes",
                  "QCV_MAX_DECOMPRESSED_BYTES"});
  }
  // Under the default ceiling the claim is checked against what inflation yields: the reader
  // holds the 8 MiB that exist, not the 3.3 GB claimed.
  expect_error([&] { IdxReader(dir.file("bomb.idx3.gz"), 3, "images").read_data(); },
               {"bomb.idx3.gz", "truncated IDX data", "3136000000 bytes", "inflated file has 8388608"});
}

TEST(HostileIdx, HeaderIsCheckedBeforeTheDataIsInflated) {
  TempDir dir;
  // A bad magic in front of a bomb fails on the magic, with a ceiling far below the bomb.
  std::vector<uint8_t> bad = testing::idx_bytes({1000, 28, 28}, {});
  bad[2] = 0x0d;
  testing::write_bytes(dir.file("float.idx3.gz"),
                       testing::gzip_bytes(concat(bad, std::vector<uint8_t>(4 << 20, 0))));
  ScopedEnv ceiling("QCV_MAX_DECOMPRESSED_BYTES", "1K");
  expect_error([&] { IdxReader(dir.file("float.idx3.gz"), 3, "images"); },
               {"float.idx3.gz", "element type 0x0d"});
}

TEST(HostileIdx, ClaimedSizeOverTheTensorCeilingIsRefusedBeforeReading) {
  TempDir dir;
  ScopedEnv ceiling("QCV_MAX_TENSOR_BYTES", "1M");
  // 2000 x 28 x 28 = 1.5 MB claimed, 10 bytes present: refused on the claim, raw or gzip.
  std::vector<uint8_t> file = testing::idx_bytes({2000, 28, 28}, std::vector<uint8_t>(10, 1));
  testing::write_bytes(dir.file("big.idx3"), file);
  testing::write_bytes(dir.file("big.idx3.gz"), testing::gzip_bytes(file));
  for (const char* name : {"big.idx3", "big.idx3.gz"})
    expect_error([&] { IdxReader(dir.file(name), 3, "images"); },
                 {name, "1568000 bytes exceeds the limit of 1048576", "QCV_MAX_TENSOR_BYTES"});
  // Labels too (rank 1), through the dataset.
  testing::write_bytes(dir.file("many.idx1"), testing::idx_bytes({3000000}, {}));
  expect_error([&] { IdxDataset(dir.file("big.idx3"), dir.file("many.idx1")); },
               {"big.idx3", "exceeds the limit"});
}

TEST(HostileIdx, TruncatedAndCorruptGzipNameTheFile) {
  TempDir dir;
  std::vector<uint8_t> raw = testing::idx_bytes({64, 4, 4}, std::vector<uint8_t>(1024, 7));
  std::vector<uint8_t> gz = testing::gzip_bytes(raw);
  std::vector<uint8_t> cut(gz.begin(), gz.begin() + gz.size() / 2);
  testing::write_bytes(dir.file("cut.idx3.gz"), cut);
  expect_error([&] { IdxReader(dir.file("cut.idx3.gz"), 3, "images").read_data(); },
               {"cut.idx3.gz", "truncated gzip data"});
  // The trailer's CRC no longer matches the data.
  std::vector<uint8_t> bad_crc = gz;
  bad_crc[bad_crc.size() - 6] ^= 0xff;
  testing::write_bytes(dir.file("crc.idx3.gz"), bad_crc);
  expect_error([&] { IdxReader(dir.file("crc.idx3.gz"), 3, "images").read_data(); },
               {"crc.idx3.gz", "corrupt gzip data", "incorrect data check"});
  // More data inflated than the header claims.
  testing::write_bytes(dir.file("extra.idx3.gz"), testing::gzip_bytes(concat(raw, {1, 2})));
  expect_error([&] { IdxReader(dir.file("extra.idx3.gz"), 3, "images").read_data(); },
               {"extra.idx3.gz", "extra data"});
  // A valid file reads back exactly (raw and gzip agree).
  testing::write_bytes(dir.file("ok.idx3.gz"), gz);
  IdxReader ok(dir.file("ok.idx3.gz"), 3, "images");
  EXPECT_EQ(ok.dims(), (std::vector<uint32_t>{64, 4, 4}));
  EXPECT_EQ(ok.read_data(), std::vector<uint8_t>(1024, 7));
}

TEST(HostileIdx, CeilingEnvironmentValuesAreValidated) {
  TempDir dir;
  testing::write_bytes(dir.file("a.idx1"), testing::idx_bytes({1}, {0}));
  ScopedEnv ceiling("QCV_MAX_DECOMPRESSED_BYTES", "lots");
  expect_error([&] { IdxReader(dir.file("a.idx1"), 1, "labels"); },
               {"QCV_MAX_DECOMPRESSED_BYTES", "lots"});
}

}  // namespace
}  // namespace qcv::data
