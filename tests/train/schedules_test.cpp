// Learning-rate schedules against hand-computed values.
#include "train/schedules.h"

#include <gtest/gtest.h>

#include <cmath>

#include "ir/error.h"

using namespace qcv::train;

namespace {
LrSchedule make(const std::string& kind, double lr, int epochs) {
  ScheduleConfig c;
  c.kind = kind;
  c.base_lr = lr;
  c.epochs = epochs;
  if (kind == "piecewise") c.piecewise = parse_piecewise("1.0:1,0.1:2,0.01:7");
  return LrSchedule(c);
}
}  // namespace

TEST(Schedules, PiecewiseWarmupAsNvidiaSeed) {
  // lr_schedule=[(1.0, 1), (0.1, 2), (0.01, 7)], lr=0.001: linear warmup to 0.001 over epoch 1,
  // then 0.001 until epoch 2, 0.0001 until epoch 7, 0.00001 after.
  LrSchedule s = make("piecewise", 0.001, 10);
  EXPECT_DOUBLE_EQ(s.at(0.0), 0.0);
  EXPECT_DOUBLE_EQ(s.at(0.5), 0.0005);
  EXPECT_DOUBLE_EQ(s.at(1.0), 0.001);
  EXPECT_DOUBLE_EQ(s.at(1.99), 0.001);
  EXPECT_DOUBLE_EQ(s.at(2.0), 0.0001);
  EXPECT_DOUBLE_EQ(s.at(6.99), 0.0001);
  EXPECT_DOUBLE_EQ(s.at(7.0), 0.00001);
  EXPECT_DOUBLE_EQ(s.at(9.5), 0.00001);
  EXPECT_EQ(s.unreached_phase_warning(100), "");
}

TEST(Schedules, WarnsWhenAPhaseIsNeverReached) {
  LrSchedule s = make("piecewise", 0.001, 2);
  std::string w = s.unreached_phase_warning(4);
  EXPECT_NE(w.find("multiplier 0.1 from epoch 2"), std::string::npos) << w;
  EXPECT_NE(w.find("multiplier 0.01 from epoch 7"), std::string::npos) << w;
  // Rates actually used: epoch 1 ramps 0 -> 0.00075 (step 3 of 4), epoch 2 stays at 0.001.
  EXPECT_NE(w.find("epoch 1: 0 -> 0.00075"), std::string::npos) << w;
  EXPECT_NE(w.find("epoch 2: 0.001 -> 0.001"), std::string::npos) << w;

  ScheduleConfig c;
  c.kind = "cosine";
  c.epochs = 2;
  c.warmup_epochs = 3;
  EXPECT_NE(LrSchedule(c).unreached_phase_warning(10).find("warmup"), std::string::npos);
}

TEST(Schedules, CosineStepExponentialConstantOneCycle) {
  LrSchedule cosine = make("cosine", 0.1, 10);
  EXPECT_DOUBLE_EQ(cosine.at(0), 0.1);
  EXPECT_NEAR(cosine.at(2.5), 0.05 * (1 + std::sqrt(0.5)), 1e-12);
  EXPECT_NEAR(cosine.at(5), 0.05, 1e-12);
  EXPECT_NEAR(cosine.at(10), 0.0, 1e-12);

  ScheduleConfig w;
  w.kind = "cosine";
  w.base_lr = 0.1;
  w.epochs = 11;
  w.warmup_epochs = 1;
  LrSchedule warm(w);
  EXPECT_NEAR(warm.at(0.5), 0.05, 1e-12);  // linear warmup
  EXPECT_NEAR(warm.at(1), 0.1, 1e-12);
  EXPECT_NEAR(warm.at(6), 0.05, 1e-12);  // half-way through the 10 cosine epochs

  ScheduleConfig st;
  st.kind = "step";
  st.base_lr = 0.1;
  st.epochs = 10;
  st.decay_rate = 0.5;
  st.decay_epochs = 2;
  EXPECT_DOUBLE_EQ(LrSchedule(st).at(1.9), 0.1);
  EXPECT_DOUBLE_EQ(LrSchedule(st).at(2.0), 0.05);
  EXPECT_DOUBLE_EQ(LrSchedule(st).at(4.5), 0.025);
  st.kind = "exponential";
  EXPECT_NEAR(LrSchedule(st).at(1.0), 0.1 * std::sqrt(0.5), 1e-12);

  EXPECT_DOUBLE_EQ(make("constant", 0.3, 5).at(4.2), 0.3);

  LrSchedule one = make("onecycle", 1.0, 10);  // up for 3 epochs from 1/25, down to 1/25e4
  EXPECT_NEAR(one.at(0), 0.04, 1e-12);
  EXPECT_NEAR(one.at(1.5), (0.04 + 1.0) / 2, 1e-12);
  EXPECT_NEAR(one.at(3), 1.0, 1e-12);
  EXPECT_NEAR(one.at(10), 4e-6, 1e-12);
}

TEST(Schedules, RejectsBadConfigurations) {
  EXPECT_THROW(parse_piecewise("1.0:2,0.1:1"), qcv::Error);
  EXPECT_THROW(parse_piecewise("1.0"), qcv::Error);
  EXPECT_THROW(make("linear", 0.1, 3), qcv::Error);
  EXPECT_THROW(make("cosine", 0.1, 0), qcv::Error);
}
