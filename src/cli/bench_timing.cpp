#include "cli/bench_timing.h"

#include <sys/resource.h>

#include <algorithm>
#include <chrono>
#include <random>

#include "ir/error.h"

namespace qcv::cli {

namespace {

double cpu_seconds() {
  rusage u{};
  getrusage(RUSAGE_SELF, &u);
  return u.ru_utime.tv_sec + u.ru_stime.tv_sec + (u.ru_utime.tv_usec + u.ru_stime.tv_usec) * 1e-6;
}

double percentile(std::vector<double> v, double p) {
  if (v.empty()) fail("bench: no timed iterations to take a percentile of");
  std::sort(v.begin(), v.end());
  size_t i = std::min(v.size() - 1, static_cast<size_t>(p * (v.size() - 1) + 0.5));
  return v[i];
}

}  // namespace

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
    // Dimension 0 is the batch even when fixed, as in Session::run (a plan per input shape).
    if (!shape.empty()) shape[0] = batch;
    if (v.dtype != ir::DType::Float32) fail("input '{}': only float32 inputs can be benchmarked", v.name);
    ir::Tensor t(ir::DType::Float32, shape);
    for (int64_t i = 0; i < t.numel(); ++i) t.data<float>()[i] = normal(rng);
    feeds[v.name] = t;
  }
  return feeds;
}

BatchTiming time_batch(runtime::Session& session, int batch, int warmup, int iters,
                       const std::function<void()>& on_first_run) {
  using ms_t = std::chrono::duration<double, std::milli>;
  using clock = std::chrono::steady_clock;
  BatchTiming r;
  r.batch = batch;
  const auto feeds = random_feeds(session.inputs(), batch);
  auto t0 = clock::now();
  session.run(feeds);
  r.first_run_ms = ms_t(clock::now() - t0).count();
  if (on_first_run) on_first_run();
  for (int i = 0; i < warmup; ++i) session.run(feeds);
  std::vector<double> ms;
  ms.reserve(iters);
  const double cpu0 = cpu_seconds();
  const auto w0 = clock::now();
  for (int i = 0; i < iters; ++i) {
    auto s = clock::now();
    session.run(feeds);
    ms.push_back(ms_t(clock::now() - s).count());
  }
  const double wall_s = std::chrono::duration<double>(clock::now() - w0).count();
  r.cpu_ms_per_image = (cpu_seconds() - cpu0) * 1000.0 / (double(iters) * batch);
  r.median_ms = percentile(ms, 0.5);
  r.p90_ms = percentile(ms, 0.9);
  r.min_ms = percentile(ms, 0.0);
  r.images_per_s = double(batch) * iters / wall_s;
  r.peak_activation_mb = session.peak_activation_bytes() / 1048576.0;
  return r;
}

}  // namespace qcv::cli
