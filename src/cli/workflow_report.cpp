#include "cli/workflow_report.h"

#include <fmt/format.h>

namespace qcv::cli {
namespace {

std::string ratio(double v) { return v > 0 ? fmt::format("{:.2f}x", v) : "n/a"; }
// "-0.42": 0.42 points lost; no drop is "+0.00", not "-0.00".
std::string drop(double v) { return fmt::format("{:+.2f}", v == 0 ? 0.0 : -v); }

struct Column {
  const char* head;
  const char* align;  // Markdown alignment
};
const Column kColumns[] = {{"Model", "---"},
                           {"Mode", "---"},
                           {"Train-backend top-1 (%)", "---:"},
                           {"Deployed top-1 (%)", "---:"},
                           {"Deployed top-5 (%)", "---:"},
                           {"Top-1 vs FP32 (points)", "---:"},
                           {"Top-5 vs FP32 (points)", "---:"},
                           {"Latency (ms, bs=1)", "---:"},
                           {"Speedup vs FP32", "---:"},
                           {"Size (MB)", "---:"},
                           {"Size vs FP32", "---:"},
                           {"File", "---"}};

std::vector<std::string> cells(const ResultRow& r, const ResultRow& base) {
  const VersusBaseline v = versus_baseline(r, base);
  return {r.model,
          r.mode,
          fmt::format("{:.2f}", r.train_top1),
          fmt::format("{:.2f}", r.deployed_top1),
          fmt::format("{:.2f}", r.deployed_top5),
          drop(v.top1_drop),
          drop(v.top5_drop),
          fmt::format("{:.3f}", r.latency_ms),
          ratio(v.speedup),
          fmt::format("{:.2f}", r.size_mb),
          ratio(v.size_ratio),
          r.file};
}

const char* kNote =
    "Train-backend: LibTorch (fake quantization for PTQ/QAT graphs). Deployed: qcv's oneDNN "
    "runtime (INT8 kernels for QDQ graphs) on the same ONNX file. Latency: median of "
    "single-image runs. \"vs FP32\" compares with the first row (the FP32 baseline): points "
    "gained (+) or lost (-), speedup = FP32 latency / latency, size = size / FP32 size.";

}  // namespace

VersusBaseline versus_baseline(const ResultRow& row, const ResultRow& baseline) {
  VersusBaseline v;
  v.top1_drop = baseline.deployed_top1 - row.deployed_top1;
  v.top5_drop = baseline.deployed_top5 - row.deployed_top5;
  if (row.latency_ms > 0 && baseline.latency_ms > 0) v.speedup = baseline.latency_ms / row.latency_ms;
  if (row.size_mb > 0 && baseline.size_mb > 0) v.size_ratio = row.size_mb / baseline.size_mb;
  return v;
}

nlohmann::json row_to_json(const ResultRow& r, const ResultRow* baseline) {
  nlohmann::json j = {{"model", r.model},
                      {"mode", r.mode},
                      {"file", r.file},
                      {"train_backend_top1", r.train_top1},
                      {"deployed_top1", r.deployed_top1},
                      {"deployed_top5", r.deployed_top5},
                      {"deployed_latency_ms_bs1", r.latency_ms},
                      {"size_mb", r.size_mb}};
  if (baseline) {
    const VersusBaseline v = versus_baseline(r, *baseline);
    j["top1_drop_vs_fp32"] = v.top1_drop;
    j["top5_drop_vs_fp32"] = v.top5_drop;
    j["speedup_vs_fp32"] = v.speedup;
    j["size_ratio_vs_fp32"] = v.size_ratio;
  }
  return j;
}

ResultRow row_from_json(const nlohmann::json& j) {
  ResultRow r;
  r.model = j.at("model").get<std::string>();
  r.mode = j.at("mode").get<std::string>();
  r.file = j.at("file").get<std::string>();
  r.train_top1 = j.at("train_backend_top1").get<double>();
  r.deployed_top1 = j.at("deployed_top1").get<double>();
  r.deployed_top5 = j.at("deployed_top5").get<double>();
  r.latency_ms = j.at("deployed_latency_ms_bs1").get<double>();
  r.size_mb = j.at("size_mb").get<double>();
  return r;
}

std::string results_markdown(const std::vector<ResultRow>& rows, const std::string& title) {
  std::string md = "# " + title + "\n\n|", rule = "|";
  for (const Column& c : kColumns) md += fmt::format(" {} |", c.head), rule += c.align + std::string("|");
  md += "\n" + rule + "\n";
  for (const ResultRow& r : rows) {
    md += "|";
    for (const std::string& cell : cells(r, rows.front())) md += " " + cell + " |";
    md += "\n";
  }
  return md + "\n" + kNote + "\n";
}

std::string results_html(const std::vector<ResultRow>& rows, const std::string& title,
                         const std::string& svg,
                         const std::vector<std::pair<std::string, std::string>>& configs) {
  std::string h = fmt::format(
      "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
      "<title>{0}</title>\n<style>\n"
      "body {{ font-family: 'DejaVu Sans', sans-serif; margin: 2em; color: #222; }}\n"
      "table {{ border-collapse: collapse; }}\n"
      "th, td {{ border: 1px solid #bbb; padding: 4px 8px; }}\n"
      "td.n {{ text-align: right; font-variant-numeric: tabular-nums; }}\n"
      "svg {{ max-width: 100%; height: auto; }}\n"
      "pre {{ background: #f4f4f4; padding: 1em; overflow-x: auto; }}\n"
      "</style>\n</head>\n<body>\n<h1>{0}</h1>\n<table id=\"results\">\n<tr>",
      xml_escape(title));
  for (const Column& c : kColumns) h += "<th>" + xml_escape(c.head) + "</th>";
  h += "</tr>\n";
  for (const ResultRow& r : rows) {
    h += "<tr>";
    size_t i = 0;
    for (const std::string& cell : cells(r, rows.front())) {
      const bool numeric = std::string(kColumns[i++].align) == "---:";
      h += (numeric ? "<td class=\"n\">" : "<td>") + xml_escape(cell) + "</td>";
    }
    h += "</tr>\n";
  }
  h += "</table>\n<p>" + xml_escape(kNote) + "</p>\n<h2>Accuracy vs latency</h2>\n<figure id=\"chart\">\n";
  // Inline SVG: drop the XML declaration (not allowed inside HTML).
  const size_t root = svg.find("<svg");
  h += root == std::string::npos ? xml_escape(svg) : svg.substr(root);
  h += "\n</figure>\n<h2>Configs</h2>\n";
  for (const auto& [name, text] : configs)
    h += "<h3>" + xml_escape(name) + "</h3>\n<pre>" + xml_escape(text) + "</pre>\n";
  return h + "</body>\n</html>\n";
}

}  // namespace qcv::cli
