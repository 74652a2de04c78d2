// The workflow's PNG writer and accuracy-vs-latency plot, read back with libpng (the data layer's
// decoder): an independent reader of what qcv wrote.
#if QCV_HAVE_DATA
#include <gtest/gtest.h>

#include "cli/workflow_report.h"
#include "data/data.h"

namespace qcv::cli {
namespace {

data::Image decode(const std::string& png) {
  return data::decode_image(reinterpret_cast<const uint8_t*>(png.data()), png.size(), "plot.png");
}

TEST(WorkflowPlot, PngRoundTripsThroughLibpng) {
  const int w = 7, h = 5;
  std::vector<uint8_t> rgb(size_t(w) * h * 3);
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>(i * 37 % 256);
  const data::Image img = decode(encode_png(w, h, rgb));
  ASSERT_EQ(img.width, w);
  ASSERT_EQ(img.height, h);
  ASSERT_EQ(img.channels, 3);
  EXPECT_EQ(img.pixels, rgb);
}

// The image rows (y) holding at least one pixel of exactly the colour `rgb`.
std::vector<int> rows_with_colour(const data::Image& img, uint32_t rgb) {
  std::vector<int> ys;
  for (int y = 0; y < img.height; ++y)
    for (int x = 0; x < img.width; ++x) {
      const uint8_t* p = &img.pixels[(size_t(y) * img.width + x) * 3];
      if (p[0] == uint8_t(rgb >> 16) && p[1] == uint8_t(rgb >> 8) && p[2] == uint8_t(rgb)) {
        ys.push_back(y);
        break;
      }
    }
  return ys;
}

TEST(WorkflowPlot, CollapsedRowIsDrawnOffScaleBelowTheOthers) {
  // Points are coloured by row: blue, orange, green (the plot's first three colours).
  std::vector<ResultRow> rows(3);
  rows[0].mode = "Baseline (FP32)", rows[0].deployed_top1 = 92.0, rows[0].latency_ms = 0.5;
  rows[1].mode = "PTQ (max)", rows[1].deployed_top1 = 91.0, rows[1].latency_ms = 0.2;
  rows[2].mode = "PTQ (entropy)", rows[2].deployed_top1 = 15.0, rows[2].latency_ms = 0.2;
  const data::Image img = decode(accuracy_latency_png(rows, "test"));
  ASSERT_EQ(img.width, 900);
  ASSERT_EQ(img.height, 600);
  const std::vector<int> blue = rows_with_colour(img, 0x1f77b4);
  const std::vector<int> orange = rows_with_colour(img, 0xff7f0e);
  const std::vector<int> green = rows_with_colour(img, 0x2ca02c);
  ASSERT_FALSE(blue.empty());
  ASSERT_FALSE(orange.empty());
  ASSERT_FALSE(green.empty());
  // The y axis spans 91..92 (with margins): 92% is drawn above 91%, and 15% sits at the bottom
  // of the plot area (which ends 90 pixels above the image's bottom edge), not squeezing them.
  EXPECT_LT(blue.back(), orange.front());
  EXPECT_GT(orange.front() - blue.back(), 100);
  EXPECT_GT(green.front(), orange.back());
  EXPECT_LE(green.back(), 600 - 90);
}

}  // namespace
}  // namespace qcv::cli
#endif
