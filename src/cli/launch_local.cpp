#include "cli/launch_local.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <iterator>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include "ir/error.h"

extern char** environ;

namespace qcv::cli {
namespace {

using Clock = std::chrono::steady_clock;
constexpr auto kGrace = std::chrono::seconds(5);  // for the other ranks to stop by themselves

volatile sig_atomic_t g_stop_signal = 0;
void on_stop_signal(int sig) { g_stop_signal = sig; }

// This process's command line, as the kernel holds it.
std::vector<std::string> own_command_line() {
  std::ifstream in("/proc/self/cmdline", std::ios::binary);
  std::string all((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
  std::vector<std::string> args;
  size_t start = 0;
  for (size_t i = 0; i < all.size(); ++i) {
    if (all[i] == '\0') {
      args.push_back(all.substr(start, i - start));
      start = i + 1;
    }
  }
  if (args.empty()) fail("launcher: cannot read /proc/self/cmdline");
  return args;
}

std::vector<std::string> without_nproc(const std::vector<std::string>& args) {
  std::vector<std::string> out;
  for (size_t i = 0; i < args.size(); ++i) {
    if (args[i] == "--nproc") {
      ++i;  // and its value
      continue;
    }
    if (args[i].rfind("--nproc=", 0) == 0) continue;
    out.push_back(args[i]);
  }
  return out;
}

int free_local_port() {
  int fd = socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) fail("launcher: socket(): {}", std::strerror(errno));
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    close(fd);
    fail("launcher: cannot find a free TCP port: {}", std::strerror(errno));
  }
  close(fd);
  return ntohs(addr.sin_port);
}

// The environment for one rank: ours with the launcher's variables set.
std::vector<std::string> rank_environment(int rank, int nproc, int port) {
  std::map<std::string, std::string> env;
  for (char** e = environ; *e; ++e) {
    const std::string kv = *e;
    const size_t eq = kv.find('=');
    if (eq != std::string::npos) env[kv.substr(0, eq)] = kv.substr(eq + 1);
  }
  env["RANK"] = env["LOCAL_RANK"] = std::to_string(rank);
  env["WORLD_SIZE"] = env["LOCAL_WORLD_SIZE"] = std::to_string(nproc);
  env["MASTER_ADDR"] = "127.0.0.1";
  env["MASTER_PORT"] = std::to_string(port);
  if (!env.count("OMP_NUM_THREADS")) {  // nproc processes share the cores
    const unsigned cores = std::max(1u, std::thread::hardware_concurrency());
    env["OMP_NUM_THREADS"] = std::to_string(std::max(1u, cores / unsigned(nproc)));
  }
  std::vector<std::string> out;
  for (const auto& [k, v] : env) out.push_back(k + "=" + v);
  return out;
}

std::vector<char*> pointers(std::vector<std::string>& strings) {
  std::vector<char*> p;
  for (std::string& s : strings) p.push_back(s.data());
  p.push_back(nullptr);
  return p;
}

std::string describe(int status) {
  if (WIFEXITED(status)) return fmt::format("exited with status {}", WEXITSTATUS(status));
  if (WIFSIGNALED(status))
    return fmt::format("was killed by signal {} ({})", WTERMSIG(status),
                       strsignal(WTERMSIG(status)));
  return "stopped";
}

}  // namespace

void launch_local_ranks(int nproc, int master_port) {
  if (nproc < 1) fail("--nproc must be at least 1, got {}", nproc);
  const int port = master_port > 0 ? master_port : free_local_port();
  std::vector<std::string> args = without_nproc(own_command_line());
  std::vector<char*> argv = pointers(args);
  const pid_t launcher = getpid();

  std::map<pid_t, int> running;  // pid -> rank
  for (int rank = 0; rank < nproc; ++rank) {
    std::vector<std::string> env = rank_environment(rank, nproc, port);
    std::vector<char*> envp = pointers(env);
    const pid_t pid = fork();
    if (pid < 0) {
      for (const auto& [p, r] : running) kill(p, SIGKILL);
      fail("launcher: fork() for rank {}: {}", rank, std::strerror(errno));
    }
    if (pid == 0) {
      prctl(PR_SET_PDEATHSIG, SIGTERM);  // the ranks end with the launcher
      if (getppid() != launcher) _exit(126);
      execve("/proc/self/exe", argv.data(), envp.data());
      _exit(127);
    }
    running[pid] = rank;
  }
  struct sigaction action {};
  action.sa_handler = on_stop_signal;
  struct sigaction old_int {
  }, old_term{};
  sigaction(SIGINT, &action, &old_int);
  sigaction(SIGTERM, &action, &old_term);

  std::string first_failure;
  Clock::time_point term_at = Clock::time_point::max(), kill_at = Clock::time_point::max();
  while (!running.empty()) {
    int status = 0;
    const pid_t pid = waitpid(-1, &status, WNOHANG);
    if (pid < 0 && errno == ECHILD) break;  // reaped elsewhere: nothing left to watch
    if (pid > 0 && running.count(pid)) {
      const int rank = running[pid];
      running.erase(pid);
      const bool ok = WIFEXITED(status) && WEXITSTATUS(status) == 0;
      if (!ok && first_failure.empty()) {
        first_failure = fmt::format("rank {} of {} {}", rank, nproc, describe(status));
        std::fprintf(stderr, "qcv launch: %s; stopping the other ranks\n", first_failure.c_str());
        term_at = std::min(term_at, Clock::now() + kGrace);
      } else if (!ok) {
        std::fprintf(stderr, "qcv launch: rank %d %s\n", rank, describe(status).c_str());
      }
      continue;
    }
    if (g_stop_signal != 0 && term_at == Clock::time_point::max()) {
      term_at = Clock::now();
      if (first_failure.empty())
        first_failure = fmt::format("stopped by {}", strsignal(g_stop_signal));
    }
    const auto now = Clock::now();
    if (now >= term_at) {
      for (const auto& [p, r] : running) kill(p, SIGTERM);
      term_at = Clock::time_point::max();
      kill_at = now + kGrace;
    }
    if (now >= kill_at) {
      for (const auto& [p, r] : running) kill(p, SIGKILL);
      kill_at = Clock::time_point::max();
    }
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
  }
  sigaction(SIGINT, &old_int, nullptr);
  sigaction(SIGTERM, &old_term, nullptr);
  if (!first_failure.empty()) fail("distributed job failed: {}", first_failure);
}

}  // namespace qcv::cli
