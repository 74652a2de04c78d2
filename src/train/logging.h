// Training logs: a progress bar on a TTY (one line per epoch otherwise), metrics.jsonl (one JSON
// object per epoch) and TensorBoard scalars.
#pragma once
#include <chrono>
#include <memory>
#include <nlohmann/json.hpp>
#include <string>

#include "train/tensorboard.h"

namespace qcv::train {

struct EpochMetrics {
  int64_t epoch = 0;  // 1-based
  double lr = 0;
  double train_loss = 0, train_top1 = 0;
  double test_loss = 0, test_top1 = 0, test_top5 = 0;
  double images_per_s = 0;
  double seconds = 0;
  nlohmann::json to_json() const;
};

class TrainLogger {
 public:
  // tty: draw a progress bar on stderr; otherwise print one line per epoch on stdout.
  // enabled false: a logger that writes nothing (the ranks other than 0 of a distributed job).
  TrainLogger(const std::string& run_dir, int64_t epochs, bool tty, bool enabled = true);
  // During an epoch (throttled to a few updates per second).
  void progress(int64_t epoch, int64_t step, int64_t steps, double loss, double top1,
                double images_per_s, double eta_seconds);
  void epoch_done(const EpochMetrics& m, int64_t global_step);
  void message(const std::string& text);  // a line of its own, above the bar

 private:
  std::string metrics_path_;
  int64_t epochs_;
  bool tty_;
  bool enabled_ = true;
  bool bar_drawn_ = false;
  std::chrono::steady_clock::time_point last_draw_;
  std::unique_ptr<EventWriter> events_;
};

}  // namespace qcv::train
