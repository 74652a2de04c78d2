// The workflow's results: one row per deployed model (Baseline, PTQ per method, QAT), written as
// results.json (machine), results.md (the seed tables' columns: top-1, top-5, size, accuracy
// drop and speedup against the FP32 baseline), an accuracy-vs-latency chart (PNG and SVG) and a
// self-contained report.html (the table, the SVG, the configs used).
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

#include "cli/chart.h"

namespace qcv::cli {

struct ResultRow {
  std::string model;         // e.g. "mobilenet_v2 x0.35"
  std::string mode;          // "Baseline (FP32)", "PTQ (entropy)", "QAT"
  std::string file;          // the ONNX file, relative to the run directory
  double train_top1 = 0;     // percent, training backend (LibTorch)
  double deployed_top1 = 0;  // percent, INT8 (or FP32) runtime
  double deployed_top5 = 0;  // percent, same run
  double latency_ms = 0;     // median, batch 1
  double size_mb = 0;        // ONNX file size
};

// A row against the baseline (the first row): positive drop = fewer points than FP32.
struct VersusBaseline {
  double top1_drop = 0, top5_drop = 0;  // percentage points
  double speedup = 0;                   // baseline latency / this latency (0: unknown)
  double size_ratio = 0;                // this size / baseline size (0: unknown)
};
VersusBaseline versus_baseline(const ResultRow& row, const ResultRow& baseline);

// One row as JSON (with the comparison to `baseline` when given) and back.
nlohmann::json row_to_json(const ResultRow& r, const ResultRow* baseline = nullptr);
ResultRow row_from_json(const nlohmann::json& j);

// The Markdown table (with a header line naming the dataset and test images). rows[0] is the
// FP32 baseline the drops and speedups refer to.
std::string results_markdown(const std::vector<ResultRow>& rows, const std::string& title);

// Deployed top-1 against latency, one labelled point per row.
ScatterChart accuracy_latency_chart(const std::vector<ResultRow>& rows, const std::string& title);

// A self-contained HTML page: the table, the SVG chart inline, and each config (name, text).
std::string results_html(const std::vector<ResultRow>& rows, const std::string& title,
                         const std::string& svg,
                         const std::vector<std::pair<std::string, std::string>>& configs);

}  // namespace qcv::cli
