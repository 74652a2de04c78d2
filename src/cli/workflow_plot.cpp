// The workflow's accuracy-vs-latency chart: one labelled point per result row.
#include <fmt/format.h>

#include <algorithm>

#include "cli/workflow_report.h"

namespace qcv::cli {

ScatterChart accuracy_latency_chart(const std::vector<ResultRow>& rows, const std::string& title) {
  ScatterChart c;
  c.title = title;
  c.x_label = "latency (ms, batch 1, qcv runtime)";
  c.y_label = "top-1 (%, deployed)";
  c.y_ceiling = 100;
  // The y axis spans the rows within 10 points of the best: a collapsed row (a calibration
  // method that failed) would squeeze the others into one spot; it is marked at the bottom.
  double best = 0;
  for (const ResultRow& r : rows) best = std::max(best, r.deployed_top1);
  c.y_floor = best - 10;
  for (size_t i = 0; i < rows.size(); ++i)
    c.points.push_back({rows[i].latency_ms, rows[i].deployed_top1,
                        fmt::format("{} {:.2f}", rows[i].mode, rows[i].deployed_top1),
                        static_cast<int>(i)});
  return c;
}

}  // namespace qcv::cli
