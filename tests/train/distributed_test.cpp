// Data-parallel training over Gloo with 2 processes on localhost. The processes are this test
// binary run again as DistributedWorker.Run (it does nothing unless QCV_DIST_TEST_OUT is set);
// each writes its parameters and buffers after every step, and the parent compares them with each
// other and with one process training on the whole global batch.
#include "train/distributed.h"

#include <ATen/Parallel.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <gtest/gtest.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <torch/optim/sgd.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <random>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "common/graph_builder.h"
#include "ir/error.h"
#include "train/loss.h"
#include "train/tensor_convert.h"
#include "train/torch_graph.h"

extern char** environ;

using namespace qcv;
namespace fs = std::filesystem;

namespace {

constexpr int kGlobalBatch = 8;
constexpr int kClasses = 3;

// Conv 3x3 -> [BatchNormalization] -> Relu -> GlobalAveragePool -> Flatten -> Gemm. Weights from
// `seed`, so that ranks built with different seeds show that the broadcast from rank 0 works.
ir::Graph tiny_model(bool with_bn, unsigned seed, int64_t batch) {
  std::mt19937 rng(seed);
  ir::Graph g;
  g.inputs.push_back(ir::make_value("x", ir::DType::Float32, {batch, 1, 6, 6}));
  g.outputs.push_back(ir::make_value("logits"));
  g.initializers["w"] = test::random_tensor({4, 1, 3, 3}, rng, -0.6f, 0.6f);
  g.initializers["b"] = test::random_tensor({4}, rng, -0.1f, 0.1f);
  g.initializers["fc_w"] = test::random_tensor({kClasses, 4}, rng, -0.8f, 0.8f);
  g.initializers["fc_b"] = test::random_tensor({kClasses}, rng, -0.1f, 0.1f);
  g.nodes.push_back(test::make_node("conv", "Conv", {"x", "w", "b"}, {"c"},
                                    {{"pads", std::vector<int64_t>{1, 1, 1, 1}}}));
  std::string act_in = "c";
  if (with_bn) {
    g.initializers["gamma"] = test::random_tensor({4}, rng, 0.5f, 1.5f);
    g.initializers["beta"] = test::random_tensor({4}, rng, -0.2f, 0.2f);
    g.initializers["mean"] = ir::Tensor::from_vector<float>({4}, {0, 0, 0, 0});
    g.initializers["var"] = ir::Tensor::from_vector<float>({4}, {1, 1, 1, 1});
    g.nodes.push_back(test::make_node("bn", "BatchNormalization",
                                      {"c", "gamma", "beta", "mean", "var"}, {"n"},
                                      {{"momentum", 0.5f}}));
    act_in = "n";
  }
  g.nodes.push_back(test::make_node("relu", "Relu", {act_in}, {"r"}));
  g.nodes.push_back(test::make_node("gap", "GlobalAveragePool", {"r"}, {"p"}));
  g.nodes.push_back(test::make_node("flat", "Flatten", {"p"}, {"f"}));
  g.nodes.push_back(
      test::make_node("fc", "Gemm", {"f", "fc_w", "fc_b"}, {"logits"}, {{"transB", int64_t{1}}}));
  return g;
}

// The global batch of a step: images and labels.
std::pair<at::Tensor, at::Tensor> global_batch(int step) {
  std::mt19937 rng(1000 + step);
  ir::Tensor x = test::random_tensor({kGlobalBatch, 1, 6, 6}, rng);
  std::vector<int64_t> labels(kGlobalBatch);
  for (int i = 0; i < kGlobalBatch; ++i) labels[i] = static_cast<int64_t>(rng() % kClasses);
  return {train::to_torch(x), at::tensor(labels, at::kLong)};
}

// The parameters and buffers of a module as one flat float vector, in state order.
std::vector<float> state_of(const train::TorchGraph& m) {
  std::vector<float> out;
  for (const train::NamedTensor& t : m.state()) {
    at::Tensor c = t.tensor.detach().contiguous().to(at::kFloat);
    out.insert(out.end(), c.data_ptr<float>(), c.data_ptr<float>() + c.numel());
  }
  return out;
}

// One SGD step on (x, labels), with the data-parallel hooks the trainer uses.
void train_step(train::TorchGraph& m, torch::optim::SGD& opt, train::DataParallel& dist,
                const at::Tensor& x, const at::Tensor& labels) {
  opt.zero_grad();
  at::Tensor loss = train::smoothed_cross_entropy(m.forward(x), labels, 0.0);
  loss.backward();
  dist.average_gradients(m.parameter_tensors());
  opt.step();
  std::vector<at::Tensor> buffers;
  for (const train::NamedTensor& b : m.buffers()) buffers.push_back(b.tensor);
  dist.average(buffers);
}

std::string env_or(const char* name, const std::string& fallback) {
  const char* v = std::getenv(name);
  return v ? std::string(v) : fallback;
}

void write_floats(const std::string& path, const std::vector<float>& v) {
  std::ofstream out(path + ".tmp", std::ios::binary);
  out.write(reinterpret_cast<const char*>(v.data()), std::streamsize(v.size() * sizeof(float)));
  out.close();
  fs::rename(path + ".tmp", path);
}

std::vector<float> read_floats(const std::string& path) {
  std::ifstream in(path, std::ios::binary);
  std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<float> v(bytes.size() / sizeof(float));
  std::memcpy(v.data(), bytes.data(), v.size() * sizeof(float));
  return v;
}

// ---- The parent side: spawn ranks of this binary, wait for them. ----

int free_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in a{};
  a.sin_family = AF_INET;
  a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  socklen_t len = sizeof(a);
  bind(fd, reinterpret_cast<sockaddr*>(&a), sizeof(a));
  getsockname(fd, reinterpret_cast<sockaddr*>(&a), &len);
  close(fd);
  return ntohs(a.sin_port);
}

