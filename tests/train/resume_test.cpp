// Resume after kill -9: `qcv train` on a tiny subset is killed with SIGKILL once its first
// checkpoint exists, then resumed; the run must finish with every epoch logged once, in order.
#include <gtest/gtest.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>
#include <string>
#include <thread>
#include <vector>

#ifdef QCV_CLI_PATH
namespace {

std::vector<std::string> train_args(const std::string& run_dir) {
  return {QCV_CLI_PATH,
          "train",
          "--model",
          "mobilenet_v2",
          "--width",
          "0.35",
          "--resolution",
          "32",
          "--epochs",
          "3",
          "--batch-size",
          "32",
          "--limit-train",
          "256",
          "--limit-test",
          "64",
          "--lr",
          "0.05",
          "--threads",
          "1",
          "--workers",
          "1",
          "--ema-decay",
          "0.9",
          "-o",
          run_dir};
}

pid_t spawn(std::vector<std::string> args, const std::string& log) {
  pid_t pid = fork();
  if (pid == 0) {
    FILE* f = std::freopen(log.c_str(), "w", stdout);
    (void)f;
    dup2(fileno(stdout), fileno(stderr));
    std::vector<char*> argv;
    for (std::string& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);
    execv(argv[0], argv.data());
    _exit(127);
  }
  return pid;
}

int wait_exit(pid_t pid) {
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -WTERMSIG(status);
}

}  // namespace

TEST(Resume, ContinuesAfterKill9) {
  namespace fs = std::filesystem;
  const std::string dir = std::string(QCV_BINARY_DIR) + "/test_train_resume";
  fs::remove_all(dir);
  pid_t pid = spawn(train_args(dir), dir + ".log1");
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(60);
  while (!fs::exists(dir + "/checkpoint/state.json") && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(fs::exists(dir + "/checkpoint/state.json")) << "no checkpoint within 60 s";
  kill(pid, SIGKILL);
  EXPECT_EQ(wait_exit(pid), -SIGKILL);
  EXPECT_FALSE(fs::exists(dir + "/final.onnx"));

  std::vector<std::string> again = train_args(dir);
  EXPECT_NE(wait_exit(spawn(again, dir + ".log2")), 0) << "a second run must not overwrite";
  again.push_back("--resume");
  ASSERT_EQ(wait_exit(spawn(again, dir + ".log3")), 0);
  std::ifstream log(dir + ".log3");
  std::string text((std::istreambuf_iterator<char>(log)), std::istreambuf_iterator<char>());
  EXPECT_NE(text.find("resuming"), std::string::npos) << text;
  EXPECT_TRUE(fs::exists(dir + "/final.onnx"));
  EXPECT_TRUE(fs::exists(dir + "/best.onnx"));
  std::ifstream metrics(dir + "/metrics.jsonl");
  std::vector<int64_t> epochs;
  for (std::string line; std::getline(metrics, line);)
    epochs.push_back(nlohmann::json::parse(line).at("epoch").get<int64_t>());
  EXPECT_EQ(epochs, (std::vector<int64_t>{1, 2, 3}));
  std::ifstream state(dir + "/checkpoint/state.json");
  EXPECT_EQ(nlohmann::json::parse(state).at("epochs_done").get<int64_t>(), 3);
  fs::remove_all(dir);
}
#endif
