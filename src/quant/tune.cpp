// Greedy fallback over one calibration (see tune.h).
#include "quant/tune.h"

#include <fmt/format.h>

#include <algorithm>
#include <chrono>
#include <cstdio>
#include <memory>
#include <set>

namespace qcv::quant {

double accuracy_drop(double fp32_top1, double top1, bool relative) {
  const double points = fp32_top1 - top1;
  if (!relative) return points;
  return fp32_top1 > 0 ? 100.0 * points / fp32_top1 : 0.0;
}

FallbackMode fallback_mode_by_name(const std::string& name) {
  if (name == "fp32") return FallbackMode::Fp32;
  if (name == "ladder") return FallbackMode::Ladder;
  fail("unknown fallback '{}' (expected fp32 or ladder)", name);
}

namespace {

bool contains(const std::vector<std::string>& v, const std::string& x) {
  return std::find(v.begin(), v.end(), x) != v.end();
}

// Per node of the written model: FP32, or its weights' bits and granularity and the methods of
// the ranges of the activations it reads.
std::vector<NodeOutcome> outcomes(const PtqCalibration& c, const NodeChoices& choices,
                                  const PtqResult& q) {
  struct Seen {
    std::string weights;
    std::set<std::string> methods;
    bool changed = false;
  };
  std::map<std::string, Seen> seen;
  for (const ReportEntry& e : q.report.entries)
    for (const std::string& node : e.consumers) {
      Seen& s = seen[node];
      if (e.role == TensorRole::Weight)
        s.weights = fmt::format("int{} per-{} weights", e.params.bits,
                                e.params.axis >= 0 ? "channel" : "tensor");
      if (e.role == TensorRole::Activation) {
        s.methods.insert(e.method);
        s.changed = s.changed || choices.ranges.count(e.tensor);
      }
    }
  std::vector<NodeOutcome> out;
  for (const ir::Node& n : c.prepared.nodes) {
    NodeOutcome o;
    o.node = n.name;
    o.op = n.op;
    if (contains(choices.fp32, n.name)) {
      o.got = "FP32";
      o.changed = true;
    } else if (auto it = seen.find(n.name); it != seen.end()) {
      const Seen& s = it->second;
      std::vector<std::string> parts;
      if (!s.weights.empty()) parts.push_back(s.weights);
      if (!s.methods.empty()) parts.push_back(fmt::format("inputs {}", fmt::join(s.methods, "/")));
      o.got = fmt::format("{}", fmt::join(parts, ", "));
      o.changed = s.changed || contains(choices.per_channel, n.name);
    } else {
      continue;
    }
    out.push_back(o);
  }
  return out;
}

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
  // `change`: what this trial changed, for the report ("" for none).
  const TuneTrial& trial(const std::string& stage, const PtqCalibration& c,
                         const NodeChoices& choices, const std::string& change) {
    PtqResult q = quantize_calibrated(c, choices);
    TuneTrial t;
    t.stage = stage;
    t.method = method_name(c.options.calibration.method);
    t.change = change;
    t.fp32_nodes = choices.fp32;
    t.per_channel_nodes = choices.per_channel;
    for (const auto& [tensor, range] : choices.ranges)
      t.activation_methods[tensor] = method_name(range.method);
    t.top1 = evaluate_(q.graph).top1;
    t.drop = accuracy_drop(r_.fp32_top1, t.top1, o_.relative);
    t.meets = t.drop <= o_.max_drop;
    t.latency_ms = latency_(q.graph);
    r_.trials.push_back(t);
    const int index = static_cast<int>(r_.trials.size()) - 1;
    if (better(t)) {
      r_.best = index;
      r_.met = t.meets;
      r_.nodes = outcomes(c, choices, q);
      r_.best_graph = std::move(q.graph);
    }
    const size_t n = choices.fp32.size();
    say(fmt::format(
        "tune: trial {} ({}, {}, {} FP32 node{}{}): top-1 {:.2f}% (drop {:.2f}{}) "
        "{:.3f} ms{}",
        index + 1, stage, t.method, n, n == 1 ? "" : "s", change.empty() ? "" : ", " + change,
        t.top1, t.drop, o_.relative ? "%" : " points", t.latency_ms, t.meets ? ": meets" : ""));
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

// The ladder's cheaper rungs for one node, each the state before plus its change (cumulative).
struct Rung {
  std::string stage, change;
  NodeChoices choices;
};

bool same_params(const QuantParams& a, const QuantParams& b) {
  return a.scale == b.scale && a.zero_point == b.zero_point;
}

std::vector<Rung> cheap_rungs(const PtqCalibration& c, const PtqCalibration* ranges,
                              const NodeChoices& state, const std::string& node) {
  std::vector<Rung> rungs;
  NodeChoices next = state;
  // 1. Per-channel weights, where that changes the plan (a per-tensor weight of a Conv/Gemm).
  Overrides o = c.options.overrides;
  o.per_channel_weights = {node};
  const QuantPlan per_channel = plan_quantization(c.prepared, c.options.scheme, o);
  for (const QuantTarget& t : c.plan.targets) {
    if (t.role != TensorRole::Weight) continue;
    const QuantTarget* p = per_channel.find(t.tensor);
    const bool reads = std::any_of(t.uses.begin(), t.uses.end(), [&](const Use& u) {
      return c.prepared.nodes[u.node].name == node;
    });
    if (reads && p && p->axis != t.axis) {
      next.per_channel.push_back(node);
      rungs.push_back({"per-channel", node + ": per-channel weights", next});
      break;
    }
  }
  // 2. The lowest-error method's range for each activation the node reads, where it differs.
  if (!ranges) return rungs;
  std::vector<std::string> changed;
  for (const QuantTarget& t : c.plan.targets) {
    if (t.role != TensorRole::Activation) continue;
    const bool reads = std::any_of(t.uses.begin(), t.uses.end(), [&](const Use& u) {
      return c.prepared.nodes[u.node].name == node;
    });
    auto chosen = ranges->chosen.find(t.tensor);
    auto params = ranges->activation_params.find(t.tensor);
    if (!reads || chosen == ranges->chosen.end() || params == ranges->activation_params.end())
      continue;
    auto now = next.ranges.find(t.tensor);
    const QuantParams& current =
        now != next.ranges.end() ? now->second.params : c.activation_params.at(t.tensor);
    if (same_params(current, params->second)) continue;
    next.ranges[t.tensor] = {chosen->second.method, params->second};
    changed.push_back(fmt::format("{} for '{}'", method_name(chosen->second.method), t.tensor));
  }
  if (!changed.empty())
    rungs.push_back({"range", fmt::format("{}: {}", node, fmt::join(changed, ", ")), next});
  return rungs;
}

}  // namespace

TuneResult tune_quantization(const ir::Graph& fp32, const Backend& backend, CalibrationData& data,
                             const PtqOptions& base, const Evaluate& evaluate,
                             const Latency& latency, const TuneOptions& o) {
  if (o.methods.empty()) fail("tune: no calibration method to try");
  return tune_quantization(fp32, prepare_ptq(fp32, backend, data, base), backend, data, evaluate,
                           latency, o);
}

TuneResult tune_quantization(const ir::Graph& fp32, const PtqPreparation& prepared,
                             const Backend& backend, CalibrationData& data,
                             const Evaluate& evaluate, const Latency& latency,
                             const TuneOptions& o) {
  if (o.methods.empty()) fail("tune: no calibration method to try");
  if (o.max_trials < 0) fail("tune: --max-trials {} is negative", o.max_trials);
  TuneResult r;
  Search search(evaluate, latency, o, r);
  r.fp32_top1 = evaluate(fp32).top1;
  r.fp32_latency_ms = latency(fp32);
  search.say(fmt::format("tune: FP32 top-1 {:.2f}%, {:.3f} ms; criterion: drop <= {}{}",
                         r.fp32_top1, r.fp32_latency_ms, o.max_drop,
                         o.relative ? "% of FP32" : " points"));
  if (prepared.adaround)
    search.say(fmt::format("tune: AdaRound ({} layers, {:.1f} s) is shared by every method's "
                           "calibration",
                           prepared.adaround->layers.size(), prepared.adaround->seconds));

  // 1. The calibration method with the best top-1 (ties: the one listed first).
  std::unique_ptr<PtqCalibration> chosen;
  double chosen_top1 = -1;
  for (CalibrationMethod m : o.methods) {
    CalibrationOptions calibration = prepared.options.calibration;
    calibration.method = m;
    auto c = std::make_unique<PtqCalibration>(
        calibrate_prepared(prepared, backend, data, calibration, true));
    const double top1 = search.trial("method", *c, {}, "").top1;
    if (top1 > chosen_top1) chosen_top1 = top1, chosen = std::move(c);
  }
  if (r.met) {
    r.ended = "the best calibration method meets the criterion";
    return r;
  }

  // 2. Sensitivity of the chosen calibration, then each node in its order changed: the ladder's
  // cheaper rungs, then FP32; the node keeps its best rung.
  SensitivityOptions so;
  so.progress = o.progress;
  r.sensitivity = analyze_sensitivity(fp32, *chosen, evaluate, backend, data, so);
  r.analyzed = true;
  const bool ladder = o.fallback == FallbackMode::Ladder;
  // The ladder's ranges: each activation's lowest-error method (`auto`) over the same prepared
  // graph (the chosen calibration's own choices when it is auto).
  std::unique_ptr<PtqCalibration> automatic;
  if (ladder && chosen->options.calibration.method != CalibrationMethod::Auto) {
    CalibrationOptions calibration = chosen->options.calibration;
    calibration.method = CalibrationMethod::Auto;
    search.say("tune: ladder: each activation's lowest-error range (method auto)");
    automatic = std::make_unique<PtqCalibration>(
        calibrate_prepared(prepared, backend, data, calibration, true));
  }
  const PtqCalibration* ranges = ladder ? (automatic ? automatic.get() : chosen.get()) : nullptr;

  NodeChoices state;
  std::vector<std::string> fallback;            // nodes in FP32, in the order they were added
  std::map<std::string, NodeChoices> cheapest;  // per FP32 node: its best cheaper rung's change
  std::string last;
  int trials = 0;
  bool met = false;
  r.ended = ladder ? "every quantizable node climbed the ladder and the criterion is not met"
                   : "every quantizable node is in FP32 and the criterion is not met";
  const auto stop = [&]() {
    if (trials >= o.max_trials) {
      r.ended = fmt::format("--max-trials {} reached", o.max_trials);
      return true;
    }
    if (search.timed_out()) {
      r.ended = fmt::format("--timeout {} s reached", o.timeout_s);
      return true;
    }
    return false;
  };
  for (const NodeSensitivity& n : r.sensitivity.nodes) {
    std::vector<Rung> rungs =
        ladder ? cheap_rungs(*chosen, ranges, state, n.node) : std::vector<Rung>{};
    NodeChoices to_fp32 = state;
    to_fp32.fp32.push_back(n.node);
    rungs.push_back({"fallback", "+ " + n.node, to_fp32});
    int best = -1;
    double best_top1 = -1;
    for (size_t k = 0; k < rungs.size() && !met; ++k) {
      if (stop()) break;
      ++trials;
      const TuneTrial& t = search.trial(rungs[k].stage, *chosen, rungs[k].choices, rungs[k].change);
      if (t.meets) met = true, r.ended = "criterion met";
      if (t.top1 > best_top1 || t.meets) best = int(k), best_top1 = t.top1;
    }
    if (best < 0) break;  // stopped before any trial of this node
    state = rungs[best].choices;
    last = n.node;
    if (rungs[best].stage == "fallback") {
      fallback.push_back(n.node);
      if (best > 0) cheapest[n.node] = rungs[best - 1].choices;
    }
    if (met || stop()) break;
  }

  // 3. Put back, least damaging first, each FP32 node the criterion does not need (with the
  // ladder to its best cheaper rung). The node whose trial met was tried cheaper already.
  if (met && !fallback.empty()) {
    for (int k = static_cast<int>(fallback.size()) - 1; k >= 0; --k) {
      const std::string& node = fallback[k];
      if (node == last) continue;
      if (trials >= o.max_trials || search.timed_out()) {
        r.ended += "; put-back pass cut short by --max-trials or --timeout";
        break;
      }
      NodeChoices fewer = state;
      fewer.fp32.erase(std::find(fewer.fp32.begin(), fewer.fp32.end(), node));
      std::string how = "put back " + node;
      if (auto it = cheapest.find(node); it != cheapest.end()) {
        // The rung's own change for this node, on top of today's state.
        const NodeChoices& rung = it->second;
        if (contains(rung.per_channel, node) && !contains(fewer.per_channel, node))
          fewer.per_channel.push_back(node);
        for (const auto& [tensor, range] : rung.ranges) fewer.ranges.emplace(tensor, range);
        how += " (cheaper rung)";
      }
      ++trials;
      if (search.trial("restore", *chosen, fewer, how).meets) state = fewer;
    }
  }
  return r;
}

}  // namespace qcv::quant
