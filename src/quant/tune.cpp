// Greedy FP32 fallback over one calibration (see tune.h).
#include "quant/tune.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>

namespace qcv::quant {

double accuracy_drop(double fp32_top1, double top1, bool relative) {
  const double points = fp32_top1 - top1;
  if (!relative) return points;
  return fp32_top1 > 0 ? 100.0 * points / fp32_top1 : 0.0;
}

namespace {

class Search {
 public:
  Search(const Evaluate& e, const Latency& l, const TuneOptions& o, TuneResult& r)
      : evaluate_(e), latency_(l), o_(o), r_(r), start_(std::chrono::steady_clock::now()) {}

  void say(const std::string& line) const {
    if (o_.progress)
      o_.progress(line);
    else
      std::fprintf(stderr, "%s\n", line.c_str());
  }

  double seconds() const {
    return std::chrono::duration<double>(std::chrono::steady_clock::now() - start_).count();
  }
  bool timed_out() const { return o_.timeout_s > 0 && seconds() >= o_.timeout_s; }

  // Evaluates and times a graph; keeps it when it is the best so far.
  // `change`: what this trial changed, for the progress line ("" for none).
  const TuneTrial& trial(const std::string& stage, const PtqCalibration& c,
                         const std::vector<std::string>& fp32_nodes, const std::string& change) {
    PtqResult q = quantize_calibrated(c, fp32_nodes);
    TuneTrial t;
    t.stage = stage;
    t.method = method_name(c.options.calibration.method);
    t.fp32_nodes = fp32_nodes;
    t.top1 = evaluate_(q.graph).top1;
    t.drop = accuracy_drop(r_.fp32_top1, t.top1, o_.relative);
    t.meets = t.drop <= o_.max_drop;
    t.latency_ms = latency_(q.graph);
    r_.trials.push_back(t);
    const int index = static_cast<int>(r_.trials.size()) - 1;
    if (better(t)) {
      r_.best = index;
      r_.met = t.meets;
      r_.best_graph = std::move(q.graph);
    }
    say(
        fmt::format("tune: trial {} ({}, {}, {} FP32 node{}{}): top-1 {:.2f}% (drop {:.2f}{}) "
                    "{:.3f} ms{}",
                    index + 1, stage, t.method, fp32_nodes.size(),
                    fp32_nodes.size() == 1 ? "" : "s", change.empty() ? "" : ", " + change, t.top1,
                    t.drop, o_.relative ? "%" : " points", t.latency_ms, t.meets ? ": meets" : ""));
    return r_.trials.back();
  }

 private:
  // Meeting the criterion first, then fewer FP32 nodes, then top-1; unmet: top-1, then fewer.
  bool better(const TuneTrial& t) const {
    if (r_.best < 0) return true;
    const TuneTrial& b = r_.trials[r_.best];
    if (t.meets != b.meets) return t.meets;
    if (t.meets && t.fp32_nodes.size() != b.fp32_nodes.size())
      return t.fp32_nodes.size() < b.fp32_nodes.size();
    if (t.top1 != b.top1) return t.top1 > b.top1;
    return t.fp32_nodes.size() < b.fp32_nodes.size();
  }

  const Evaluate& evaluate_;
  const Latency& latency_;
  const TuneOptions& o_;
  TuneResult& r_;
  std::chrono::steady_clock::time_point start_;
};

}  // namespace

TuneResult tune_quantization(const ir::Graph& fp32, const Backend& backend, CalibrationData& data,
                             const PtqOptions& base, const Evaluate& evaluate,
                             const Latency& latency, const TuneOptions& o) {
  if (o.methods.empty()) fail("tune: no calibration method to try");
  if (o.max_trials < 0) fail("tune: --max-trials {} is negative", o.max_trials);
  TuneResult r;
  Search search(evaluate, latency, o, r);
  r.fp32_top1 = evaluate(fp32).top1;
  r.fp32_latency_ms = latency(fp32);
  search.say(fmt::format("tune: FP32 top-1 {:.2f}%, {:.3f} ms; criterion: drop <= {}{}",
                         r.fp32_top1, r.fp32_latency_ms, o.max_drop,
                         o.relative ? "% of FP32" : " points"));

  // 1. The calibration method with the best top-1 (ties: the one listed first).
  std::unique_ptr<PtqCalibration> chosen;
  double chosen_top1 = -1;
  for (CalibrationMethod m : o.methods) {
    PtqOptions p = base;
    p.calibration.method = m;
    auto c = std::make_unique<PtqCalibration>(calibrate_ptq(fp32, backend, data, p, true));
    const double top1 = search.trial("method", *c, {}, "").top1;
    if (top1 > chosen_top1) chosen_top1 = top1, chosen = std::move(c);
  }
  if (r.met) {
    r.ended = "the best calibration method meets the criterion";
    return r;
  }

  // 2. Sensitivity of the chosen calibration, then fallbacks in its order.
  SensitivityOptions so;
  so.progress = o.progress;
  r.sensitivity = analyze_sensitivity(fp32, *chosen, evaluate, backend, data, so);
  r.analyzed = true;
  std::vector<std::string> fallback;
  int fallbacks = 0;
  bool met = false;
  r.ended = "every quantizable node is in FP32 and the criterion is not met";
  for (const NodeSensitivity& n : r.sensitivity.nodes) {
    if (fallbacks >= o.max_trials) {
      r.ended = fmt::format("--max-trials {} reached", o.max_trials);
      break;
    }
    if (search.timed_out()) {
      r.ended = fmt::format("--timeout {} s reached", o.timeout_s);
      break;
    }
    fallback.push_back(n.node);
    ++fallbacks;
    if (search.trial("fallback", *chosen, fallback, "+ " + n.node).meets) {
      met = true;
      r.ended = "criterion met";
      break;
    }
  }

  // 3. Put back, least damaging first, each fallback the criterion does not need.
  if (met && fallback.size() > 1) {
    for (int k = static_cast<int>(fallback.size()) - 2; k >= 0; --k) {
      if (fallbacks >= o.max_trials || search.timed_out()) {
        r.ended += "; put-back pass cut short by --max-trials or --timeout";
        break;
      }
      std::vector<std::string> fewer = fallback;
      fewer.erase(fewer.begin() + k);
      ++fallbacks;
      if (search.trial("restore", *chosen, fewer, "put back " + fallback[k]).meets)
        fallback = fewer;
    }
  }
  return r;
}

}  // namespace qcv::quant
