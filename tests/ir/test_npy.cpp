// .npy against bytes written by hand from NumPy's format description (and by NumPy when present).
#include <gtest/gtest.h>

#include <cstdio>
#include <fstream>

#include "ir/ir.h"

using namespace qcv::ir;

namespace {
std::string temp_path(const std::string& name) { return ::testing::TempDir() + name; }
void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}
}  // namespace

TEST(Npy, ReadsHandWrittenFile) {
  // np.save of np.array([[1, 2, 3]], dtype="<i8"): version 1.0, header padded to 128 bytes.
  std::string header = "{'descr': '<i8', 'fortran_order': False, 'shape': (1, 3), }";
  header.append(128 - 10 - header.size() - 1, ' ');
  header += '\n';
  std::string bytes = std::string("\x93NUMPY\x01\x00", 8) + char(header.size()) + char(0) + header;
  for (int64_t v : {1, 2, 3}) bytes.append(reinterpret_cast<const char*>(&v), 8);
  write_bytes(temp_path("a.npy"), bytes);
  Tensor t = load_npy(temp_path("a.npy"));
  EXPECT_EQ(t.dtype(), DType::Int64);
  EXPECT_EQ(t.shape(), (Shape{1, 3}));
  EXPECT_EQ(t.data<int64_t>()[2], 3);
}

TEST(Npy, RoundTripAndNumpyReadsIt) {
  Tensor t = Tensor::from_vector<float>({2, 2}, {0.5f, -1.0f, 3.25f, 8.0f});
  save_npy(t, temp_path("b.npy"));
  Tensor back = load_npy(temp_path("b.npy"));
  EXPECT_EQ(back.shape(), t.shape());
  EXPECT_EQ(back.data<float>()[2], 3.25f);
  std::string cmd = "/usr/bin/python3 -c \"import numpy as n,sys; a=n.load(sys.argv[1]); "
                    "sys.exit(0 if a.shape==(2,2) and a[1,0]==3.25 else 3)\" " + temp_path("b.npy") +
                    " 2>/dev/null";
  int rc = std::system(cmd.c_str());
  if (WEXITSTATUS(rc) == 1) GTEST_SKIP() << "numpy not available";
  EXPECT_EQ(WEXITSTATUS(rc), 0);
}

TEST(Npy, BadFilesAreClearErrors) {
  write_bytes(temp_path("c.npy"), "hello, I am text");
  EXPECT_THROW(load_npy(temp_path("c.npy")), qcv::Error);
  EXPECT_THROW(load_npy(temp_path("does_not_exist.npy")), qcv::Error);
  Tensor t = Tensor::from_vector<float>({4}, {1, 2, 3, 4});
  save_npy(t, temp_path("d.npy"));
  std::ifstream in(temp_path("d.npy"), std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(in)), {});
  write_bytes(temp_path("d.npy"), bytes.substr(0, bytes.size() - 3));
  try {
    load_npy(temp_path("d.npy"));
    FAIL();
  } catch (const qcv::Error& e) {
    EXPECT_NE(std::string(e.what()).find("truncated"), std::string::npos) << e.what();
  }
}
