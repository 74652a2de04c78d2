// qcv bench: latency percentiles, throughput and peak memory of a model in the runtime.
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>
#include <random>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "onnx/onnx.h"
#include "runtime/session.h"

namespace qcv::cli {

namespace {
// Random inputs with the model's shapes, the symbolic (batch) dimension set to `batch`.
std::map<std::string, ir::Tensor> random_feeds(const std::vector<ir::Value>& inputs, int batch) {
  std::mt19937 rng(0);
  std::normal_distribution<float> normal(0.f, 1.f);
  std::map<std::string, ir::Tensor> feeds;
  for (const ir::Value& v : inputs) {
    ir::Shape shape = v.shape;
    for (size_t i = 0; i < shape.size(); ++i)
      if (shape[i] < 0) {
        if (i != 0) fail("input '{}': dimension {} is unknown; only the batch may be", v.name, i);
        shape[i] = batch;
      }
    if (!shape.empty() && v.shape[0] >= 0 && v.shape[0] != batch)
      fail("input '{}' has a fixed batch of {}, cannot bench batch {}", v.name, v.shape[0], batch);
    if (v.dtype != ir::DType::Float32) fail("input '{}': only float32 inputs can be benchmarked", v.name);
    ir::Tensor t(ir::DType::Float32, shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = normal(rng);
    feeds[v.name] = t;
  }
  return feeds;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) fail("bench: no timed iterations to take a percentile of");
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}
}  // namespace

void add_bench_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "Measure latency, throughput and peak memory");
  static std::string model;
  static int batch = 1, threads = 0, iters = 100, warmup = 10;
  static bool json = false, plan = false;
  cmd->add_option("model", model, "Model .onnx file")->required();
  cmd->add_option("--batch", batch, "Batch size")->capture_default_str()->check(positive());
  cmd->add_option("--threads", threads, "Threads (0: all cores)")->capture_default_str()->check(non_negative());
  cmd->add_option("--iters", iters, "Timed iterations")->capture_default_str()->check(positive());
  cmd->add_option("--warmup", warmup, "Untimed iterations first")->capture_default_str()->check(non_negative());
  cmd->add_flag("--json", json,
                "Print JSON (compile_ms, median_ms, p90_ms, throughput, peak_rss_mb)");
  cmd->add_flag("--plan", plan,
                "List the compiled plan first: each step's kernel (oneDNN implementation or "
                "reference), node and operands");
  cmd->callback([] {
    runtime::SessionOptions options;
    options.threads = threads;
    // compile_ms: file to ready Session (load, passes, fusion, primitives, weight reordering, memory
    // planning of batch 1), comparable with ONNX Runtime's session creation; first_run_ms
    // includes planning the benchmarked batch when it is not 1.
    using ms_t = std::chrono::duration<double, std::milli>;
    auto c0 = std::chrono::steady_clock::now();
    runtime::Session session(onnx::load(model), options);
    auto c1 = std::chrono::steady_clock::now();
    auto feeds = random_feeds(session.inputs(), batch);
    auto c2 = std::chrono::steady_clock::now();
    session.run(feeds);
    const double compile_ms = ms_t(c1 - c0).count(),
                 first_run_ms = ms_t(std::chrono::steady_clock::now() - c2).count();
    if (plan) fmt::print(stderr, "{}", session.describe_plan());
    else if (!session.plan_warning().empty()) fmt::print(stderr, "{}\n", session.plan_warning());
    for (int i = 0; i < warmup; ++i) session.run(feeds);
    std::vector<double> ms;
    ms.reserve(iters);
    for (int i = 0; i < iters; ++i) {
      auto t0 = std::chrono::steady_clock::now();
      session.run(feeds);
      ms.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
    }
    double mean = 0;
    for (double m : ms) mean += m / ms.size();
    rusage usage{};
    getrusage(RUSAGE_SELF, &usage);
    nlohmann::json j = {{"model", model},
                        {"batch", batch},
                        {"threads", threads},
                        {"threads_in_use", session.threads_in_use()},  // fewer on busy cores
                        {"iters", iters},
                        {"compile_ms", compile_ms},
                        {"first_run_ms", first_run_ms},
                        {"median_ms", percentile(ms, 0.5)},
                        {"p90_ms", percentile(ms, 0.9)},
                        {"min_ms", percentile(ms, 0.0)},
                        {"throughput", batch * 1000.0 / mean},
                        {"peak_rss_mb", usage.ru_maxrss / 1024.0},
                        {"peak_activation_mb", session.peak_activation_bytes() / 1048576.0}};
    if (json) {
      fmt::print("{}\n", j.dump(2));
    } else {
      fmt::print("{}: batch {}, {} iterations\n  compile {:.1f} ms, first run {:.1f} ms\n"
                 "  median {:.3f} ms, p90 {:.3f} ms, min {:.3f} ms\n"
                 "  throughput {:.1f} images/s\n  peak RSS {:.1f} MB, activations {:.1f} MB\n",
                 model, batch, iters, compile_ms, first_run_ms, j["median_ms"].get<double>(), j["p90_ms"].get<double>(),
                 j["min_ms"].get<double>(), j["throughput"].get<double>(),
                 j["peak_rss_mb"].get<double>(), j["peak_activation_mb"].get<double>());
    }
  });
}

}  // namespace qcv::cli
