// MappedInputFile (a model file parsed from the page cache) gives the bytes read_input_file
// reads, and the same errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "ir/error.h"
#include "ir/input_file.h"

namespace qcv::ir {
namespace {
namespace fs = std::filesystem;

struct TempFolder {
  std::string path;
  TempFolder() {
    path = ::testing::TempDir() + "qcv_mapped_" + std::to_string(::getpid()) + "_" +
           ::testing::UnitTest::GetInstance()->current_test_info()->name();
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~TempFolder() { fs::remove_all(path); }
  std::string write(const std::string& name, const std::string& bytes) const {
    std::ofstream(path + "/" + name, std::ios::binary) << bytes;
    return path + "/" + name;
  }
};

TEST(MappedInputFile, HoldsTheBytesOfTheFile) {
  TempFolder dir;
  std::string bytes;
  for (int i = 0; i < 3 * 4096 + 17; ++i) bytes.push_back(static_cast<char>((i * 131) % 256));
  const std::string path = dir.write("m.bin", bytes);
  MappedInputFile file(path, 1 << 20);
  ASSERT_EQ(file.size(), bytes.size());
  EXPECT_EQ(std::string(file.data(), file.size()), bytes);
  EXPECT_EQ(std::string(file.data(), file.size()), read_input_file(path, 1 << 20));
  file.release();
  EXPECT_EQ(file.size(), 0u);
}

TEST(MappedInputFile, EmptyFileHasNoBytes) {
  TempFolder dir;
  MappedInputFile file(dir.write("empty.bin", ""), 1 << 20);
  EXPECT_EQ(file.size(), 0u);
}

TEST(MappedInputFile, RefusesWhatReadInputFileRefuses) {
  TempFolder dir;
  const std::string path = dir.write("big.bin", std::string(100, 'x'));
  EXPECT_THROW(MappedInputFile(path, 99), Error);
  EXPECT_THROW(MappedInputFile(dir.path, 1 << 20), Error);  // a directory
  EXPECT_THROW(MappedInputFile(dir.path + "/missing.bin", 1 << 20), Error);
}

}  // namespace
}  // namespace qcv::ir
