// Hostile tar shards, built by hand here (independently of qcv's TarWriter): sizes near 2^64 in
// base-256 or pax must not wrap the offset (the old reader looped forever on one header), pax
// records are parsed with bounds, labels are bounded, members beyond the file are refused.
#include <gtest/gtest.h>

#include <cstring>
#include <filesystem>

#include "data/data.h"
#include "data/test_files.h"

namespace qcv::data {
namespace {
using testing::expect_error;
using testing::ScopedEnv;
using testing::TempDir;

// A ustar header; `size_field` is the 12 raw bytes of the size field (octal text or base-256).
std::vector<uint8_t> header(const std::string& name, const std::vector<uint8_t>& size_field,
                            char type = '0') {
  std::vector<uint8_t> h(512, 0);
  std::memcpy(h.data(), name.data(), std::min<size_t>(name.size(), 100));
  std::memcpy(h.data() + 100, "0000644", 7);
  std::memcpy(h.data() + 124, size_field.data(), 12);
  h[156] = static_cast<uint8_t>(type);
  std::memcpy(h.data() + 257, "ustar\0" "00", 8);
  std::memset(h.data() + 148, ' ', 8);
  unsigned sum = 0;
  for (uint8_t b : h) sum += b;
  std::snprintf(reinterpret_cast<char*>(h.data() + 148), 8, "%06o", sum);
  return h;
}

std::vector<uint8_t> octal(uint64_t size) {
  char text[13];
  std::snprintf(text, sizeof(text), "%011llo", static_cast<unsigned long long>(size));
  return std::vector<uint8_t>(text, text + 12);
}

// A member: header, data, padding to 512.
void add(std::vector<uint8_t>& tar, const std::string& name, const std::string& data,
         char type = '0') {
  std::vector<uint8_t> h = header(name, octal(data.size()), type);
  tar.insert(tar.end(), h.begin(), h.end());
  tar.insert(tar.end(), data.begin(), data.end());
  tar.resize((tar.size() + 511) / 512 * 512, 0);
}

void finish(std::vector<uint8_t>& tar) { tar.resize(tar.size() + 1024, 0); }

// A pax 'x' header carrying these records, then the member it describes.
std::string pax_record(const std::string& key, const std::string& value) {
  std::string body = " " + key + "=" + value + "\n";
  size_t length = body.size() + 1;
  while (std::to_string(length).size() + body.size() != length) ++length;
  return std::to_string(length) + body;
}

struct Shard {
  TempDir dir;
  std::string path = dir.file("s/shard.tar");
  void open(const std::vector<uint8_t>& bytes) {
    testing::write_bytes(path, bytes);
    ShardDataset shards({path});
  }
};

TEST(HostileTar, Base256SizeNearTwoTo64DoesNotWrapTheOffset) {
  Shard shard;
  // 2^64 - 512: with wrapping arithmetic, header + padded size is 0 and the reader re-reads the
  // same header forever.
  std::vector<uint8_t> size = {0x80, 0, 0, 0, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xfe, 0x00};
  std::vector<uint8_t> tar = header("a.jpg", size);
  tar.resize(4096, 0);
  expect_error([&] { shard.open(tar); },
               {"shard.tar", "truncated", "'a.jpg'", "18446744073709551104 bytes"});
  // The same on a member type whose data is skipped (a directory).
  tar = header("dir/", size, '5');
  tar.resize(4096, 0);
  expect_error([&] { shard.open(tar); }, {"shard.tar", "truncated", "'dir/'"});
}

TEST(HostileTar, PaxSizesAndRecordsAreParsedWithBounds) {
  Shard shard;
  auto with_pax = [](const std::string& records) {
    std::vector<uint8_t> tar;
    add(tar, "PaxHeaders/a.jpg", records, 'x');
    add(tar, "a.jpg", "12345678");
    add(tar, "a.cls", "0");
    finish(tar);
    return tar;
  };
  expect_error([&] { shard.open(with_pax(pax_record("size", "18446744073709551104"))); },
               {"shard.tar", "truncated", "'a.jpg'"});
  expect_error([&] { shard.open(with_pax(pax_record("size", "99999999999999999999999"))); },
               {"shard.tar", "corrupt pax", "size is not a decimal"});
  expect_error([&] { shard.open(with_pax(pax_record("size", "-1"))); },
               {"shard.tar", "corrupt pax", "size is not a decimal"});
  // A record length far past the data (near 2^64: wrapped, it pointed back into the record).
  expect_error([&] { shard.open(with_pax("18446744073709551615 path=x\n")); },
               {"shard.tar", "corrupt pax", "length does not match"});
  expect_error([&] { shard.open(with_pax("5 path=x\n")); },
               {"shard.tar", "corrupt pax", "length does not match"});
  expect_error([&] { shard.open(with_pax("x path=y\n")); },
               {"shard.tar", "corrupt pax", "not a decimal"});
  // A good pax header renames and resizes the member.
  std::vector<uint8_t> good =
      with_pax(pax_record("path", "k.png") + pax_record("size", "4"));
  testing::write_bytes(shard.path, good);
  std::vector<uint8_t> renamed;
  add(renamed, "PaxHeaders/x", pax_record("path", "k.png"), 'x');
  add(renamed, "ignored", "abcd");
  add(renamed, "k.cls", "3\n");
  finish(renamed);
  testing::write_bytes(shard.path, renamed);
  ShardDataset data({shard.path});
  ASSERT_EQ(data.size(), 1u);
  EXPECT_EQ(data.key(0), "k");
  EXPECT_EQ(data.label(0), 3);
  EXPECT_EQ(data.read_image_bytes(0), (std::vector<uint8_t>{'a', 'b', 'c', 'd'}));
}

TEST(HostileTar, LabelsAreBoundedWithoutAClassList) {
  Shard shard;
  auto with_label = [](const std::string& label) {
    std::vector<uint8_t> tar;
    add(tar, "a.jpg", "x");
    add(tar, "a.cls", label);
    finish(tar);
    return tar;
  };
  // A billion class names would be made from one label.
  expect_error([&] { shard.open(with_label("1000000000")); },
               {"shard.tar", "a.cls", "'1000000000'", "not an integer from 0 to 999999"});
  expect_error([&] { shard.open(with_label("99999999999999999999")); }, {"a.cls", "not an integer"});
  expect_error([&] { shard.open(with_label("-1")); }, {"a.cls", "not an integer"});
  expect_error([&] { shard.open(with_label("+5")); }, {"a.cls", "not an integer"});
  // A NUL inside: refused, and shown escaped so the message stays whole and on one line.
  expect_error([&] { shard.open(with_label(std::string("5\0 9\n", 5))); },
               {"a.cls", "'5\\x00 9\\x0a'", "not an integer"});
  testing::write_bytes(shard.path, with_label("999999\n"));
  ShardDataset largest({shard.path});
  EXPECT_EQ(largest.num_classes(), 1000000);
}

TEST(HostileTar, MembersBeyondTheFileOrTheCeilingAreRefused) {
  Shard shard;
  std::vector<uint8_t> tar;
  add(tar, "a.jpg", std::string(3000, 'j'));
  add(tar, "a.cls", "1");
  finish(tar);
  // The image member claims more than the file holds.
  std::vector<uint8_t> lying = tar;
  std::vector<uint8_t> h = header("a.jpg", octal(1 << 20));
  std::copy(h.begin(), h.end(), lying.begin());
  expect_error([&] { shard.open(lying); }, {"shard.tar", "truncated", "'a.jpg'", "1048576"});
  ScopedEnv ceiling("QCV_MAX_TENSOR_BYTES", "2K");
  expect_error([&] { shard.open(tar); },
               {"shard.tar", "'a.jpg' is 3000 bytes", "limit of 2048", "QCV_MAX_TENSOR_BYTES"});
}

// fuzz_tar ran out of file descriptors after 538,000 inputs: a shard refused after its members
// were listed (here: a label without an image) kept its descriptor open, a constructor that
// throws runs no destructor. Open descriptors are counted in /proc/self/fd.
TEST(HostileTar, RefusedShardsLeaveNoDescriptorOpen) {
  auto open_descriptors = [] {
    size_t n = 0;
    for (const auto& entry : std::filesystem::directory_iterator("/proc/self/fd")) {
      (void)entry;
      ++n;
    }
    return n;
  };
  Shard first, second;
  std::vector<uint8_t> good;
  add(good, "a.jpg", "12345678");
  add(good, "a.cls", "0");
  finish(good);
  std::vector<uint8_t> bad;
  add(bad, "b.cls", "1");
  finish(bad);
  testing::write_bytes(first.path, good);
  testing::write_bytes(second.path, bad);
  const size_t before = open_descriptors();
  for (int i = 0; i < 20; ++i) {
    expect_error([&] { ShardDataset({second.path}); }, {"shard.tar", "has a .cls but no"});
    // The good shard is opened (and kept open) before the bad one is refused.
    expect_error([&] { ShardDataset({first.path, second.path}); }, {"has a .cls but no"});
  }
  EXPECT_EQ(open_descriptors(), before);
}

}  // namespace
}  // namespace qcv::data
