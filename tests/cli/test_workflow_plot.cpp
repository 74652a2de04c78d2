// The workflow's results and charts (cairo): the PNG read back with libpng (the data layer's
// decoder, an independent reader), the SVG's text, the tables' comparisons against hand-computed
// values, report.html loaded in headless Chromium, and `qcv models`' MACs-vs-top-1 chart.
#if QCV_HAVE_DATA
#include <gtest/gtest.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "cli/models_chart.h"
#include "cli/workflow_report.h"
#include "cli_run.h"
#include "data/data.h"
#include "ir/error.h"

namespace qcv::cli {
namespace {
using qcv_cli_test::run_qcv;
using qcv_cli_test::slurp;
using qcv_cli_test::tmp;

data::Image decode(const std::string& png) {
  return data::decode_image(reinterpret_cast<const uint8_t*>(png.data()), png.size(), "plot.png");
}

// The image rows (y) holding at least one pixel within `tol` of the colour `rgb`.
std::vector<int> rows_with_colour(const data::Image& img, uint32_t rgb, int tol = 0) {
  std::vector<int> ys;
  const int want[3] = {int(rgb >> 16) & 255, int(rgb >> 8) & 255, int(rgb) & 255};
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      const uint8_t* p = &img.pixels[(size_t(y) * img.width + x) * img.channels];
      if (std::abs(p[0] - want[0]) <= tol && std::abs(p[1] - want[1]) <= tol &&
          std::abs(p[2] - want[2]) <= tol) {
        ys.push_back(y);
        break;
      }
    }
  return ys;
}

// Pixels darker than mid-grey inside a box: text (black on white) drawn there.
int dark_pixels(const data::Image& img, int x0, int y0, int x1, int y1) {
  int n = 0;
  for (int y = y0; y < y1; ++y)
    for (int x = x0; x < x1; ++x) n += img.pixels[(size_t(y) * img.width + x) * img.channels] < 100;
  return n;
}

size_t count(const std::string& s, const std::string& what) {
  size_t n = 0;
  for (size_t at = s.find(what); at != std::string::npos; at = s.find(what, at + 1)) ++n;
  return n;
}

std::vector<ResultRow> three_rows() {
  std::vector<ResultRow> rows(3);
  rows[0].mode = "Baseline (FP32)", rows[0].deployed_top1 = 92.0, rows[0].latency_ms = 0.5;
  rows[1].mode = "PTQ (max)", rows[1].deployed_top1 = 91.0, rows[1].latency_ms = 0.2;
  rows[2].mode = "PTQ (entropy)", rows[2].deployed_top1 = 15.0, rows[2].latency_ms = 0.2;
  return rows;
}

TEST(WorkflowPlot, CollapsedRowIsDrawnOffScaleBelowTheOthers) {
  // Points are coloured by row: blue, orange, green (the chart's first three colours).
  const ChartImages chart = draw_scatter(accuracy_latency_chart(three_rows(), "test"));
  const data::Image img = decode(chart.png);
  ASSERT_EQ(img.width, 900);
  ASSERT_EQ(img.height, 600);
  ASSERT_EQ(series_colour(0), 0x1f77b4u);
  const std::vector<int> blue = rows_with_colour(img, series_colour(0));
  const std::vector<int> orange = rows_with_colour(img, series_colour(1));
  const std::vector<int> green = rows_with_colour(img, series_colour(2));
  ASSERT_FALSE(blue.empty());
  ASSERT_FALSE(orange.empty());
  ASSERT_FALSE(green.empty());
  // The y axis spans 91..92 (with margins): 92% is drawn above 91%, and 15% sits at the bottom
  // of the plot area (which ends 80 pixels above the image's bottom edge), not squeezing them.
  EXPECT_LT(blue.front(), orange.front());
  EXPECT_GT(orange.front() - blue.front(), 100);
  EXPECT_GT(green.front(), orange.back());
  EXPECT_LE(green.back(), 600 - 80);
}

TEST(WorkflowPlot, TextIsSetInARealFont) {
  ScatterChart c = accuracy_latency_chart(three_rows(), "Accuracy & latency");
  const ChartImages chart = draw_scatter(c);
  // PNG: the title (top 45 rows, centred) and the x label (near the bottom) are inked, the
  // corners are white.
  const data::Image img = decode(chart.png);
  EXPECT_GT(dark_pixels(img, 250, 0, 650, 45), 100);
  EXPECT_GT(dark_pixels(img, 250, 555, 650, 590), 100);
  EXPECT_EQ(dark_pixels(img, 0, 0, 60, 40), 0);
  // SVG: cairo sets text as glyph outlines (one <use> per glyph drawn) in px units; the title,
  // axis labels and points are in <title>/<desc>, escaped.
  const std::string& svg = chart.svg;
  ASSERT_EQ(svg.rfind("<?xml", 0), 0u);
  EXPECT_NE(svg.find("width=\"900px\""), std::string::npos) << svg.substr(0, 400);
  EXPECT_NE(svg.find("<title>Accuracy &amp; latency</title>"), std::string::npos);
  EXPECT_NE(svg.find("x: latency (ms, batch 1, qcv runtime); y: top-1 (%, deployed)."),
            std::string::npos);
  EXPECT_NE(svg.find("PTQ (entropy) 15.00: (0.2, 15) off scale."), std::string::npos);
  size_t letters = 0;
  for (const std::string& s : {c.title, c.x_label, c.y_label})
    for (char ch : s) letters += ch != ' ';
  EXPECT_GE(count(svg, "xlink:href=\"#glyph"), letters);
  EXPECT_NE(svg.rfind("</svg>"), std::string::npos);
  // Well-formed XML by an independent parser (Python's), root <svg> with the title.
  const std::string file = tmp("chart.svg");
  qcv_cli_test::write(file, svg);
  const std::string py =
      "/usr/bin/python3 -c \"import sys, xml.etree.ElementTree as E; r = E.parse(sys.argv[1])"
      ".getroot(); ns = '{http://www.w3.org/2000/svg}'; assert r.tag == ns + 'svg'; "
      "assert r.find(ns + 'title').text == 'Accuracy & latency'\" " + file;
  EXPECT_EQ(std::system(py.c_str()), 0);
  std::remove(file.c_str());
}

TEST(WorkflowResults, TablesCompareWithTheBaseline) {
  std::vector<ResultRow> rows(2);
  rows[0] = {"m", "Baseline (FP32)", "baseline_fp32.onnx", 90.1, 90.0, 99.0, 2.0, 4.0};
  rows[1] = {"m", "PTQ (max)", "ptq_max.onnx", 89.7, 89.5, 98.9, 0.5, 1.0};
  const VersusBaseline v = versus_baseline(rows[1], rows[0]);
  EXPECT_NEAR(v.top1_drop, 0.5, 1e-12);
  EXPECT_NEAR(v.top5_drop, 0.1, 1e-12);
  EXPECT_NEAR(v.speedup, 4.0, 1e-12);
  EXPECT_NEAR(v.size_ratio, 0.25, 1e-12);
  const std::string md = results_markdown(rows, "t");
  EXPECT_NE(md.find("| Deployed top-5 (%) |"), std::string::npos) << md;
  EXPECT_NE(md.find("| m | PTQ (max) | 89.70 | 89.50 | 98.90 | -0.50 | -0.10 | 0.500 | 4.00x | "
                    "1.00 | 0.25x | ptq_max.onnx |"),
            std::string::npos)
      << md;
  EXPECT_NE(md.find("| 99.00 | +0.00 | +0.00 | 2.000 | 1.00x | 4.00 | 1.00x |"),
            std::string::npos)
      << md;
  const nlohmann::json j = row_to_json(rows[1], &rows[0]);
  EXPECT_DOUBLE_EQ(j.at("speedup_vs_fp32").get<double>(), 4.0);
  EXPECT_DOUBLE_EQ(j.at("deployed_top5").get<double>(), 98.9);
  EXPECT_EQ(row_from_json(j).deployed_top5, 98.9);
}

std::string report_html() {
  std::vector<ResultRow> rows = three_rows();
  for (ResultRow& r : rows) r.model = "mobilenet_v2 x0.35", r.deployed_top5 = 99;
  const ChartImages chart = draw_scatter(accuracy_latency_chart(rows, "MNv2 on Fashion-MNIST"));
  return results_html(rows, "MNv2 on Fashion-MNIST", chart.svg,
                      {{"workflow: w.yaml", "title: a < b & c\nptq: [max]\n"}});
}

TEST(WorkflowResults, ReportIsOneSelfContainedPage) {
  const std::string html = report_html();
  EXPECT_EQ(html.rfind("<!DOCTYPE html>", 0), 0u);
  EXPECT_EQ(html.find("<?xml"), std::string::npos);  // the SVG is inline, without its prolog
  EXPECT_EQ(count(html, "<svg"), 1u);
  EXPECT_EQ(html.find("src="), std::string::npos);  // nothing loaded from elsewhere
  EXPECT_EQ(html.find("href=\"http"), std::string::npos);
  EXPECT_NE(html.find("<pre>title: a &lt; b &amp; c\nptq: [max]\n</pre>"), std::string::npos);
  EXPECT_EQ(count(html, "<tr>"), 4u);  // header + 3 rows
}

// Headless Chromium loads report.html: its DOM has the table and the chart, and the screenshot
// shows the chart's point colours (the SVG was drawn). Skipped where Chromium is not installed.
TEST(WorkflowResults, ReportRendersInHeadlessChromium) {
  if (std::system("command -v chromium >/dev/null 2>&1") != 0)
    GTEST_SKIP() << "chromium is not installed (Debian: apt-get install chromium)";
  const std::string dir = tmp("report");
  std::filesystem::create_directories(dir);
  const std::string page = dir + "/report.html", shot = dir + "/shot.png";
  qcv_cli_test::write(page, report_html());
  const std::string flags =
      "timeout 120 chromium --headless --no-sandbox --disable-gpu --hide-scrollbars "
      "--user-data-dir=" + dir + "/profile --window-size=1200,1400 ";
  const std::string dom_file = dir + "/dom.html";
  ASSERT_EQ(std::system((flags + "--dump-dom file://" + page + " >" + dom_file + " 2>/dev/null")
                            .c_str()),
            0);
  const std::string dom = slurp(dom_file);
  EXPECT_NE(dom.find("<title>MNv2 on Fashion-MNIST</title>"), std::string::npos) << dom.substr(0, 300);
  EXPECT_NE(dom.find("<td>PTQ (entropy)</td>"), std::string::npos);
  EXPECT_NE(dom.find("<td class=\"n\">15.00</td>"), std::string::npos);
  EXPECT_NE(dom.find("<svg"), std::string::npos);
  ASSERT_EQ(std::system((flags + "--screenshot=" + shot + " file://" + page + " >/dev/null 2>&1")
                            .c_str()),
            0);
  const data::Image img = data::read_image(shot);
  EXPECT_EQ(img.width, 1200);
  // The three points' colours (Chromium may blend by a unit or two).
  for (int s = 0; s < 3; ++s) EXPECT_FALSE(rows_with_colour(img, series_colour(s), 3).empty()) << s;
  std::filesystem::remove_all(dir);
}

TEST(ModelsChart, AccuracyFileIsChecked) {
  const std::string f = tmp("acc.csv");
  auto expect_error = [&](const std::string& text, const std::string& message) {
    qcv_cli_test::write(f, text);
    try {
      read_accuracy_csv(f);
      ADD_FAILURE() << "accepted: " << text;
    } catch (const Error& e) {
      EXPECT_NE(std::string(e.what()).find(message), std::string::npos) << e.what();
    }
  };
  expect_error("", "empty");
  expect_error("model,top1\n", "expected the header");
  expect_error("model,width,resolution,top1\nmobilenet_v2,1.0,224\n", "line 2: expected 4 fields");
  expect_error("model,width,resolution,top1\nmobilenet_v2,1.0,224,101\n", "top1");
  expect_error("model,width,resolution,top1\n# c\n\nmobilenet_v2,x,224,70\n", "line 4");
  qcv_cli_test::write(f, "# published\nmodel,width,resolution,top1\nmobilenet_v2, 0.5 ,96,51.2\n");
  const std::vector<MeasuredAccuracy> rows = read_accuracy_csv(f);
  ASSERT_EQ(rows.size(), 1u);
  EXPECT_EQ(rows[0].model, "mobilenet_v2");
  EXPECT_EQ(rows[0].width, 0.5);
  EXPECT_EQ(rows[0].resolution, 96);
  EXPECT_EQ(rows[0].top1, 51.2);
  std::remove(f.c_str());
}

TEST(ModelsChart, PointsAreTheZooMacsAgainstTheFileTop1) {
  std::vector<models::ZooEntry> zoo(3);
  zoo[0].spec.name = "a", zoo[0].spec.width = 1.0f, zoo[0].spec.resolution = 224;
  zoo[0].cost.macs = 300'000'000;
  zoo[1].spec.name = "a", zoo[1].spec.width = 0.5f, zoo[1].spec.resolution = 224;
  zoo[1].cost.macs = 97'000'000;
  zoo[2].spec.name = "b", zoo[2].spec.width = 1.0f, zoo[2].spec.resolution = 160;
  zoo[2].cost.macs = 20'000'000;
  const ScatterChart c =
      macs_top1_chart(zoo, {{"a", 0.5, 224, 65.4}, {"b", 1.0, 160, 50}, {"a", 1.0, 224, 71.8}}, "t");
  ASSERT_EQ(c.points.size(), 3u);
  EXPECT_EQ(c.points[0].x, 97.0);
  EXPECT_EQ(c.points[0].y, 65.4);
  EXPECT_EQ(c.points[0].series, 0);
  EXPECT_EQ(c.points[1].series, 1);
  EXPECT_EQ(c.points[2].series, 0);
  EXPECT_EQ(c.series_names, (std::vector<std::string>{"a", "b"}));
  EXPECT_TRUE(c.log_x);
  EXPECT_THROW(macs_top1_chart(zoo, {{"a", 0.75, 224, 60}}, "t"), Error);
  // Log x: 20 and 300 MMACs span most of the plot's width, left to right.
  const data::Image img = decode(draw_scatter(c).png);
  const std::vector<int> a_rows = rows_with_colour(img, series_colour(0));
  const std::vector<int> b_rows = rows_with_colour(img, series_colour(1));
  ASSERT_FALSE(a_rows.empty());
  ASSERT_FALSE(b_rows.empty());
  EXPECT_LT(a_rows.front(), b_rows.front());  // 71.8 % is above 50 %
}

TEST(ModelsChart, CommandPlotsThePublishedMobileNetTable) {
  const std::string stem = tmp("macs_top1");
  const qcv_cli_test::Result r = run_qcv("models --accuracy " + std::string(QCV_SOURCE_DIR) +
                                         "/configs/mobilenet_published_top1.csv --plot " + stem);
  ASSERT_EQ(r.code, 0) << r.err;
  EXPECT_NE(r.out.find("  71.8"), std::string::npos) << r.out;  // the top1 column
  const data::Image img = decode(slurp(stem + ".png"));
  EXPECT_EQ(img.width, 1000);
  EXPECT_EQ(img.height, 700);
  const std::string svg = slurp(stem + ".svg");
  EXPECT_NE(svg.find("mobilenet_v2 1/224: (300."), std::string::npos) << svg.substr(0, 2000);
  EXPECT_EQ(count(svg, "mobilenet_v1 "), 16u);
  std::remove((stem + ".png").c_str());
  std::remove((stem + ".svg").c_str());
  const qcv_cli_test::Result bad = run_qcv("models --plot " + stem);
  EXPECT_EQ(bad.code, 1);
  EXPECT_NE(bad.err.find("--plot needs --accuracy"), std::string::npos) << bad.err;
}

}  // namespace
}  // namespace qcv::cli
#endif
