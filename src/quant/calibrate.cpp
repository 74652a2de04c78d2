// Calibration: streams batches through the graph and accumulates per-tensor statistics as the
// backend hands over each observed tensor. Two passes for histogram methods (ranges, then
// histograms over the final range), so memory does not grow with the number of images.
#include <unistd.h>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>

#include "data/data.h"
#include "quant/quant.h"
#include "ref/ref.h"

namespace qcv::quant {

void TensorStats::add_range(const ir::Tensor& t) {
  if (t.dtype() != ir::DType::Float32)
    fail("calibration: tensor is {}, expected float32", ir::dtype_name(t.dtype()));
  const float* x = t.data<float>();
  for (int64_t i = 0; i < t.numel(); ++i) {
    if (std::isnan(x[i])) continue;
    if (!seen) {
      min = max = x[i];
      seen = true;
    }
    min = std::min(min, x[i]);
    max = std::max(max, x[i]);
  }
}

Backend reference_backend() {
  return [](const ir::Graph& g, const std::vector<std::string>& observed,
            Observer observer) -> Runner {
    auto graph = std::make_shared<ir::Graph>(g);
    std::vector<size_t> slot;
    for (const std::string& name : observed) {
      size_t k = 0;
      while (k < graph->outputs.size() && graph->outputs[k].name != name) ++k;
      if (k == graph->outputs.size()) {
        auto v = graph->value_type(name);
        graph->outputs.push_back(v ? *v : ir::make_value(name));
      }
      slot.push_back(k);
    }
    return [graph, observed, slot, observer](const std::map<std::string, ir::Tensor>& feeds) {
      const std::vector<ir::Tensor> outs = ref::run_graph(*graph, feeds);
      for (size_t i = 0; i < observed.size(); ++i) observer(observed[i], outs.at(slot[i]));
    };
  };
}

namespace {

class FeedsData : public CalibrationData {
 public:
  explicit FeedsData(std::vector<std::map<std::string, ir::Tensor>> b) : batches_(std::move(b)) {}
  size_t num_batches() const override { return batches_.size(); }
  void rewind() override { pos_ = 0; }
  bool next(std::map<std::string, ir::Tensor>& feeds) override {
    if (pos_ >= batches_.size()) return false;
    feeds = batches_[pos_++];
    return true;
  }

 private:
  std::vector<std::map<std::string, ir::Tensor>> batches_;
  size_t pos_ = 0;
};

class LoaderData : public CalibrationData {
 public:
  LoaderData(std::shared_ptr<data::DataLoader> loader, std::string input)
      : loader_(std::move(loader)), input_(std::move(input)) {}
  size_t num_batches() const override { return loader_->batches_per_epoch(); }
  void rewind() override { loader_->start_epoch(0); }
  bool next(std::map<std::string, ir::Tensor>& feeds) override {
    data::Batch b;
    if (!loader_->next(b)) return false;
    feeds.clear();
    feeds[input_] = b.images;
    return true;
  }

 private:
  std::shared_ptr<data::DataLoader> loader_;
  std::string input_;
};

// "calibration pass 1/2: batch k/N, ETA s": rewritten in place on a terminal, a line per tenth
// otherwise.
class Progress {
 public:
  Progress(const CalibrationOptions& o, int pass, int passes, size_t total)
      : o_(o),
        pass_(pass),
        passes_(passes),
        total_(total),
        start_(std::chrono::steady_clock::now()),
        tty_(!o.progress && isatty(2)) {}

  void step(size_t k) {
    if (!o_.show_progress) return;
    const size_t every = std::max<size_t>(1, total_ / 10);
    if (!tty_ && k % every != 0 && k != total_) return;
    const double elapsed =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
    const double eta = k > 0 && total_ >= k ? elapsed / k * (total_ - k) : 0;
    const std::string line =
        fmt::format("calibration pass {}/{}: batch {}/{}, {:.1f}s, ETA {:.0f}s", pass_, passes_, k,
                    total_, elapsed, eta);
    if (o_.progress) {
      o_.progress(line);
    } else if (tty_) {
      std::fprintf(stderr, "\r%s%s", line.c_str(), k == total_ ? "\n" : "");
    } else {
      std::fprintf(stderr, "%s\n", line.c_str());
    }
  }

