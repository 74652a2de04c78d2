#include "train/logging.h"

#include <cstdio>
#include <fstream>

#include "ir/error.h"

namespace qcv::train {
namespace {

std::string clock_string(double seconds) {
  int64_t s = static_cast<int64_t>(seconds + 0.5);
  return fmt::format("{}:{:02d}:{:02d}", s / 3600, (s / 60) % 60, s % 60);
}

}  // namespace

nlohmann::json EpochMetrics::to_json() const {
  return {{"epoch", epoch},           {"lr", lr},
          {"train_loss", train_loss}, {"train_top1", train_top1},
          {"test_loss", test_loss},   {"test_top1", test_top1},
          {"test_top5", test_top5},   {"images_per_s", images_per_s},
          {"seconds", seconds}};
}

TrainLogger::TrainLogger(const std::string& run_dir, int64_t epochs, bool tty, bool enabled)
    : metrics_path_(run_dir + "/metrics.jsonl"), epochs_(epochs), tty_(tty), enabled_(enabled) {
  if (enabled_) events_ = std::make_unique<EventWriter>(run_dir);
}

void TrainLogger::progress(int64_t epoch, int64_t step, int64_t steps, double loss, double top1,
                           double images_per_s, double eta_seconds) {
  if (!tty_ || !enabled_) return;
  auto now = std::chrono::steady_clock::now();
  if (step != steps && bar_drawn_ && now - last_draw_ < std::chrono::milliseconds(250)) return;
  last_draw_ = now;
  const int width = 24;
  const int filled = steps > 0 ? static_cast<int>(width * step / steps) : 0;
  std::string bar(static_cast<size_t>(filled), '#');
  bar.resize(width, '.');
  std::fprintf(stderr,
               "\r\033[Kepoch %lld/%lld [%s] %lld/%lld loss %.4f acc %.2f%% %.0f img/s ETA %s",
               static_cast<long long>(epoch), static_cast<long long>(epochs_), bar.c_str(),
               static_cast<long long>(step), static_cast<long long>(steps), loss, top1,
               images_per_s, clock_string(eta_seconds).c_str());
  std::fflush(stderr);
  bar_drawn_ = true;
}

void TrainLogger::message(const std::string& text) {
  if (!enabled_) return;
  if (tty_ && bar_drawn_) std::fprintf(stderr, "\r\033[K");
  std::fprintf(stderr, "%s\n", text.c_str());
  bar_drawn_ = false;
}

void TrainLogger::epoch_done(const EpochMetrics& m, int64_t global_step) {
  if (!enabled_) return;
  if (tty_ && bar_drawn_) std::fprintf(stderr, "\r\033[K");
  bar_drawn_ = false;
  std::printf(
      "epoch %lld/%lld lr %.5g train loss %.4f top1 %.2f%% | test loss %.4f top1 %.2f%% top5 "
      "%.2f%% | %.0f img/s %.1f s\n",
      static_cast<long long>(m.epoch), static_cast<long long>(epochs_), m.lr, m.train_loss,
      m.train_top1, m.test_loss, m.test_top1, m.test_top5, m.images_per_s, m.seconds);
  std::fflush(stdout);
  std::ofstream out(metrics_path_, std::ios::app);
  out << m.to_json().dump() << "\n";
  if (!out) fail("cannot append to '{}'", metrics_path_);
  events_->scalar("train/loss", static_cast<float>(m.train_loss), global_step);
  events_->scalar("train/top1", static_cast<float>(m.train_top1), global_step);
  events_->scalar("test/loss", static_cast<float>(m.test_loss), global_step);
  events_->scalar("test/top1", static_cast<float>(m.test_top1), global_step);
  events_->scalar("test/top5", static_cast<float>(m.test_top5), global_step);
  events_->scalar("lr", static_cast<float>(m.lr), global_step);
  events_->scalar("images_per_s", static_cast<float>(m.images_per_s), global_step);
  events_->flush();
}

}  // namespace qcv::train
