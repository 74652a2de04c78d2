// qcv_bench: the qcv side of the ONNX Runtime comparisons in bench/.
//   qcv_bench export NAME RESOLUTION OUT.onnx     zoo model (1000 classes) as ONNX
//   qcv_bench run MODEL.onnx IN.npy OUT.npy [T]   first output of one float32 input
//   qcv_bench time MODEL.onnx [--threads T] [--batch B] [--iters N] [--warmup W]
//                                                 JSON: compile_ms, median_ms, p90_ms, peak_rss_mb
//   qcv_bench callers MODEL.onnx [--callers C] [--threads T] [--iters N]
//                                                 C threads share one Session, each running N
//                                                 batch-1 inferences: total images/s
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <fstream>
#include <random>
#include <sstream>
#include <thread>

#include "models/models.h"
#include "onnx/onnx.h"
#include "runtime/omp_spin.h"
#include "runtime/session.h"

using namespace qcv;

namespace {

ir::Tensor read_npy(const std::string& path) {
  std::ifstream f(path, std::ios::binary);
  std::string bytes((std::istreambuf_iterator<char>(f)), std::istreambuf_iterator<char>());
  if (bytes.size() < 10 || bytes.compare(0, 6, "\x93NUMPY") != 0) fail("{}: not a .npy file", path);
  bool v1 = bytes[6] == 1;
  size_t offset = v1 ? 10 : 12;
  size_t len = static_cast<uint8_t>(bytes[8]) | static_cast<uint8_t>(bytes[9]) << 8;
  if (!v1) len |= static_cast<size_t>(static_cast<uint8_t>(bytes[10])) << 16;
  std::string header = bytes.substr(offset, len);
  if (header.find("'<f4'") == std::string::npos) fail("{}: only float32 .npy is supported", path);
  size_t open = header.find('(', header.find("'shape'")), close = header.find(')', open);
  ir::Shape shape;
  std::stringstream dims(header.substr(open + 1, close - open - 1));
  for (std::string d; std::getline(dims, d, ',');)
    if (d.find_first_not_of(' ') != std::string::npos) shape.push_back(std::stoll(d));
  ir::Tensor t(ir::DType::Float32, shape);
  if (bytes.size() - offset - len != t.nbytes())
    fail("{}: data size does not match the shape", path);
  std::memcpy(t.raw(), bytes.data() + offset + len, t.nbytes());
  return t;
}

void write_npy(const std::string& path, const ir::Tensor& t) {
  std::string shape = "(";
  for (int64_t d : t.shape()) shape += std::to_string(d) + ", ";
  std::string header = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + "), }";
  header += std::string(63 - (10 + header.size()) % 64, ' ') + "\n";
  std::string tmp = path + ".tmp";
  std::ofstream f(tmp, std::ios::binary);
  f.write("\x93NUMPY\x01\x00", 8);
  char len[2] = {static_cast<char>(header.size() & 0xff), static_cast<char>(header.size() >> 8)};
  f.write(len, 2);
  f << header;
  f.write(static_cast<const char*>(t.raw()), static_cast<std::streamsize>(t.nbytes()));
  f.close();
  std::rename(tmp.c_str(), path.c_str());
}

int option(int argc, char** argv, const char* name, int fallback) {
  for (int i = 0; i + 1 < argc; ++i)
    if (std::strcmp(argv[i], name) == 0) return std::atoi(argv[i + 1]);
  return fallback;
}

std::map<std::string, ir::Tensor> random_feeds(const runtime::Session& s, int batch) {
  std::map<std::string, ir::Tensor> feeds;
  std::mt19937 rng(0);
  std::normal_distribution<float> normal;
  for (const ir::Value& v : s.inputs()) {
    ir::Shape shape = v.shape;
    if (!shape.empty()) shape[0] = batch;
    ir::Tensor t(ir::DType::Float32, shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = normal(rng);
    feeds[v.name] = t;
  }
  return feeds;
}

// Total throughput of `callers` threads sharing one Session (a server), each with `threads`
// OpenMP threads per run.
int time_callers(const std::string& path, int argc, char** argv) {
  int callers = option(argc, argv, "--callers", 1), threads = option(argc, argv, "--threads", 1);
  int iters = option(argc, argv, "--iters", 50);
  runtime::Session s(onnx::load(path), {threads, true});
  const std::map<std::string, ir::Tensor> feeds = random_feeds(s, 1);
  auto work = [&](int n) {
    for (int i = 0; i < n; ++i) s.run(feeds);
  };
  std::vector<std::thread> warm;  // every caller's context exists before timing
  for (int t = 0; t < callers; ++t) warm.emplace_back(work, 3);
  for (std::thread& t : warm) t.join();
  auto t0 = std::chrono::steady_clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < callers; ++t) pool.emplace_back(work, iters);
  for (std::thread& t : pool) t.join();
  double sec = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf("{\"callers\": %d, \"threads\": %d, \"images_per_s\": %.2f, \"peak_rss_mb\": %.1f}\n",
              callers, threads, callers * iters / sec, ru.ru_maxrss / 1024.0);
  return 0;
}

int time_model(const std::string& path, int argc, char** argv) {
  int threads = option(argc, argv, "--threads", 2), batch = option(argc, argv, "--batch", 1);
  int iters = option(argc, argv, "--iters", 50), warmup = option(argc, argv, "--warmup", 10);
  auto c0 = std::chrono::steady_clock::now();  // file to ready session, as ORT's create
  runtime::Session s(onnx::load(path), {threads, true});
  const double compile_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - c0).count();
  std::map<std::string, ir::Tensor> feeds = random_feeds(s, batch);
  for (int i = 0; i < warmup; ++i) s.run(feeds);
  std::vector<double> ms;
  for (int i = 0; i < iters; ++i) {
    auto t0 = std::chrono::steady_clock::now();
    s.run(feeds);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::sort(ms.begin(), ms.end());
  rusage ru{};
  getrusage(RUSAGE_SELF, &ru);
  std::printf(
      "{\"compile_ms\": %.2f, \"median_ms\": %.4f, \"p90_ms\": %.4f, \"peak_rss_mb\": %.1f, "
      "\"arena_mb\": %.2f}\n",
      compile_ms, ms[ms.size() / 2], ms[ms.size() * 9 / 10], ru.ru_maxrss / 1024.0,
      s.peak_activation_bytes() / 1048576.0);
  if (std::getenv("QCV_SHOW_PLAN")) std::fprintf(stderr, "%s", s.describe_plan().c_str());
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  runtime::bound_omp_spinning(argv);  // as the qcv command does, so that the timings are its own
  try {
    std::string cmd = argc > 1 ? argv[1] : "";
    if (cmd == "export" && argc >= 5) {
      models::ModelSpec spec;
      spec.name = argv[2];
      spec.resolution = std::atoi(argv[3]);
      onnx::save(models::build(spec), argv[4]);
      return 0;
    }
    if (cmd == "run" && argc >= 5) {
      runtime::Session s(onnx::load(argv[2]), {argc > 5 ? std::atoi(argv[5]) : 2, true});
      auto out = s.run({{s.inputs().at(0).name, read_npy(argv[3])}});
      write_npy(argv[4], out.at(0));
      return 0;
    }
    if (cmd == "time" && argc >= 3) return time_model(argv[2], argc, argv);
    if (cmd == "callers" && argc >= 3) return time_callers(argv[2], argc, argv);
    std::fprintf(stderr,
                 "usage: qcv_bench export NAME RES OUT.onnx | run MODEL IN.npy OUT.npy [T] | "
                 "time MODEL [--threads T] [--batch B] [--iters N] [--warmup W] | "
                 "callers MODEL [--callers C] [--threads T] [--iters N]\n");
    return 2;
  } catch (const Error& e) {
    std::fprintf(stderr, "qcv_bench: %s\n", e.what());
    return 1;
  }
}