 private:
  const CalibrationOptions& o_;
  int pass_, passes_;
  size_t total_;
  std::chrono::steady_clock::time_point start_;
  bool tty_;
};

}  // namespace

std::unique_ptr<CalibrationData> feeds_data(
    std::vector<std::map<std::string, ir::Tensor>> batches) {
  return std::make_unique<FeedsData>(std::move(batches));
}

std::unique_ptr<CalibrationData> loader_data(std::shared_ptr<data::DataLoader> loader,
                                             std::string input_name) {
  return std::make_unique<LoaderData>(std::move(loader), std::move(input_name));
}

void report_progress(const CalibrationOptions& options, const std::string& line) {
  if (!options.show_progress) return;
  if (options.progress)
    options.progress(line);
  else
    std::fprintf(stderr, "%s\n", line.c_str());
}

void run_every_batch(CalibrationData& data, const std::string& pass, const Runner& run) {
  data.rewind();
  std::map<std::string, ir::Tensor> feeds;
  size_t batches = 0;
  while (data.next(feeds)) {
    run(feeds);
    ++batches;
  }
  if (batches == 0) fail("{}: the calibration data has no batches", pass);
}

std::map<std::string, TensorStats> collect_stats(const ir::Graph& graph,
                                                 const std::vector<std::string>& tensors,
                                                 const Backend& backend, CalibrationData& data,
                                                 const CalibrationOptions& options) {
  std::map<std::string, TensorStats> stats;
  for (const auto& t : tensors) stats[t];
  const bool histograms = options.method != CalibrationMethod::Max;
  const int passes = histograms ? 2 : 1;
  int pass = 1;
  std::map<std::string, int> seen;  // observations per tensor in this batch
  // Statistics are accumulated as the backend computes each tensor, so only the tensors the
  // runtime needs at that moment are alive.
  Observer observe = [&](const std::string& name, const ir::Tensor& t) {
    auto it = stats.find(name);
    if (it == stats.end()) fail("calibration: backend observed '{}', which was not asked", name);
    ++seen[name];
    if (pass == 1) {
      it->second.add_range(t);
    } else {
      it->second.hist.add(t.data<float>(), static_cast<size_t>(t.numel()));
    }
  };
  std::vector<std::string> unique;
  for (const auto& [name, s] : stats) unique.push_back(name);
  Runner run = backend(graph, unique, observe);

  std::map<std::string, ir::Tensor> feeds;
  for (pass = 1; pass <= passes; ++pass) {
    if (pass == 2) {
      for (auto& [name, s] : stats) {
        s.hist.counts.assign(std::max(1, options.num_bins), 0.0);
        s.hist.max_abs = std::max(std::fabs(s.min), std::fabs(s.max));
      }
    }
    data.rewind();
    Progress progress(options, pass, passes, data.num_batches());
    size_t k = 0;
    while (data.next(feeds)) {
      seen.clear();
      run(feeds);
      for (const auto& [name, s] : stats)
        if (seen[name] != 1)
          fail("calibration: backend observed '{}' {} times in a batch, expected once", name,
               seen[name]);
      progress.step(++k);
    }
    if (k == 0) fail("calibration: the calibration data has no batches");
  }
  return stats;
}

std::pair<float, float> calibrated_range(const TensorStats& stats,
                                         const CalibrationOptions& options, bool symmetric,
                                         ir::DType dtype) {
  if (options.method == CalibrationMethod::Max || !stats.seen) return {stats.min, stats.max};
  double threshold = 0;
  const bool one_sided = !symmetric && stats.min >= 0;
  (void)dtype;
  switch (options.method) {
    case CalibrationMethod::Percentile:
      threshold = percentile_threshold(stats.hist, options.percentile);
      break;
    case CalibrationMethod::Entropy:
      // Levels between 0 and the threshold: 256 for an asymmetric range starting at 0 (the
      // unsigned case of NVIDIA's pytorch-quantization), 128 for symmetric int8.
      threshold = entropy_threshold(stats.hist, one_sided ? 256 : 128);
      break;
    case CalibrationMethod::Mse:
      // Steps between 0 and the threshold: 255 for a uint8/int8 range starting at 0, 127 else.
      threshold = mse_threshold(stats.hist, one_sided ? 255 : 127);
      break;
    case CalibrationMethod::Max:
      break;
    case CalibrationMethod::Auto:
      fail("calibrated_range: method auto is chosen per tensor (quant::choose_methods)");
  }
  const float t = static_cast<float>(threshold);
  return {std::max(stats.min, -t), std::min(stats.max, t)};
}

}  // namespace qcv::quant
