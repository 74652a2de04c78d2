// The team-size rule (runtime/thread_policy.h) on scripted durations: which settings win, that a
// faster smaller team takes over and a freed core is found again, and that a quiet machine pays
// for few probes. No timing: the durations are made up.
#include <gtest/gtest.h>

#include <map>

#include "runtime/thread_policy.h"

using qcv::runtime::thread_settings;
using qcv::runtime::ThreadChooser;
using qcv::runtime::ThreadSettings;

TEST(ThreadSettings, RequestedThenOmpNumThreadsThenCores) {
  EXPECT_EQ(thread_settings(3, true, "5", nullptr, 8).max_threads, 3);
  EXPECT_EQ(thread_settings(0, true, "5", nullptr, 8).max_threads, 5);
  EXPECT_EQ(thread_settings(0, true, "4,2", nullptr, 8).max_threads, 4);  // a nested list
  EXPECT_EQ(thread_settings(0, true, nullptr, nullptr, 8).max_threads, 8);
  EXPECT_EQ(thread_settings(0, true, "lots", nullptr, 8).max_threads, 8);  // not a number
  EXPECT_EQ(thread_settings(0, true, "0", nullptr, 8).max_threads, 8);
  EXPECT_EQ(thread_settings(0, true, nullptr, nullptr, 0).max_threads, 1);
}

TEST(ThreadSettings, OmpDynamicOrAnOptOutOrOneThreadFixesTheTeam) {
  EXPECT_TRUE(thread_settings(2, true, nullptr, nullptr, 2).adaptive);
  EXPECT_FALSE(thread_settings(2, true, nullptr, "false", 2).adaptive);  // the user's OpenMP rule
  EXPECT_FALSE(thread_settings(2, true, nullptr, "true", 2).adaptive);
  EXPECT_FALSE(thread_settings(2, false, nullptr, nullptr, 2).adaptive);
  EXPECT_FALSE(thread_settings(1, true, nullptr, nullptr, 8).adaptive);
}

namespace {

// Runs the chooser `runs` times against a machine whose run time per team size is `cost`;
// returns how many runs each team size got.
std::map<int, int> simulate(ThreadChooser& c, const std::map<int, double>& cost, int runs) {
  std::map<int, int> used;
  for (int i = 0; i < runs; ++i) {
    int t = c.next();
    ++used[t];
    c.record(t, cost.at(t));
  }
  return used;
}

}  // namespace

TEST(ThreadChooser, FixedTeamIsAlwaysTheMaximum) {
  ThreadChooser c(ThreadSettings{4, false});
  std::map<int, int> used = simulate(c, {{4, 0.066}}, 200);  // a slow team, but the user's
  EXPECT_EQ(used[4], 200);
}

TEST(ThreadChooser, BusyCoreMovesToFewerThreadsAndAFreedCoreMovesBack) {
  ThreadChooser c(ThreadSettings{2, true});
  EXPECT_EQ(c.current(), 2);
  // A busy core: 2 threads wait a time slice per layer (66 ms), 1 thread runs alone (9 ms).
  simulate(c, {{1, 0.009}, {2, 0.066}}, 30);
  EXPECT_EQ(c.current(), 1);
  std::map<int, int> used = simulate(c, {{1, 0.009}, {2, 0.066}}, 1000);
  EXPECT_GT(used[1], 950);  // probes of 2 back off while they lose
  // The other process ends: 2 threads are faster again and are found by the next probe.
  simulate(c, {{1, 0.009}, {2, 0.005}}, ThreadChooser::kMaxPeriod + 2 * ThreadChooser::kProbeRuns);
  EXPECT_EQ(c.current(), 2);
}

TEST(ThreadChooser, QuietMachineKeepsAllThreadsAndProbesRarely) {
  ThreadChooser c(ThreadSettings{2, true});
  std::map<int, int> used = simulate(c, {{1, 0.009}, {2, 0.005}}, 2000);
  EXPECT_EQ(c.current(), 2);
  EXPECT_LT(used[1], 2000 * 3 / 100);  // under 3% of runs spent probing
  EXPECT_GT(used[1], 0);          // but it does probe
}

TEST(ThreadChooser, SmallGainsWithinTheNoiseMarginDoNotMove) {
  ThreadChooser c(ThreadSettings{2, true});
  simulate(c, {{1, 0.0098}, {2, 0.0100}}, 500);  // 2% faster: noise, not a busy core
  EXPECT_EQ(c.current(), 2);
}

TEST(ThreadChooser, ManyCoresStepDownOneAtATimeToTheFastest) {
  // 8 threads with one core busy: 7 is best, fewer is slower again.
  ThreadChooser c(ThreadSettings{8, true});
  const std::map<int, double> cost = {{1, 8.0}, {2, 4.0}, {3, 2.7}, {4, 2.0}, {5, 1.6},
                                      {6, 1.35}, {7, 1.15}, {8, 5.0}};
  simulate(c, cost, 400);
  EXPECT_EQ(c.current(), 7);
}

TEST(ThreadChooser, FirstProbeRunAndUnknownTeamSizesAreNotCounted) {
  ThreadChooser c(ThreadSettings{2, true});
  // Durations for team sizes the chooser never handed out are ignored, not a crash.
  c.record(0, 1.0);
  c.record(9, 1.0);
  // The probe's first run is slow (compiling a plan), and one more by chance: counting the
  // first would make the median of three slow and keep 2 threads.
  int probe_runs = 0;
  for (int i = 0; i < ThreadChooser::kFirstPeriod + ThreadChooser::kProbeRuns; ++i) {
    int t = c.next();
    double d = t == 2 ? 0.010 : (probe_runs++ < 2 ? 1.0 : 0.004);
    c.record(t, d);
  }
  EXPECT_EQ(c.current(), 1);
}
