// The workflow's results: one row per deployed model (Baseline, PTQ per method, QAT), written as
// results.json (machine), results.md (the seed tables' columns) and an accuracy-vs-latency PNG.
#pragma once
#include <nlohmann/json.hpp>
#include <string>
#include <vector>

namespace qcv::cli {

struct ResultRow {
  std::string model;         // e.g. "mobilenet_v2 x0.35"
  std::string mode;          // "Baseline (FP32)", "PTQ (entropy)", "QAT"
  std::string file;          // the ONNX file, relative to the run directory
  double train_top1 = 0;     // percent, training backend (LibTorch)
  double deployed_top1 = 0;  // percent, INT8 (or FP32) runtime
  double latency_ms = 0;     // median, batch 1
  double size_mb = 0;        // ONNX file size
};

nlohmann::json row_to_json(const ResultRow& r);
ResultRow row_from_json(const nlohmann::json& j);

// The Markdown table (with a header line naming the dataset and test images).
std::string results_markdown(const std::vector<ResultRow>& rows, const std::string& title);

// PNG (RGB) of deployed top-1 against latency, one labelled point per row.
std::string accuracy_latency_png(const std::vector<ResultRow>& rows, const std::string& title);

// A PNG file of an RGB image (8-bit, no interlace), zlib-compressed.
std::string encode_png(int width, int height, const std::vector<uint8_t>& rgb);

}  // namespace qcv::cli
