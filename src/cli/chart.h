// Charts drawn with cairo: one drawing rendered to PNG (RGB) and to SVG, text set in DejaVu Sans
// through fontconfig. A scatter chart of labelled points, optionally joined per series (the
// workflow's accuracy vs latency, `qcv models`' MACs vs top-1), and a horizontal bar chart.
#pragma once
#include <limits>
#include <string>
#include <vector>

namespace qcv::cli {

struct ChartPoint {
  double x = 0, y = 0;
  std::string label;  // drawn beside the point ("" for none)
  int series = 0;     // colour (and legend entry)
};

struct ScatterChart {
  std::string title, x_label, y_label;
  std::vector<ChartPoint> points;
  std::vector<std::string> series_names;  // the legend; empty: none
  bool join_series = false;               // a line through each series' points in x order
  bool log_x = false;
  bool show_labels = true;  // false: point labels only in the SVG's description
  // Points below y_floor are drawn as triangles at the bottom edge, labelled "(off scale)", so
  // that one collapsed result does not squeeze the others into one spot.
  double y_floor = -std::numeric_limits<double>::infinity();
  double y_ceiling = std::numeric_limits<double>::infinity();  // the axis never goes above
};

struct ChartImages {
  std::string png;  // 8-bit RGB
  std::string svg;  // with <title> and <desc> naming the chart, its axes and points
};

// Throws qcv::Error if cairo fails (no memory, no font).
ChartImages draw_scatter(const ScatterChart& chart, int width = 900, int height = 600);

// A horizontal bar chart (`qcv sensitivity`): one bar per row, top to bottom, from 0 to value,
// labelled on the left, the value and a note written after the bar.
struct Bar {
  std::string label;
  double value = 0;
  std::string note;  // after the value ("" for none)
};
struct BarChart {
  std::string title, x_label;
  std::vector<Bar> bars;
  int digits = 2;  // of the values written
};
// The height grows with the number of bars.
ChartImages draw_bars(const BarChart& chart, int width = 1000);

// The series colours, 0xRRGGBB (tests find points by them).
unsigned series_colour(int series);

// Writes STEM.png and STEM.svg atomically.
void write_chart(const ChartImages& images, const std::string& stem);

// Text safe inside XML/HTML element content and attribute values.
std::string xml_escape(const std::string& s);

}  // namespace qcv::cli
