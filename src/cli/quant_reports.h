// What `qcv sensitivity` and `qcv tune` write: JSON for machines, Markdown for people and the
// sensitivity bar chart (PNG + SVG), each file written atomically.
#pragma once
#include <nlohmann/json.hpp>
#include <string>

#include "quant/tune.h"

namespace qcv::cli {

// Where the numbers come from, written at the top of each report.
struct ReportContext {
  std::string model, calib, eval, scheme, command;
};

nlohmann::json sensitivity_json(const quant::SensitivityResult& r, const ReportContext& c);
std::string sensitivity_markdown(const quant::SensitivityResult& r, const ReportContext& c);
// DIR/sensitivity.json, .md, .png, .svg.
void write_sensitivity(const std::string& dir, const quant::SensitivityResult& r,
                       const ReportContext& c);

nlohmann::json tune_json(const quant::TuneResult& r, const quant::TuneOptions& o,
                         const ReportContext& c, const std::string& output);
std::string tune_markdown(const quant::TuneResult& r, const quant::TuneOptions& o,
                          const ReportContext& c, const std::string& output);
// DIR/tune.json and tune.md, and the sensitivity files when the search analyzed one.
void write_tune(const std::string& dir, const quant::TuneResult& r, const quant::TuneOptions& o,
                const ReportContext& c, const std::string& output);

}  // namespace qcv::cli
