#include "train/schedules.h"

#include <cmath>
#include <limits>
#include <sstream>

#include "ir/error.h"
#include "ir/parse_value.h"

namespace qcv::train {

std::vector<std::pair<double, double>> parse_piecewise(const std::string& text) {
  std::vector<std::pair<double, double>> pairs;
  std::stringstream in(text);
  std::string item;
  while (std::getline(in, item, ',')) {
    size_t colon = item.find(':');
    try {
      if (colon == std::string::npos) fail("no colon");
      // Finite, non-negative numbers (ir/parse_value.h): NaN would pass every comparison below.
      const double big = std::numeric_limits<double>::max();
      double m = ir::parse_number("multiplier", item.substr(0, colon), 0, big);
      double e = ir::parse_number("epoch", item.substr(colon + 1), 0, big);
      pairs.emplace_back(m, e);
    } catch (const Error& e) {
      fail("piecewise schedule '{}': '{}' is not multiplier:epoch ({})", text, item, e.what());
    }
    if (pairs.size() > 1 && pairs.back().second <= pairs[pairs.size() - 2].second)
      fail("piecewise schedule '{}': epochs must increase", text);
  }
  if (pairs.empty()) fail("piecewise schedule '{}' is empty", text);
  return pairs;
}

LrSchedule::LrSchedule(ScheduleConfig config) : c_(std::move(config)) {
  static const char* kinds[] = {"constant", "step",     "exponential",
                                "cosine",   "onecycle", "piecewise"};
  bool known = false;
  for (const char* k : kinds) known = known || c_.kind == k;
  if (!known)
    fail("lr schedule '{}': expected constant, step, exponential, cosine, onecycle or piecewise",
         c_.kind);
  if (c_.epochs <= 0) fail("lr schedule: epochs must be positive, got {}", c_.epochs);
  if (c_.base_lr < 0) fail("lr schedule: learning rate must be >= 0, got {}", c_.base_lr);
  if (c_.warmup_epochs < 0) fail("lr schedule: warmup epochs must be >= 0");
  if ((c_.kind == "step" || c_.kind == "exponential") && c_.decay_epochs <= 0)
    fail("lr schedule '{}': decay epochs must be positive", c_.kind);
  if (c_.kind == "piecewise" && c_.piecewise.empty())
    fail("lr schedule 'piecewise' needs (multiplier, epoch) pairs (--piecewise 1.0:1,0.1:2)");
}

double LrSchedule::at(double t) const {
  const double lr = c_.base_lr;
  if (c_.kind == "piecewise") {
    const auto& p = c_.piecewise;
    if (t < p[0].second) return lr * p[0].first * t / p[0].second;
    double m = p[0].first;
    for (const auto& [mult, epoch] : p)
      if (t >= epoch) m = mult;
    return lr * m;
  }
  if (c_.kind == "onecycle") {
    // torch's OneCycleLR (cosine both ways): lr/25 -> lr over the warmup (30% by default), then
    // down to lr/25e4.
    const double up = c_.warmup_epochs > 0 ? c_.warmup_epochs : 0.3 * c_.epochs;
    const double start = lr / 25, end = lr / 25e4;
    auto cosine = [](double from, double to, double f) {
      return to + (from - to) * 0.5 * (1 + std::cos(M_PI * f));
    };
    if (t < up) return cosine(start, lr, t / up);
    return cosine(lr, end, std::min(1.0, (t - up) / std::max(1e-12, c_.epochs - up)));
  }
  if (t < c_.warmup_epochs) return lr * t / c_.warmup_epochs;
  if (c_.kind == "constant") return lr;
  if (c_.kind == "step")
    return lr * std::pow(c_.decay_rate, std::floor(t / c_.decay_epochs + 1e-9));
  if (c_.kind == "exponential") return lr * std::pow(c_.decay_rate, t / c_.decay_epochs);
  // cosine, after the warmup
  const double span = c_.epochs - c_.warmup_epochs;
  const double f = span > 0 ? std::min(1.0, (t - c_.warmup_epochs) / span) : 1.0;
  const double low = lr * c_.final_fraction;
  return low + (lr - low) * 0.5 * (1 + std::cos(M_PI * f));
}

std::string LrSchedule::unreached_phase_warning(long steps_per_epoch) const {
  std::vector<std::string> missed;
  const double end = c_.epochs;
  if (c_.kind == "piecewise") {
    if (c_.piecewise[0].second > end)
      missed.push_back(fmt::format("the end of the warmup at epoch {}", c_.piecewise[0].second));
    for (size_t i = 1; i < c_.piecewise.size(); ++i)
      if (c_.piecewise[i].second >= end)
        missed.push_back(fmt::format("multiplier {} from epoch {}", c_.piecewise[i].first,
                                     c_.piecewise[i].second));
  } else if (c_.kind != "onecycle" && c_.warmup_epochs > end) {
    missed.push_back(fmt::format("the end of the {}-epoch warmup", c_.warmup_epochs));
  } else if (c_.kind == "step" && c_.decay_epochs >= end) {
    missed.push_back(fmt::format("the first decay at epoch {}", c_.decay_epochs));
  }
  if (missed.empty()) return "";
  std::string msg =
      fmt::format("lr schedule '{}' with {} epochs never reaches ", c_.kind, c_.epochs);
  for (size_t i = 0; i < missed.size(); ++i) msg += (i ? "; " : "") + missed[i];
  msg += ". Rates that will be used (first -> last step of each epoch):";
  const double last = steps_per_epoch > 1 ? double(steps_per_epoch - 1) / steps_per_epoch : 0.0;
  for (int e = 0; e < c_.epochs; ++e)
    msg += fmt::format(" epoch {}: {:.6g} -> {:.6g};", e + 1, at(e), at(e + last));
  msg.pop_back();
  return msg;
}

}  // namespace qcv::train
