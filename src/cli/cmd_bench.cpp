// qcv bench: latency percentiles, throughput and peak memory of a model in the runtime, for one
// batch size or a sweep of several (one Session, a plan compiled per size).
#include <fmt/format.h>
#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <nlohmann/json.hpp>

#include "cli/bench_timing.h"
#include "cli/commands.h"
#include "cli/option_checks.h"
#include "onnx/onnx.h"
#include "runtime/session.h"

namespace qcv::cli {

namespace {
double peak_rss_mb() {
  rusage usage{};
  getrusage(RUSAGE_SELF, &usage);
  return usage.ru_maxrss / 1024.0;
}
}  // namespace

void add_bench_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("bench", "Measure latency, throughput and peak memory");
  static std::string model;
  static std::string batches = "1";
  static int threads = 0, iters = 100, warmup = 10;
  static bool json = false, plan = false, whole = false;
  cmd->add_option("model", model, "Model .onnx file")->required();
  cmd->add_option("--batch", batches,
                  "Batch size, or sizes to sweep (1,4,16,64): run in increasing order by one "
                  "Session, each with its own compiled plan")
      ->capture_default_str()
      ->check(integer_list_in(1));
  cmd->add_option("--threads", threads, "Threads (0: all cores)")->capture_default_str()->check(non_negative());
  cmd->add_option("--iters", iters, "Timed iterations per batch size")->capture_default_str()->check(positive());
  cmd->add_option("--warmup", warmup, "Untimed iterations first")->capture_default_str()->check(non_negative());
  cmd->add_flag("--json", json,
                "Print one JSON object per line, one per batch size (batch, compile_ms, "
                "first_run_ms, median_ms, p90_ms, min_ms, throughput in images/s, "
                "cpu_ms_per_image, peak_rss_mb so far, peak_activation_mb)");
  cmd->add_flag("--whole-batch", whole,
                "Run each batch as one plan with every layer split over all threads, not as "
                "slices of the batch on their own threads (for comparison)");
  cmd->add_flag("--plan", plan,
                "List each batch size's compiled plan first: each step's kernel (oneDNN "
                "implementation or reference), node and operands");
  cmd->callback([] {
    std::vector<int> sizes = parse_integer_list(batches);
    std::sort(sizes.begin(), sizes.end());  // peak RSS then grows with the batch, row by row
    sizes.erase(std::unique(sizes.begin(), sizes.end()), sizes.end());
    runtime::SessionOptions options;
    options.threads = threads;
    options.split_batch = !whole;
    // compile_ms: file to ready Session (load, passes, fusion, primitives, weight reordering, memory
    // planning of batch 1), comparable with ONNX Runtime's session creation; first_run_ms
    // includes planning the benchmarked batch when it is not 1.
    using ms_t = std::chrono::duration<double, std::milli>;
    auto c0 = std::chrono::steady_clock::now();
    runtime::Session session(onnx::load(model), options);
    const double compile_ms = ms_t(std::chrono::steady_clock::now() - c0).count();
    if (!json)
      fmt::print("{}: {} threads, {} iterations per batch size, compile {:.1f} ms\n"
                 "{:>6} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>10} {:>9}\n",
                 model, threads, iters, compile_ms, "batch", "images/s", "median ms", "p90 ms",
                 "min ms", "CPU ms/im", "1st run ms", "RSS MB", "arena MB");
    bool warned = false;
    for (int batch : sizes) {
      BatchTiming t = time_batch(session, batch, warmup, iters, [&] {
        if (plan) fmt::print(stderr, "batch {}:\n{}", batch, session.describe_plan());
        else if (!warned && !session.plan_warning().empty())
          fmt::print(stderr, "{}\n", session.plan_warning());
        warned = true;
      });
      if (json) {
        nlohmann::json j = {{"model", model},
                            {"batch", batch},
                            {"threads", threads},
                            {"threads_in_use", session.threads_in_use()},  // fewer on busy cores
                            {"iters", iters},
                            {"compile_ms", compile_ms},
                            {"first_run_ms", t.first_run_ms},
                            {"median_ms", t.median_ms},
                            {"p90_ms", t.p90_ms},
                            {"min_ms", t.min_ms},
                            {"throughput", t.images_per_s},
                            {"cpu_ms_per_image", t.cpu_ms_per_image},
                            {"peak_rss_mb", peak_rss_mb()},
                            {"peak_activation_mb", t.peak_activation_mb}};
        fmt::print("{}\n", j.dump());
      } else {
        fmt::print("{:>6} {:>10.1f} {:>10.3f} {:>10.3f} {:>10.3f} {:>10.3f} {:>10.1f} {:>10.1f} {:>9.1f}\n",
                   batch, t.images_per_s, t.median_ms, t.p90_ms, t.min_ms, t.cpu_ms_per_image,
                   t.first_run_ms, peak_rss_mb(), t.peak_activation_mb);
      }
      std::fflush(stdout);  // a row as soon as its size is done (long sweeps)
    }
  });
}

}  // namespace qcv::cli
