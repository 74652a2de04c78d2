#include "runtime/thread_policy.h"

#include <algorithm>
#include <cstdlib>

namespace qcv::runtime {

namespace {

constexpr size_t kKeep = 7;  // durations kept per team size

// The first entry of an OMP_NUM_THREADS list ("4" or "4,2"), or 0 when unset or not a number.
int first_entry(const char* v) {
  if (v == nullptr) return 0;
  char* end = nullptr;
  long n = std::strtol(v, &end, 10);
  if (end == v || (*end != '\0' && *end != ',') || n <= 0 || n > 4096) return 0;
  return static_cast<int>(n);
}

}  // namespace

ThreadSettings thread_settings(int requested, bool adapt, const char* omp_num_threads,
                               const char* omp_dynamic, int cores) {
  ThreadSettings s;
  s.max_threads = requested > 0 ? requested : first_entry(omp_num_threads);
  if (s.max_threads <= 0) s.max_threads = std::max(cores, 1);
  s.adaptive = adapt && omp_dynamic == nullptr && s.max_threads > 1;
  return s;
}

ThreadChooser::ThreadChooser(ThreadSettings s)
    : settings_(s), current_(s.max_threads), recent_(s.max_threads + 1) {}

int ThreadChooser::next() {
  if (!settings_.adaptive) return settings_.max_threads;
  if (probe_ != 0 && probe_left_ > 0) {
    --probe_left_;
    return probe_;
  }
  return current_;
}

double ThreadChooser::median(int threads) const {
  std::vector<double> v = recent_[threads];
  if (v.empty()) return 0;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

void ThreadChooser::record(int threads, double seconds) {
  if (!settings_.adaptive || threads < 1 || threads > settings_.max_threads) return;
  std::vector<double>& r = recent_[threads];
  if (threads == probe_) {
    if (skip_first_) {  // the probe's first run pays for compiling and first touches
      skip_first_ = false;
      return;
    }
    r.push_back(seconds);
    if (static_cast<int>(r.size()) < kProbeRuns - 1) return;
    if (median(probe_) < kMargin * median(current_)) {
      current_ = probe_;
      period_ = kFirstPeriod;
    } else {
      period_ = std::min(2 * period_, kMaxPeriod);
    }
    probe_ = 0;
    since_probe_ = 0;
    return;
  }
  if (threads != current_) return;  // a run handed out before a move
  r.push_back(seconds);
  if (r.size() > kKeep) r.erase(r.begin());
  if (probe_ != 0 || ++since_probe_ < period_ || r.size() < 3) return;
  // Alternate directions where both exist: down finds a busy core, up finds it free again.
  const bool can_down = current_ > 1, can_up = current_ < settings_.max_threads;
  const bool down = can_down && (probe_down_ || !can_up);
  probe_down_ = !probe_down_;
  probe_ = down ? current_ - 1 : current_ + 1;
  probe_left_ = kProbeRuns;
  skip_first_ = true;
  recent_[probe_].clear();  // its old durations describe an older load
}

}  // namespace qcv::runtime
