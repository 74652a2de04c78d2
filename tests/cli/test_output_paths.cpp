// `qcv run -o DIR`: output names come from the model and must stay file names inside DIR. Models
// and inputs are made by python3-onnx/numpy (independent of qcv's writer); outputs read back by
// numpy.
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#ifdef QCV_HAVE_RUNTIME_CLI
namespace {
namespace fs = std::filesystem;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

int sh(const std::string& cmd) { return WEXITSTATUS(std::system(cmd.c_str())); }

bool python_onnx_available() {
  return sh("/usr/bin/python3 -c 'import onnx, numpy' >/dev/null 2>&1") == 0;
}

// A model with outputs named `a` (= Relu(x)) and `b` (= x + x), and an input x = [-1, 2].
void make_model(const std::string& dir, const std::string& a, const std::string& b) {
  std::ofstream(dir + "/make.py") << R"(
import sys, numpy as np, onnx
from onnx import helper, TensorProto
a, b, out = sys.argv[1], sys.argv[2], sys.argv[3]
x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [2])
g = helper.make_graph([helper.make_node("Relu", ["x"], [a]), helper.make_node("Add", ["x", "x"], [b])],
    "g", [x], [helper.make_tensor_value_info(a, TensorProto.FLOAT, [2]),
               helper.make_tensor_value_info(b, TensorProto.FLOAT, [2])])
onnx.save(helper.make_model(g, opset_imports=[helper.make_opsetid("", 13)]), out + "/m.onnx")
np.save(out + "/x.npy", np.array([-1, 2], dtype=np.float32))
)";
  ASSERT_EQ(sh("/usr/bin/python3 " + dir + "/make.py '" + a + "' '" + b + "' " + dir), 0);
}

std::set<std::string> tree(const std::string& root) {
  std::set<std::string> out;
  for (const auto& e : fs::recursive_directory_iterator(root))
    out.insert(fs::relative(e.path(), root).string());
  return out;
}

struct Dir {
  std::string path = ::testing::TempDir() + "qcv_outpaths_" + std::to_string(::getpid()) + "_" +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name();
  Dir() {
    fs::remove_all(path);
    fs::create_directories(path + "/work/out");
  }
  ~Dir() { fs::remove_all(path); }
};

TEST(OutputPaths, ModelOutputNamesNeverLeaveTheOutputFolder) {
  if (!python_onnx_available()) GTEST_SKIP() << "python3 onnx/numpy not installed";
  Dir d;
  const std::string work = d.path + "/work";
  make_model(work, "../x", "a/b");
  const std::set<std::string> before = tree(d.path);
  const int code = sh(std::string(QCV_EXE) + " run " + work + "/m.onnx -i " + work + "/x.npy -o " +
                      work + "/out >" + d.path + "/stdout 2>&1");
  ASSERT_EQ(code, 0) << slurp(d.path + "/stdout");
  std::set<std::string> added;
  for (const std::string& p : tree(d.path))
    if (!before.count(p) && p != "stdout") added.insert(p);
  EXPECT_EQ(added, (std::set<std::string>{"work/out/_._x.npy", "work/out/a_b.npy"}));
  // The values, read by numpy: Relu([-1, 2]) and [-1, 2] + [-1, 2].
  EXPECT_EQ(sh("/usr/bin/python3 -c \"import numpy as np; "
               "assert np.load('" +
               work +
               "/out/_._x.npy').tolist() == [0, 2]; "
               "assert np.load('" +
               work + "/out/a_b.npy').tolist() == [-2, 4]\""),
            0);
}

TEST(OutputPaths, NamesThatCollideAfterSanitizingAreRefusedBeforeWriting) {
  if (!python_onnx_available()) GTEST_SKIP() << "python3 onnx/numpy not installed";
  Dir d;
  const std::string work = d.path + "/work";
  make_model(work, "a/b", "a_b");
  const int code = sh(std::string(QCV_EXE) + " run " + work + "/m.onnx -i " + work + "/x.npy -o " +
                      work + "/out >" + d.path + "/stdout 2>" + d.path + "/stderr");
  EXPECT_EQ(code, 1);
  const std::string err = slurp(d.path + "/stderr");
  EXPECT_EQ(std::count(err.begin(), err.end(), '\n'), 1) << err;
  EXPECT_NE(err.find("'a/b'"), std::string::npos) << err;
  EXPECT_NE(err.find("'a_b'"), std::string::npos) << err;
  EXPECT_TRUE(fs::is_empty(work + "/out")) << "nothing is written";
}

}  // namespace
#endif
