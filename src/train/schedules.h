// Learning-rate schedules as pure functions of the (fractional) epoch, so that resuming anywhere
// gives the same rates and tests can check them against hand-computed values.
#pragma once
#include <string>
#include <utility>
#include <vector>

namespace qcv::train {

struct ScheduleConfig {
  // constant | step | exponential | cosine | onecycle | piecewise
  std::string kind = "cosine";
  double base_lr = 0.1;
  int epochs = 1;
  double warmup_epochs = 0;  // linear ramp from 0 (all kinds but onecycle and piecewise)
  double decay_rate = 0.1;   // step / exponential: factor per decay_epochs
  double decay_epochs = 1;
  double final_fraction = 0;  // cosine: the rate at the end, as a fraction of base_lr
  // piecewise: (multiplier, epoch) pairs as the NVIDIA seed's piecewise_sgd and TF's
  // PiecewiseConstantDecayWithWarmup: a linear warmup from 0 to base_lr * m0 until epoch e0, then
  // base_lr * m_i from epoch e_i on.
  std::vector<std::pair<double, double>> piecewise;
};

// Parses "1.0:1,0.1:2,0.01:7" (multiplier:epoch pairs, epochs increasing). Throws qcv::Error.
std::vector<std::pair<double, double>> parse_piecewise(const std::string& text);

class LrSchedule {
 public:
  explicit LrSchedule(ScheduleConfig config);  // throws qcv::Error on a bad configuration
  // The rate at fractional epoch t (epoch index + step / steps_per_epoch), t in [0, epochs].
  double at(double t) const;
  // Non-empty when a phase of the schedule is never reached in `epochs` (e.g. a warmup longer
  // than the run): a message with the rate each epoch will actually use.
  std::string unreached_phase_warning(long steps_per_epoch) const;
  const ScheduleConfig& config() const { return c_; }

 private:
  ScheduleConfig c_;
};

}  // namespace qcv::train
