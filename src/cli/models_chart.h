// `qcv models --accuracy FILE --plot STEM`: MACs against top-1 for the zoo variants whose
// accuracy was measured (or published), like the MobileNet library's chart. The accuracy file is
// a CSV with a header line:
//   model,width,resolution,top1
//   mobilenet_v2,1.0,224,71.8
// (top-1 in percent; '#' lines and blank lines are skipped). A row must name a zoo variant
// (`qcv models` lists them).
#pragma once
#include <string>
#include <vector>

#include "cli/chart.h"
#include "models/zoo_table.h"

namespace qcv::cli {

struct MeasuredAccuracy {
  std::string model;
  double width = 1;
  int resolution = 224;
  double top1 = 0;
};

// Throws qcv::Error naming the file and line for a missing header, a wrong field count or a
// value out of range.
std::vector<MeasuredAccuracy> read_accuracy_csv(const std::string& path);

// One point per measured variant (x: MMACs, log scale; y: top-1), one series per model name.
// Throws qcv::Error naming a row that matches no zoo variant.
ScatterChart macs_top1_chart(const std::vector<models::ZooEntry>& zoo,
                             const std::vector<MeasuredAccuracy>& accuracy,
                             const std::string& title);

}  // namespace qcv::cli
