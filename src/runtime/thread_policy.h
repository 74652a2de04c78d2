// How many OpenMP threads a run uses. oneDNN (Debian's build: OpenMP) splits every primitive into
// one equal share per thread and waits for all of them at the end: when another process holds a
// core, the share of the thread that shares that core finishes a scheduler time slice late, at
// every layer (MobileNetV2 at 2 threads went from 5 to 66 ms). So a Session times its runs and
// moves to the team size that is fastest now, probing a neighbour now and then (less often while
// probes lose, so that a quiet machine pays little for them).
#pragma once

#include <vector>

namespace qcv::runtime {

struct ThreadSettings {
  int max_threads = 1;    // the most threads a run uses
  bool adaptive = false;  // fewer may be used when they are faster
};

// The one place for the precedence of thread settings. `requested` (SessionOptions::threads,
// `--threads`) wins when > 0, then OMP_NUM_THREADS (its first entry), then `cores`. A user who
// sets OMP_DYNAMIC chose OpenMP's own rule (false: always exactly that many threads), so qcv
// does not adapt then; nor when adapt is false or there is one thread. The env values are
// passed in (null: unset) so that the rule is testable.
ThreadSettings thread_settings(int requested, bool adapt, const char* omp_num_threads,
                               const char* omp_dynamic, int cores);

// The adaptive choice between team sizes 1..max, from the durations of finished runs. Not
// thread-safe: the Session calls it under its lock.
class ThreadChooser {
 public:
  explicit ThreadChooser(ThreadSettings s);
  int next();                                // the team size for the next run
  void record(int threads, double seconds);  // a finished run's duration
  int current() const { return current_; }

  // Runs between probes start at kFirstPeriod, double after each losing probe up to kMaxPeriod,
  // and start again at kFirstPeriod after a move.
  static constexpr int kFirstPeriod = 8, kMaxPeriod = 256;
  static constexpr int kProbeRuns = 4;  // the first is not counted (first touch, compiling)
  // A neighbour must beat the current median by this factor to take over (noise margin).
  static constexpr double kMargin = 0.9;

 private:
  double median(int threads) const;

  ThreadSettings settings_;
  int current_;
  int probe_ = 0;           // the team size being probed, 0: none
  int probe_left_ = 0;      // probe runs still to hand out
  bool skip_first_ = false;  // the probe's first duration is not yet seen
  bool probe_down_ = true;  // direction of the next probe
  int since_probe_ = 0, period_ = kFirstPeriod;
  std::vector<std::vector<double>> recent_;  // per team size: the last durations, newest last
};

}  // namespace qcv::runtime
