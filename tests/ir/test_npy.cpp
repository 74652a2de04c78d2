// .npy against bytes written by hand from NumPy's format description, and against NumPy itself
// (/usr/bin/python3, installed by scripts/install-deps.sh).
#include <gtest/gtest.h>
#include <stdlib.h>
#include <sys/wait.h>

#include <cstdio>
#include <filesystem>
#include <fstream>

#include "ir/ir.h"

using namespace qcv::ir;

namespace {
std::string temp_path(const std::string& name) { return ::testing::TempDir() + name; }
void write_bytes(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}
// A version 1.0 file with `header` (padded as numpy pads it) followed by `payload`.
std::string npy_bytes(std::string header, const std::string& payload) {
  header.append((64 - (10 + header.size() + 1) % 64) % 64, ' ');
  header += '\n';
  return std::string("\x93NUMPY\x01\x00", 8) + char(header.size() & 0xff) +
         char(header.size() >> 8) + header + payload;
}
// The qcv::Error message load_npy gives for these bytes ("" if it loads).
std::string load_error(const std::string& name, const std::string& bytes) {
  write_bytes(temp_path(name), bytes);
  try {
    load_npy(temp_path(name));
  } catch (const qcv::Error& e) {
    return e.what();
  }
  return "";
}
bool has(const std::string& text, const std::string& part) {
  return text.find(part) != std::string::npos;
}
// Runs a NumPy snippet with the file as sys.argv[1]; its exit code (NumPy failing is nonzero).
int numpy_run(const std::string& code, const std::string& path) {
  std::string cmd = "/usr/bin/python3 -c \"import numpy as np, sys; " + code + "\" " + path;
  int rc = std::system(cmd.c_str());
  return WIFEXITED(rc) ? WEXITSTATUS(rc) : -1;
}
bool numpy_present() { return std::system("/usr/bin/python3 -c 'import numpy' 2>/dev/null") == 0; }
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
  if (!numpy_present()) GTEST_SKIP() << "/usr/bin/python3 has no numpy (scripts/install-deps.sh)";
  Tensor t = Tensor::from_vector<float>({2, 2}, {0.5f, -1.0f, 3.25f, 8.0f});
  save_npy(t, temp_path("b.npy"));
  Tensor back = load_npy(temp_path("b.npy"));
  EXPECT_EQ(back.shape(), t.shape());
  EXPECT_EQ(back.data<float>()[2], 3.25f);
  // numpy is present, so any failure of np.load (exit 1) is a defect in the file we wrote.
  EXPECT_EQ(numpy_run("a=np.load(sys.argv[1]); sys.exit(0 if a.shape==(2,2) and a[1,0]==3.25 else 3)",
                      temp_path("b.npy")),
            0);
  Tensor b = Tensor::from_vector<bool>({3}, {true, false, true});
  save_npy(b, temp_path("b_bool.npy"));
  EXPECT_EQ(numpy_run("a=np.load(sys.argv[1]); sys.exit(0 if a.dtype==bool and list(a)==[1,0,1] else 3)",
                      temp_path("b_bool.npy")),
            0);
}

