#include "cli/quant_reports.h"

#include <fmt/format.h>

#include <cmath>
#include <filesystem>

#include "cli/chart.h"
#include "ir/atomic_file.h"

namespace qcv::cli {
namespace {

// JSON has no infinity: an exact result (no noise) is written as null, "exact" in Markdown.
nlohmann::json db(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }
std::string db_text(double v) {
  return std::isfinite(v) ? fmt::format("{:.1f}", v) : (v > 0 ? "exact" : "-inf");
}

std::string join(const std::vector<std::string>& v, const std::string& sep) {
  std::string s;
  for (size_t i = 0; i < v.size(); ++i) s += (i ? sep : "") + v[i];
  return s;
}

nlohmann::json context_json(const ReportContext& c) {
  return {{"model", c.model},
          {"calib", c.calib},
          {"eval", c.eval},
          {"scheme", c.scheme},
          {"command", c.command}};
}

const char* kRanking =
    "most damaging first: the larger top-1 drop with only the node quantized, then the lower "
    "output SQNR with only it quantized, then the larger top-1 with only the node in FP32";

}  // namespace

nlohmann::json sensitivity_json(const quant::SensitivityResult& r, const ReportContext& c) {
  nlohmann::json j = context_json(c);
  j["method"] = r.method;
  j["fp32_top1"] = r.fp32_top1;
  j["quantized_top1"] = r.quantized_top1;
  j["quantized_sqnr_db"] = db(r.quantized_sqnr);
  j["ranking"] = kRanking;
  j["nodes"] = nlohmann::json::array();
  for (size_t k = 0; k < r.nodes.size(); ++k) {
    const quant::NodeSensitivity& n = r.nodes[k];
    j["nodes"].push_back({{"rank", k + 1},
                          {"node", n.node},
                          {"op", n.op},
                          {"tensors", n.tensors},
                          {"top1_only_quantized", n.top1_only_quantized},
                          {"drop_only_quantized", r.fp32_top1 - n.top1_only_quantized},
                          {"sqnr_only_quantized_db", db(n.sqnr_only_quantized)},
                          {"top1_only_fp32", n.top1_only_fp32},
                          {"gain_only_fp32", n.top1_only_fp32 - r.quantized_top1},
                          {"sqnr_only_fp32_db", db(n.sqnr_only_fp32)}});
  }
  j["tensors"] = nlohmann::json::array();
  for (const quant::TensorSensitivity& t : r.tensors)
    j["tensors"].push_back({{"tensor", t.tensor},
                            {"role", quant::role_name(t.role)},
                            {"consumers", t.consumers},
                            {"sqnr_db", db(t.sqnr_db)}});
  return j;
}

std::string sensitivity_markdown(const quant::SensitivityResult& r, const ReportContext& c) {
  std::string s = fmt::format(
      "# Quantization sensitivity of {}\n\nCalibration {} ({}, scheme {}); evaluation {}.\n"
      "FP32 top-1 {:.2f}%; every node quantized {:.2f}% (output SQNR {} dB).\n\n"
      "Order: {}. SQNR: the logits against FP32's, dB.\n\n"
      "| rank | node | op | top-1 only it quantized | drop | SQNR | top-1 only it FP32 | gain "
      "| SQNR |\n|---:|---|---|---:|---:|---:|---:|---:|---:|\n",
      c.model, c.calib, r.method, c.scheme, c.eval, r.fp32_top1, r.quantized_top1,
      db_text(r.quantized_sqnr), kRanking);
  for (size_t k = 0; k < r.nodes.size(); ++k) {
    const quant::NodeSensitivity& n = r.nodes[k];
    s += fmt::format("| {} | `{}` | {} | {:.2f} | {:.2f} | {} | {:.2f} | {:+.2f} | {} |\n", k + 1,
                     n.node, n.op, n.top1_only_quantized, r.fp32_top1 - n.top1_only_quantized,
                     db_text(n.sqnr_only_quantized), n.top1_only_fp32,
                     n.top1_only_fp32 - r.quantized_top1, db_text(n.sqnr_only_fp32));
  }
  s += "\n## Tensors (own SQNR: x against DQ(Q(x)), activations over the calibration data)\n\n"
       "| tensor | role | read by | SQNR (dB) |\n|---|---|---|---:|\n";
  for (const quant::TensorSensitivity& t : r.tensors)
    s += fmt::format("| `{}` | {} | {} | {} |\n", t.tensor, quant::role_name(t.role),
                     join(t.consumers, ", "), db_text(t.sqnr_db));
  if (!c.command.empty()) s += fmt::format("\nCommand: `{}`\n", c.command);
  return s;
}

void write_sensitivity(const std::string& dir, const quant::SensitivityResult& r,
                       const ReportContext& c) {
  std::filesystem::create_directories(dir);
  ir::write_file_atomically(dir + "/sensitivity.json", sensitivity_json(r, c).dump(2) + "\n");
  ir::write_file_atomically(dir + "/sensitivity.md", sensitivity_markdown(r, c));
  BarChart chart;
  chart.title = "Top-1 drop with only this node quantized (" + r.method + ")";
  chart.x_label =
      fmt::format("top-1 drop vs FP32 {:.2f}% (points); note: output SQNR", r.fp32_top1);
  for (const quant::NodeSensitivity& n : r.nodes)
    chart.bars.push_back({n.node + " (" + n.op + ")", r.fp32_top1 - n.top1_only_quantized,
                          db_text(n.sqnr_only_quantized) + " dB"});
  write_chart(draw_bars(chart), dir + "/sensitivity");
}

nlohmann::json tune_json(const quant::TuneResult& r, const quant::TuneOptions& o,
                         const ReportContext& c, const std::string& output) {
  nlohmann::json j = context_json(c);
  j["criterion"] = {{"max_drop", o.max_drop}, {"unit", o.relative ? "percent of FP32" : "points"}};
  j["fp32_top1"] = r.fp32_top1;
  j["fp32_latency_ms"] = r.fp32_latency_ms;
  j["met"] = r.met;
  j["ended"] = r.ended;
  j["best_trial"] = r.best + 1;
  j["output"] = output;
  j["trials"] = nlohmann::json::array();
  for (size_t k = 0; k < r.trials.size(); ++k) {
    const quant::TuneTrial& t = r.trials[k];
    j["trials"].push_back({{"trial", k + 1},
                           {"stage", t.stage},
                           {"method", t.method},
                           {"change", t.change},
                           {"fp32_nodes", t.fp32_nodes},
                           {"per_channel_nodes", t.per_channel_nodes},
                           {"activation_methods", t.activation_methods},
                           {"top1", t.top1},
                           {"drop", t.drop},
                           {"latency_ms", t.latency_ms},
                           {"meets", t.meets}});
  }
  j["nodes"] = nlohmann::json::array();
  for (const quant::NodeOutcome& n : r.nodes)
    j["nodes"].push_back({{"node", n.node}, {"op", n.op}, {"got", n.got}, {"changed", n.changed}});
  if (r.analyzed) j["sensitivity"] = sensitivity_json(r.sensitivity, c);
  return j;
}

std::string tune_markdown(const quant::TuneResult& r, const quant::TuneOptions& o,
                          const ReportContext& c, const std::string& output) {
  const std::string unit = o.relative ? "% of FP32" : " points";
  std::string s = fmt::format(
      "# qcv tune: {}\n\nCriterion: top-1 drop <= {}{} against FP32 {:.2f}% ({:.3f} ms at batch "
      "1); evaluation {}.\n\n**{}**: trial {} written to `{}` ({}).\n\n"
      "| trial | stage | method | change | FP32 nodes | top-1 (%) | drop | latency (ms) | meets |\n"
      "|---:|---|---|---|---|---:|---:|---:|---|\n",
      c.model, o.max_drop, unit, r.fp32_top1, r.fp32_latency_ms, c.eval,
      r.met ? "criterion met" : "criterion NOT met, best found written", r.best + 1, output,
      r.ended);
  for (size_t k = 0; k < r.trials.size(); ++k) {
    const quant::TuneTrial& t = r.trials[k];
    std::string nodes = t.fp32_nodes.empty() ? "—"
                                             : fmt::format("{}: `{}`", t.fp32_nodes.size(),
                                                           join(t.fp32_nodes, "`, `"));
    s += fmt::format("| {}{} | {} | {} | {} | {} | {:.2f} | {:.2f} | {:.3f} | {} |\n", k + 1,
                     int(k) == r.best ? " (written)" : "", t.stage, t.method,
                     t.change.empty() ? "—" : t.change, nodes, t.top1, t.drop, t.latency_ms,
                     t.meets ? "yes" : "no");
  }
  // What each node got in the written model: the changed ones, then a count of the rest.
  int unchanged = 0;
  std::string changed;
  for (const quant::NodeOutcome& n : r.nodes) {
    if (!n.changed) {
      ++unchanged;
      continue;
    }
    changed += fmt::format("| `{}` | {} | {} |\n", n.node, n.op, n.got);
  }
  if (!r.nodes.empty()) {
    s += "\nPer node in the written model (changed by the search; the other " +
         std::to_string(unchanged) + " quantized nodes as the method trial placed them):\n\n";
    s += "| node | op | got |\n|---|---|---|\n" + (changed.empty() ? "| — | | |\n" : changed);
  }
  if (!c.command.empty()) s += fmt::format("\nCommand: `{}`\n", c.command);
  return s;
}

void write_tune(const std::string& dir, const quant::TuneResult& r, const quant::TuneOptions& o,
                const ReportContext& c, const std::string& output) {
  std::filesystem::create_directories(dir);
  ir::write_file_atomically(dir + "/tune.json", tune_json(r, o, c, output).dump(2) + "\n");
  ir::write_file_atomically(dir + "/tune.md", tune_markdown(r, o, c, output));
  if (r.analyzed) write_sensitivity(dir, r.sensitivity, c);
}

}  // namespace qcv::cli
