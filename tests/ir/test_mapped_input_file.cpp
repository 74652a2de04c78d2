// MappedInputFile (a model file parsed from the page cache) gives the bytes read_input_file
// reads, and the same errors.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <string>

#include "ir/error.h"
#include "ir/input_file.h"
#include "temp_folder.h"

namespace qcv::ir {
namespace {
namespace fs = std::filesystem;

using test::TempFolder;

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
