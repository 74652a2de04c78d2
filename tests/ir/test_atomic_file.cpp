// Atomic outputs: a temporary beside the output, renamed in; removed on an exception, on
// SIGINT/SIGTERM (the signal handler) and, after a SIGKILL, by the next write of the same output.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <set>
#include <string>

#include "ir/atomic_file.h"
#include "ir/error.h"
#include "ir/path_name.h"
#include "temp_folder.h"

namespace qcv::ir {
namespace {
namespace fs = std::filesystem;

using test::TempFolder;

std::string slurp(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

// A pid that belonged to a process which has ended (its child, reaped).
pid_t dead_pid() {
  pid_t pid = ::fork();
  if (pid == 0) ::_exit(0);
  ::waitpid(pid, nullptr, 0);
  return pid;
}

// Runs `body` in a child that reports the temporary's path through a pipe and then waits to be
// signalled; returns the path and how the child ended.
struct Killed {
  std::string temporary;
  int signal = 0;
};
template <typename Body>
Killed kill_while_writing(int sig, Body body) {
  int fds[2];
  EXPECT_EQ(::pipe(fds), 0);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::close(fds[0]);
    ::signal(SIGINT, SIG_DFL);  // a shell may start tests with SIGINT ignored
    ::signal(SIGTERM, SIG_DFL);
    std::string temp = body();
    temp += '\n';
    if (::write(fds[1], temp.data(), temp.size()) < 0) ::_exit(3);
    for (;;) ::pause();
  }
  ::close(fds[1]);
  Killed k;
  char c;
  while (::read(fds[0], &c, 1) == 1 && c != '\n') k.temporary += c;
  ::close(fds[0]);
  EXPECT_TRUE(fs::exists(k.temporary)) << "the temporary exists while being written";
  ::kill(pid, sig);
  int status = 0;
  ::waitpid(pid, &status, 0);
  k.signal = WIFSIGNALED(status) ? WTERMSIG(status) : -1;
  return k;
}

TEST(AtomicFile, WritesWholeFileAndLeavesNothingElse) {
  TempFolder dir;
  write_file_atomically(dir.file("out.bin"), "first");
  write_file_atomically(dir.file("out.bin"), "second");
  EXPECT_EQ(slurp(dir.file("out.bin")), "second");
  EXPECT_EQ(dir.names(), std::set<std::string>{"out.bin"});
}

TEST(AtomicFile, TemporaryNameIsRecognizableAndTiedToTheOutput) {
  const std::string t = fs::path(temporary_name_for("/a/b/model.onnx")).filename().string();
  EXPECT_EQ(t.rfind(".model.onnx.qcv-tmp." + std::to_string(::getpid()) + ".", 0), 0u) << t;
  EXPECT_TRUE(is_temporary_of(t, "model.onnx"));
  EXPECT_FALSE(is_temporary_of(t, "model"));
  EXPECT_TRUE(is_temporary_of(".x.qcv-tmp.12.0", "x"));
  EXPECT_FALSE(is_temporary_of(".x.qcv-tmp.12", "x"));
  EXPECT_FALSE(is_temporary_of(".x.qcv-tmp..0", "x"));
  EXPECT_FALSE(is_temporary_of(".x.qcv-tmp.12.0.onnx", "x"));
  EXPECT_FALSE(is_temporary_of("x.qcv-tmp.12.0", "x"));
}

TEST(AtomicFile, ExceptionKeepsThePreviousFileAndRemovesTheTemporary) {
  TempFolder dir;
  write_file_atomically(dir.file("out.bin"), "old");
  try {
    AtomicFile f(dir.file("out.bin"));
    f.write("new, half", 9);
    throw Error("interrupted");
  } catch (const Error&) {
  }
  EXPECT_EQ(slurp(dir.file("out.bin")), "old");
  EXPECT_EQ(dir.names(), std::set<std::string>{"out.bin"});
}

TEST(AtomicFile, FailedRenameNamesTheOutputAndLeavesNoTemporary) {
  TempFolder dir;
  fs::create_directories(dir.file("taken/inside"));  // a non-empty folder cannot be replaced
  try {
    write_file_atomically(dir.file("taken"), "x");
    FAIL() << "no error";
  } catch (const Error& e) {
    EXPECT_NE(std::string(e.what()).find(dir.file("taken")), std::string::npos) << e.what();
  }
  EXPECT_EQ(dir.names(), std::set<std::string>{"taken"});
  EXPECT_TRUE(fs::exists(dir.file("taken/inside")));
}

TEST(AtomicFile, StaleTemporariesOfDeadProcessesAreRemovedOnTheNextWrite) {
  TempFolder dir;
  const std::string dead = std::to_string(dead_pid());
  const std::string stale = ".out.bin.qcv-tmp." + dead + ".0";
  const std::string stale_folder = ".out.bin.qcv-tmp." + dead + ".1";
  const std::string live = ".out.bin.qcv-tmp.1.0";  // pid 1 is alive: another run's, kept
  const std::string other = ".other.bin.qcv-tmp." + dead + ".0";  // another output's: kept
  for (const std::string& n : {stale, live, other}) std::ofstream(dir.file(n)) << "x";
  fs::create_directories(dir.file(stale_folder + "/sub"));
  write_file_atomically(dir.file("out.bin"), "new");
  EXPECT_EQ(dir.names(), (std::set<std::string>{"out.bin", live, other}));
}

TEST(AtomicFile, SigtermAndSigintRemoveTheTemporaryAndEndTheProcess) {
  for (int sig : {SIGTERM, SIGINT}) {
    TempFolder dir;
    write_file_atomically(dir.file("out.bin"), "old");
    Killed k = kill_while_writing(sig, [&] {
      auto* f = new AtomicFile(dir.file("out.bin"));  // never destroyed: only the handler cleans
      f->write("partial", 7);
      return f->temp_path();
    });
    EXPECT_EQ(k.signal, sig) << "the handler re-raises the signal";
    EXPECT_FALSE(fs::exists(k.temporary)) << k.temporary;
    EXPECT_EQ(dir.names(), std::set<std::string>{"out.bin"});
    EXPECT_EQ(slurp(dir.file("out.bin")), "old");
  }
}

TEST(AtomicFile, SigkillLeavesTheTemporaryAndTheNextRunRemovesIt) {
  TempFolder dir;
  Killed k = kill_while_writing(SIGKILL, [&] {
    auto* f = new AtomicFile(dir.file("out.bin"));
    f->write("partial", 7);
    return f->temp_path();
  });
  EXPECT_EQ(k.signal, SIGKILL);
  EXPECT_TRUE(fs::exists(k.temporary)) << "SIGKILL cannot be handled";
  write_file_atomically(dir.file("out.bin"), "done");
  EXPECT_EQ(dir.names(), std::set<std::string>{"out.bin"});
}

TEST(AtomicFolder, ReplacesTheFolderWhole) {
  TempFolder dir;
  fs::create_directories(dir.file("shards"));
  std::ofstream(dir.file("shards/old-1")) << "old";
  std::ofstream(dir.file("shards/old-2")) << "old";
  {
    AtomicFolder f(dir.file("shards"));
    std::ofstream(f.temp_path() + "/new") << "new";
    EXPECT_TRUE(fs::exists(dir.file("shards/old-1"))) << "untouched until commit";
    f.commit();
  }
  EXPECT_EQ(dir.names(), std::set<std::string>{"shards"});
  EXPECT_EQ(slurp(dir.file("shards/new")), "new");
  EXPECT_FALSE(fs::exists(dir.file("shards/old-1")));
}

TEST(AtomicFolder, ExceptionOrSignalLeavesTheOldFolderIntact) {
  TempFolder dir;
  fs::create_directories(dir.file("out"));
  std::ofstream(dir.file("out/keep")) << "old";
  try {
    AtomicFolder f(dir.file("out"));
    std::ofstream(f.temp_path() + "/half") << "x";
    throw Error("interrupted");
  } catch (const Error&) {
  }
  EXPECT_EQ(dir.names(), std::set<std::string>{"out"});
  Killed k = kill_while_writing(SIGTERM, [&] {
    auto* f = new AtomicFolder(dir.file("out"));
    for (int i = 0; i < 300; ++i)  // more entries than one getdents buffer holds
      std::ofstream(f->temp_path() + "/file-with-a-longish-name-" + std::to_string(i)) << i;
    return f->temp_path();
  });
  EXPECT_EQ(k.signal, SIGTERM);
  EXPECT_EQ(dir.names(), std::set<std::string>{"out"});
  EXPECT_EQ(slurp(dir.file("out/keep")), "old");
}

TEST(SafeFileName, NamesFromFilesStayOneComponent) {
  EXPECT_EQ(safe_file_name("logits", "t"), "logits");
  EXPECT_EQ(safe_file_name("../x", "t"), "_._x");
  EXPECT_EQ(safe_file_name("a/b", "t"), "a_b");
  EXPECT_EQ(safe_file_name("/etc/passwd", "t"), "_etc_passwd");
  EXPECT_EQ(safe_file_name("..", "t"), "_.");
  EXPECT_EQ(safe_file_name(".hidden", "t"), "_hidden");
  EXPECT_EQ(safe_file_name(std::string("a\0b\nc\\d", 7), "t"), "a_b_c_d");
  EXPECT_EQ(safe_file_name("dense/BiasAdd:0", "t"), "dense_BiasAdd:0");
  EXPECT_THROW(safe_file_name("", "t"), Error);
  const std::string long_a(300, 'a'), long_b = std::string(299, 'a') + "b";
  EXPECT_LE(safe_file_name(long_a, "t").size(), 160u);
  EXPECT_NE(safe_file_name(long_a, "t"), safe_file_name(long_b, "t"));
}

TEST(SafeFileName, CollisionsAfterSanitizingAreRefusedNamingBoth) {
  EXPECT_EQ(safe_file_names({"a", "b/c"}, "t"), (std::vector<std::string>{"a", "b_c"}));
  try {
    safe_file_names({"a/b", "a_b"}, "model 'm.onnx': output");
    FAIL() << "no error";
  } catch (const Error& e) {
    const std::string what = e.what();
    EXPECT_NE(what.find("model 'm.onnx': output"), std::string::npos) << what;
    EXPECT_NE(what.find("'a/b'"), std::string::npos) << what;
    EXPECT_NE(what.find("'a_b'"), std::string::npos) << what;
  }
}

}  // namespace
}  // namespace qcv::ir
