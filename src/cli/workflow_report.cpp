#include "cli/workflow_report.h"

#include <fmt/format.h>

namespace qcv::cli {

nlohmann::json row_to_json(const ResultRow& r) {
  return {{"model", r.model},
          {"mode", r.mode},
          {"file", r.file},
          {"train_backend_top1", r.train_top1},
          {"deployed_top1", r.deployed_top1},
          {"deployed_latency_ms_bs1", r.latency_ms},
          {"size_mb", r.size_mb}};
}

ResultRow row_from_json(const nlohmann::json& j) {
  ResultRow r;
  r.model = j.at("model").get<std::string>();
  r.mode = j.at("mode").get<std::string>();
  r.file = j.at("file").get<std::string>();
  r.train_top1 = j.at("train_backend_top1").get<double>();
  r.deployed_top1 = j.at("deployed_top1").get<double>();
  r.latency_ms = j.at("deployed_latency_ms_bs1").get<double>();
  r.size_mb = j.at("size_mb").get<double>();
  return r;
}

std::string results_markdown(const std::vector<ResultRow>& rows, const std::string& title) {
  std::string md = "# " + title + "\n\n";
  md +=
      "| Model | Mode | Train-backend top-1 (%) | Deployed top-1 (%) | Deployed latency (ms, bs=1) "
      "| Size (MB) | File |\n";
  md += "|---|---|---:|---:|---:|---:|---|\n";
  for (const ResultRow& r : rows)
    md += fmt::format("| {} | {} | {:.2f} | {:.2f} | {:.3f} | {:.2f} | {} |\n", r.model, r.mode,
                      r.train_top1, r.deployed_top1, r.latency_ms, r.size_mb, r.file);
  md +=
      "\nTrain-backend: LibTorch (fake quantization for PTQ/QAT graphs). Deployed: qcv's oneDNN "
      "runtime (INT8 kernels for QDQ graphs) on the same ONNX file. Latency: median of "
      "single-image runs.\n";
  return md;
}

}  // namespace qcv::cli