TEST(Npy, ReadsWhatNumpyWrites) {
  if (!numpy_present()) GTEST_SKIP() << "/usr/bin/python3 has no numpy (scripts/install-deps.sh)";
  // Version 2.0, a 0-d array, an empty array and a 1-element tuple, as numpy writes them.
  ASSERT_EQ(numpy_run("np.lib.format.write_array(open(sys.argv[1],'wb'), "
                      "np.arange(6,dtype=np.int16).reshape(3,2), version=(2,0))",
                      temp_path("np2.npy")),
            0);
  Tensor t = load_npy(temp_path("np2.npy"));
  EXPECT_EQ(t.shape(), (Shape{3, 2}));
  EXPECT_EQ(t.data<int16_t>()[5], 5);
  ASSERT_EQ(numpy_run("np.save(sys.argv[1], np.float64(2.5))", temp_path("np0.npy")), 0);
  t = load_npy(temp_path("np0.npy"));
  EXPECT_EQ(t.shape(), Shape{});
  EXPECT_EQ(t.data<double>()[0], 2.5);
  ASSERT_EQ(numpy_run("np.save(sys.argv[1], np.zeros((0,4),np.uint8))", temp_path("npe.npy")), 0);
  EXPECT_EQ(load_npy(temp_path("npe.npy")).shape(), (Shape{0, 4}));
  ASSERT_EQ(numpy_run("np.save(sys.argv[1], np.array([7],np.int32))", temp_path("np1.npy")), 0);
  EXPECT_EQ(load_npy(temp_path("np1.npy")).shape(), (Shape{1}));
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

// Issue 15: a 94-byte file claiming (2^20,1,32,32) float32 (4 GiB) allocated it before noticing
// the payload is missing. With the ceiling raised, a claim of 2^60 bytes shows the order: were the
// tensor allocated first, the error would be an allocation failure, not "truncated".
TEST(Npy, HugeShapeIsRefusedBeforeAllocating) {
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': (1048576, 1, 32, 32), }";
  std::string small = std::string("\x93NUMPY\x01\x00", 8) + char(header.size()) + char(0) + header;
  small.append(94 - small.size(), '\0');
  ASSERT_EQ(small.size(), 94u);
  std::string e = load_error("huge4g.npy", small);
  EXPECT_TRUE(has(e, "huge4g.npy") && has(e, "truncated") && has(e, "4294967296")) << e;

  ::setenv("QCV_MAX_TENSOR_BYTES", "4000000000G", 1);
  e = load_error("huge_eb.npy",
                 npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (268435456, 1073741824), }", "x"));
  ::unsetenv("QCV_MAX_TENSOR_BYTES");
  EXPECT_TRUE(has(e, "truncated") && has(e, "1152921504606846976")) << e;
  // Over the default ceiling (4 GiB): refused as such.
  e = load_error("over.npy", npy_bytes("{'descr': '<f8', 'fortran_order': False, 'shape': (1048576, 1024), }", ""));
  EXPECT_TRUE(has(e, "over.npy") && has(e, "QCV_MAX_TENSOR_BYTES")) << e;
  // A product that wraps int64 (2^32 * 2^32 = 0 mod 2^64) would otherwise read as an empty array.
  e = load_error("wrap.npy", npy_bytes("{'descr': '|u1', 'fortran_order': False, 'shape': (4294967296, 4294967296), }", ""));
  EXPECT_TRUE(has(e, "wrap.npy") && has(e, "overflows")) << e;
}

// Issue 15: shape (1,1,32.9,32) read as 32; every header numpy would refuse or read differently
// is an error naming the file.
TEST(Npy, MalformedHeadersAreRefused) {
  const std::string payload(4 * 32 * 32, '\0');
  struct Case {
    const char* header;
    const char* expect;
  };
  const Case cases[] = {
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 32.9, 32), }", "not a non-negative integer"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, -32, 32), }", "not a non-negative integer"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1, 1, 0x20, 32), }", "not a non-negative integer"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1024), }", "not a tuple"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': [1024], }", "expected '('"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1024 1), }", "expected ','"},
      {"{'descr': '<f4', 'fortran_order': True, 'shape': (32, 32), }", "Fortran"},
      {"{'descr': '<f4', 'fortran_order': Maybe, 'shape': (1024,), }", "fortran_order"},
      {"{'descr': '>f4', 'fortran_order': False, 'shape': (1024,), }", "unsupported .npy dtype '>f4'"},
      {"{'descr': '<f4', 'shape': (1024,), }", "needs the keys"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1024,), 'shape': (1024,)}", "repeated key 'shape'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1024,), 'extra': 1}", "unexpected or repeated key 'extra'"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1024,), } junk", "after the closing"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (1024,)", "expected '}'"},
      {"{'descr': '<f4, 'fortran_order': False, 'shape': (1024,)}", "bad .npy header"},
      {"{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999999999999,), }", "does not fit"},
  };
  int i = 0;
  for (const Case& c : cases) {
    std::string name = "bad" + std::to_string(i++) + ".npy";
    std::string e = load_error(name, npy_bytes(c.header, payload));
    EXPECT_TRUE(has(e, name) && has(e, c.expect)) << c.header << " -> " << e;
  }
  // Header length past the end of the file; a header larger than anything numpy writes; a
  // version numpy does not have.
  std::string e = load_error("short.npy", std::string("\x93NUMPY\x01\x00\xff\x00{'descr'", 18));
  EXPECT_TRUE(has(e, "short.npy") && has(e, "truncated .npy header")) << e;
  e = load_error("bighdr.npy", std::string("\x93NUMPY\x02\x00\xff\xff\xff\x7f", 12));
  EXPECT_TRUE(has(e, "bighdr.npy") && has(e, "larger than qcv reads")) << e;
  e = load_error("v9.npy", std::string("\x93NUMPY\x09\x00\x10\x00", 10) + std::string(16, ' '));
  EXPECT_TRUE(has(e, "v9.npy") && has(e, "version 9")) << e;
  // Bytes beyond the payload the header describes: a mismatch, not silently ignored.
  e = load_error("long.npy", npy_bytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), }",
                                       std::string(12, '\0')));
  EXPECT_TRUE(has(e, "long.npy") && has(e, "oversized")) << e;
}

TEST(Npy, DirectoryIsNamedAsSuch) {
  std::filesystem::create_directories(temp_path("dir.npy"));
  std::string e;
  try {
    load_npy(temp_path("dir.npy"));
  } catch (const qcv::Error& err) {
    e = err.what();
  }
  EXPECT_TRUE(has(e, "dir.npy") && has(e, "is a directory")) << e;
}

// A bool byte other than 0/1 (numpy reads it as True) is normalized: C++ bool may only hold 0/1.
TEST(Npy, BoolBytesAreNormalized) {
  write_bytes(temp_path("bool.npy"),
              npy_bytes("{'descr': '|b1', 'fortran_order': False, 'shape': (3,), }", std::string("\x00\x02\xff", 3)));
  Tensor t = load_npy(temp_path("bool.npy"));
  const auto* raw = static_cast<const uint8_t*>(t.raw());
  EXPECT_EQ(raw[0], 0);
  EXPECT_EQ(raw[1], 1);
  EXPECT_EQ(raw[2], 1);
}
