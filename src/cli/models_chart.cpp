#include "cli/models_chart.h"

#include <fmt/format.h>

#include <cmath>
#include <sstream>

#include "ir/error.h"
#include "ir/input_file.h"
#include "ir/parse_value.h"

namespace qcv::cli {
namespace {

std::string trim(std::string s) {
  s.erase(0, s.find_first_not_of(" \t\r"));
  s.erase(s.find_last_not_of(" \t\r") + 1);
  return s;
}

std::vector<std::string> split(const std::string& line) {
  std::vector<std::string> fields;
  std::stringstream in(line);
  for (std::string f; std::getline(in, f, ',');) fields.push_back(trim(f));
  if (!line.empty() && line.back() == ',') fields.push_back("");
  return fields;
}

}  // namespace

std::vector<MeasuredAccuracy> read_accuracy_csv(const std::string& path) {
  const std::string text = ir::read_input_file(path, 16 << 20);
  std::stringstream in(text);
  std::vector<MeasuredAccuracy> rows;
  bool header = false;
  int line_no = 0;
  for (std::string line; std::getline(in, line);) {
    ++line_no;
    line = trim(line);
    if (line.empty() || line[0] == '#') continue;
    const std::vector<std::string> f = split(line);
    const std::string where = fmt::format("accuracy file '{}' line {}", path, line_no);
    if (!header) {
      if (f != std::vector<std::string>{"model", "width", "resolution", "top1"})
        fail("{}: expected the header 'model,width,resolution,top1', got '{}'", where, line);
      header = true;
      continue;
    }
    if (f.size() != 4) fail("{}: expected 4 fields, got {}", where, f.size());
    MeasuredAccuracy a;
    a.model = f[0];
    if (a.model.empty()) fail("{}: empty model name", where);
    a.width = ir::parse_number(where + " width", f[1], 1e-3, 1e3);
    a.resolution = static_cast<int>(ir::parse_int(where + " resolution", f[2], 1, 65536));
    a.top1 = ir::parse_number(where + " top1", f[3], 0, 100);
    rows.push_back(a);
  }
  if (!header) fail("accuracy file '{}': empty (expected the header model,width,resolution,top1)", path);
  return rows;
}

ScatterChart macs_top1_chart(const std::vector<models::ZooEntry>& zoo,
                             const std::vector<MeasuredAccuracy>& accuracy,
                             const std::string& title) {
  ScatterChart c;
  c.title = title;
  c.x_label = "million multiply-adds (log scale)";
  c.y_label = "top-1 (%)";
  c.log_x = true;
  c.y_ceiling = 100;
  for (const MeasuredAccuracy& a : accuracy) {
    const models::ZooEntry* match = nullptr;
    for (const models::ZooEntry& e : zoo)
      if (e.spec.name == a.model && std::abs(e.spec.width - a.width) < 1e-3 &&
          e.spec.resolution == a.resolution)
        match = &e;
    if (!match)
      fail("accuracy row {} width {} resolution {}: no such zoo variant (qcv models lists them)",
           a.model, a.width, a.resolution);
    int series = 0;
    while (series < static_cast<int>(c.series_names.size()) && c.series_names[series] != a.model)
      ++series;
    if (series == static_cast<int>(c.series_names.size())) c.series_names.push_back(a.model);
    c.points.push_back({double(match->cost.macs) / 1e6, a.top1,
                        fmt::format("{} {:g}/{}", a.model, a.width, a.resolution), series});
  }
  // Many points: labels would pile up; the legend names the series, the SVG's description
  // every point.
  c.show_labels = c.points.size() <= 24;
  return c;
}

}  // namespace qcv::cli
