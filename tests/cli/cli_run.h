// Running the built qcv binary from a test: exit code, stdout and stderr of one command line.
#pragma once
#include <gtest/gtest.h>
#include <sys/wait.h>
#include <unistd.h>

#include <algorithm>
#include <cstdlib>
#include <fstream>
#include <string>

namespace qcv_cli_test {

struct Result {
  int code;
  std::string out, err;
};

// CTest runs each test in its own process, two at a time: the pid keeps their files apart.
inline std::string tmp(const std::string& name) {
  return ::testing::TempDir() + "qcv_cli_" + std::to_string(getpid()) + "_" + name;
}

inline std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}
inline void write(const std::string& path, const std::string& bytes) {
  std::ofstream(path, std::ios::binary) << bytes;
}

inline Result run_qcv(const std::string& args) {
  std::string out = tmp("stdout"), err = tmp("stderr");
  std::string cmd = std::string(QCV_EXE) + " " + args + " >" + out + " 2>" + err;
  int status = std::system(cmd.c_str());
  return {WEXITSTATUS(status), slurp(out), slurp(err)};
}

inline int count_lines(const std::string& s) {
  return static_cast<int>(std::count(s.begin(), s.end(), '\n'));
}

}  // namespace qcv_cli_test