struct WorkerJob {
  std::string out_dir;
  bool with_bn = false;
  int steps = 3;
  int sleep_ms = 0;
  double timeout_s = 30;
};

pid_t spawn_rank(const WorkerJob& job, int rank, int port) {
  std::vector<std::string> env;
  for (char** e = environ; *e; ++e) env.push_back(*e);
  env.push_back("QCV_DIST_TEST_OUT=" + job.out_dir);
  env.push_back("QCV_DIST_TEST_BN=" + std::to_string(job.with_bn));
  env.push_back("QCV_DIST_TEST_STEPS=" + std::to_string(job.steps));
  env.push_back("QCV_DIST_TEST_SLEEP_MS=" + std::to_string(job.sleep_ms));
  env.push_back("QCV_DIST_TEST_TIMEOUT=" + std::to_string(job.timeout_s));
  env.push_back("RANK=" + std::to_string(rank));
  env.push_back("WORLD_SIZE=2");
  env.push_back("MASTER_PORT=" + std::to_string(port));
  std::vector<std::string> args = {"/proc/self/exe", "--gtest_filter=DistributedWorker.Run"};
  const std::string log = job.out_dir + "/rank" + std::to_string(rank) + ".log";
  std::vector<char*> argv, envp;
  for (std::string& a : args) argv.push_back(a.data());
  for (std::string& e : env) envp.push_back(e.data());
  argv.push_back(nullptr);
  envp.push_back(nullptr);
  const pid_t pid = fork();
  if (pid == 0) {
    const int fd = ::open(log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    dup2(fd, 1);
    dup2(fd, 2);
    execve(argv[0], argv.data(), envp.data());
    _exit(127);
  }
  return pid;
}

// Exit status of pid, or -1 if it is still running after `seconds` (then it is killed).
int wait_for(pid_t pid, double seconds) {
  const auto deadline =
      std::chrono::steady_clock::now() + std::chrono::milliseconds(int64_t(seconds * 1000));
  int status = 0;
  while (std::chrono::steady_clock::now() < deadline) {
    if (waitpid(pid, &status, WNOHANG) == pid)
      return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  kill(pid, SIGKILL);
  waitpid(pid, &status, 0);
  return -1;
}

std::string read_text(const std::string& path) {
  std::ifstream in(path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::string fresh_dir(const std::string& name) {
  const std::string dir = std::string(QCV_BINARY_DIR) + "/" + name;
  fs::remove_all(dir);
  fs::create_directories(dir);
  return dir;
}

std::string step_file(const std::string& dir, int rank, int step) {
  return fmt::format("{}/rank{}_step{}.bin", dir, rank, step);
}

// Runs 2 ranks to completion; expects both to exit 0.
void run_two_ranks(const WorkerJob& job) {
  const int port = free_port();
  const pid_t r0 = spawn_rank(job, 0, port), r1 = spawn_rank(job, 1, port);
  const int s0 = wait_for(r0, 60), s1 = wait_for(r1, 60);
  ASSERT_EQ(s0, 0) << read_text(job.out_dir + "/rank0.log");
  ASSERT_EQ(s1, 0) << read_text(job.out_dir + "/rank1.log");
}

}  // namespace

// The rank's side. Rank r builds its model from seed r (the broadcast must make it rank 0's) and
// trains on rows r, r + 2, ... of each global batch: the DataLoader's sharding of one batch.
TEST(DistributedWorker, Run) {
  const std::string out = env_or("QCV_DIST_TEST_OUT", "");
  if (out.empty()) GTEST_SKIP() << "run by the Distributed tests in child processes";
  at::set_num_threads(1);
  train::DistributedOptions o;
  o.rank = std::stoi(env_or("RANK", "0"));
  o.world_size = std::stoi(env_or("WORLD_SIZE", "1"));
  o.master_port = std::stoi(env_or("MASTER_PORT", "29500"));
  o.timeout_s = std::stod(env_or("QCV_DIST_TEST_TIMEOUT", "30"));
  const bool with_bn = env_or("QCV_DIST_TEST_BN", "0") == "1";
  const int steps = std::stoi(env_or("QCV_DIST_TEST_STEPS", "3"));
  const int sleep_ms = std::stoi(env_or("QCV_DIST_TEST_SLEEP_MS", "0"));
  try {
    train::DataParallel dist(o);
    train::TorchGraphOptions cpu;
    cpu.channels_last = false;
    train::TorchGraph m(
        tiny_model(with_bn, static_cast<unsigned>(o.rank), kGlobalBatch / o.world_size), cpu);
    std::vector<at::Tensor> state;
    for (const train::NamedTensor& t : m.state()) state.push_back(t.tensor);
    dist.broadcast(state);
    write_floats(step_file(out, o.rank, 0), state_of(m));
    torch::optim::SGD opt(m.parameter_tensors(), torch::optim::SGDOptions(0.5).momentum(0.9));
    m.train();
    const at::Tensor rows = at::arange(o.rank, kGlobalBatch, o.world_size, at::kLong);
    for (int step = 1; step <= steps; ++step) {
      auto [x, labels] = global_batch((step - 1) % 3);
      train_step(m, opt, dist, x.index_select(0, rows), labels.index_select(0, rows));
      write_floats(step_file(out, o.rank, step), state_of(m));
      if (sleep_ms > 0) std::this_thread::sleep_for(std::chrono::milliseconds(sleep_ms));
    }
  } catch (const Error& e) {
    std::ofstream(out + "/rank" + std::to_string(o.rank) + "_error.txt") << e.what();
    std::fprintf(stderr, "rank %d: %s\n", o.rank, e.what());
    std::fflush(stderr);
    _exit(3);
  }
}

// Without BatchNormalization and dropout the step is exactly data-parallel in math: the loss is
// the batch mean, so the mean of the two half-batch gradients is the whole batch's gradient, and
// SGD is the same function of it. Only float summation order differs (hence 1e-5).
TEST(Distributed, TwoRanksEqualOneProcessWithTheGlobalBatch) {
  WorkerJob job;
  job.out_dir = fresh_dir("test_train_dist_plain");
  run_two_ranks(job);
  if (HasFatalFailure()) return;

  train::TorchGraphOptions cpu;
  cpu.channels_last = false;
  train::TorchGraph single(tiny_model(false, 0, kGlobalBatch), cpu);
  torch::optim::SGD opt(single.parameter_tensors(), torch::optim::SGDOptions(0.5).momentum(0.9));
  train::DataParallel one_process(train::DistributedOptions{});
  single.train();
  for (int step = 0; step <= job.steps; ++step) {
    if (step > 0) {
      auto [x, labels] = global_batch(step - 1);
      train_step(single, opt, one_process, x, labels);
    }
    const std::vector<float> r0 = read_floats(step_file(job.out_dir, 0, step));
    const std::vector<float> r1 = read_floats(step_file(job.out_dir, 1, step));
    const std::vector<float> want = state_of(single);
    ASSERT_EQ(r0.size(), want.size());
    EXPECT_EQ(r0, r1) << "ranks differ after step " << step;
    double max_change = 0;
    for (size_t i = 0; i < want.size(); ++i) {
      EXPECT_NEAR(r0[i], want[i], 1e-5 * std::max(1.0f, std::abs(want[i])))
          << "value " << i << " after step " << step;
      if (step > 0) max_change = std::max(max_change, double(std::abs(want[i] - r0[i])));
    }
  }
  // The steps did move the weights (a test that trained nothing would pass the above too).
  const std::vector<float> start = read_floats(step_file(job.out_dir, 0, 0));
  const std::vector<float> end = read_floats(step_file(job.out_dir, 0, job.steps));
  double moved = 0;
  for (size_t i = 0; i < start.size(); ++i)
    moved = std::max(moved, double(std::abs(end[i] - start[i])));
  EXPECT_GT(moved, 1e-3);
}

// With BatchNormalization each rank normalizes its half batch (no SyncBN), so the weights differ
// from one process's; but both ranks must hold the same parameters and BN statistics, and the
// averaged running mean is exactly the global batch's: mean of the halves' means.
TEST(Distributed, BatchNormRanksHoldTheSameState) {
  WorkerJob job;
  job.out_dir = fresh_dir("test_train_dist_bn");
  job.with_bn = true;
  run_two_ranks(job);
  if (HasFatalFailure()) return;
  for (int step = 0; step <= job.steps; ++step)
    EXPECT_EQ(read_floats(step_file(job.out_dir, 0, step)),
              read_floats(step_file(job.out_dir, 1, step)))
        << "ranks differ after step " << step;

  // Step 1's running mean by hand: the conv output of rank 0's initial weights on the batch.
  train::TorchGraphOptions cpu;
  cpu.channels_last = false;
  ir::Graph g = tiny_model(true, 0, kGlobalBatch);
  train::TorchGraph m(g, cpu);
  auto [x, labels] = global_batch(0);
  auto parameter = [&](const std::string& name) {
    for (const train::NamedTensor& t : m.parameters())
      if (t.name == name) return t.tensor;
    ADD_FAILURE() << "no parameter " << name;
    return at::Tensor();
  };
  at::Tensor w = parameter("w"), b = parameter("b");
  at::Tensor conv = at::conv2d(x, w, b, 1, 1);
  at::Tensor want_mean = conv.mean({0, 2, 3}).detach() * 0.5;  // momentum 0.5, initial mean 0
  const std::vector<float> after = read_floats(step_file(job.out_dir, 0, 1));
  std::vector<float> mean_in_state;
  size_t offset = 0;
  for (const train::NamedTensor& t : m.state()) {
    if (t.name == "mean")
      mean_in_state.assign(after.begin() + offset, after.begin() + offset + t.tensor.numel());
    offset += t.tensor.numel();
  }
  ASSERT_EQ(mean_in_state.size(), 4u);
  for (int c = 0; c < 4; ++c)
    EXPECT_NEAR(mean_in_state[c], want_mean[c].item<float>(), 1e-5) << "channel " << c;
}

// Rank 1 is killed mid-run: rank 0 must not hang but fail within the timeout, naming rank 1.
TEST(Distributed, KilledRankIsNamedWithinTheTimeout) {
  WorkerJob job;
  job.out_dir = fresh_dir("test_train_dist_kill");
  job.steps = 100000;
  job.sleep_ms = 20;
  job.timeout_s = 5;
  const int port = free_port();
  const pid_t r0 = spawn_rank(job, 0, port), r1 = spawn_rank(job, 1, port);
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(30);
  int ignored = 0;
  while (!fs::exists(step_file(job.out_dir, 1, 3)) && std::chrono::steady_clock::now() < deadline &&
         waitpid(r1, &ignored, WNOHANG) == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  ASSERT_TRUE(fs::exists(step_file(job.out_dir, 1, 3))) << read_text(job.out_dir + "/rank1.log");
  kill(r1, SIGKILL);
  const auto killed_at = std::chrono::steady_clock::now();
  const int status = wait_for(r0, 15);
  const double seconds =
      std::chrono::duration<double>(std::chrono::steady_clock::now() - killed_at).count();
  wait_for(r1, 5);
  ASSERT_EQ(status, 3) << "rank 0 should fail with a qcv::Error; log:\n"
                       << read_text(job.out_dir + "/rank0.log");
  const std::string error = read_text(job.out_dir + "/rank0_error.txt");
  EXPECT_NE(error.find("rank 1 of 2 stopped"), std::string::npos) << error;
  EXPECT_LT(seconds, job.timeout_s + 5) << error;
}

#ifdef QCV_CLI_PATH
// The whole job through the CLI: `qcv train --nproc 2`, rank 1 killed once the first checkpoint
// exists; the launcher must name it and exit non-zero, and `--resume` must finish the run from
// that checkpoint with every epoch logged once (by rank 0 only).
TEST(Distributed, LauncherNamesAKilledRankAndResumeFinishes) {
  const std::string dir = fresh_dir("test_train_dist_cli") + "/run";
  auto command = [&](const std::string& extra, const std::string& log) {
    return fmt::format(
        "env OMP_NUM_THREADS=1 {} train --nproc 2 --model mobilenet_v2 --width 0.35 --resolution "
        "32 "
        "--batch-size 32 --limit-train 128 --limit-test 32 --threads 1 --workers 1 "
        "--dist-timeout 5 -o {} {} > {} 2>&1",
        QCV_CLI_PATH, dir, extra, log);
  };
  const std::string log1 = dir + "1.log", log2 = dir + "2.log";
  const pid_t shell = fork();
  if (shell == 0) {
    execl("/bin/sh", "sh", "-c", ("exec " + command("--epochs 50", log1)).c_str(), nullptr);
    _exit(127);
  }
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(40);
  int ignored = 0;
  while (!fs::exists(dir + "/checkpoint/state.json") &&
         std::chrono::steady_clock::now() < deadline && waitpid(shell, &ignored, WNOHANG) == 0)
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  ASSERT_TRUE(fs::exists(dir + "/checkpoint/state.json")) << read_text(log1);
  // The launcher's children, and which of them is rank 1 (from its environment).
  pid_t rank1 = 0;
  std::istringstream children(read_text(fmt::format("/proc/{}/task/{}/children", shell, shell)));
  for (pid_t child; children >> child;)
    if (read_text(fmt::format("/proc/{}/environ", child)).find(std::string("RANK=1\0", 7)) !=
        std::string::npos)
      rank1 = child;
  ASSERT_GT(rank1, 0) << "no rank 1 among the launcher's children";
  kill(rank1, SIGKILL);
  const int status = wait_for(shell, 20);
  const std::string out = read_text(log1);
  EXPECT_EQ(status, 1) << out;
  EXPECT_NE(out.find("rank 1 of 2 was killed by signal 9"), std::string::npos) << out;
  EXPECT_NE(out.find("rank 1 of 2 stopped"), std::string::npos) << out;  // rank 0's own error

  ASSERT_EQ(std::system(command("--epochs 2 --resume", log2).c_str()), 0) << read_text(log2);
  std::istringstream metrics(read_text(dir + "/metrics.jsonl"));
  std::vector<int> epochs;
  for (std::string line; std::getline(metrics, line);)
    epochs.push_back(std::stoi(line.substr(line.find("\"epoch\":") + 8)));
  EXPECT_EQ(epochs, (std::vector<int>{1, 2})) << read_text(dir + "/metrics.jsonl");
  EXPECT_TRUE(fs::exists(dir + "/final.onnx"));
}
#endif
