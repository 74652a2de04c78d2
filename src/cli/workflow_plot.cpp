// Accuracy-vs-latency plot: an RGB canvas, lines, points and text in a built-in 5x7 font (upper
// case; lower case is drawn as upper), written as a PNG with zlib.
#include <zlib.h>

#include <algorithm>
#include <cmath>
#include <map>
#include <tuple>

#include "cli/workflow_report.h"
#include "ir/error.h"

namespace qcv::cli {
namespace {

// 5x7 glyphs, one string of 7 rows of 5 pixels ('#' on) per character.
const std::map<char, const char*>& font() {
  static const std::map<char, const char*> f = {
      {'0', " ### #   ##  ### # ###  ##   # ### "}, {'1', "  #   ##    #    #    #    #   ### "},
      {'2', " ### #   #    #   #   #   #   #####"}, {'3', "#####   #   #     #     ##   # ### "},
      {'4', "   #   ##  # # #  # #####   #    # "}, {'5', "######    ####     #    ##   # ### "},
      {'6', "  ##  #   #    #### #   ##   # ### "}, {'7', "#####    #   #   #   #    #    #   "},
      {'8', " ### #   ##   # ### #   ##   # ### "}, {'9', " ### #   ##   # ####    #   #  ##  "},
      {'A', " ### #   ##   #######   ##   ##   #"}, {'B', "#### #   ##   ##### #   ##   ##### "},
      {'C', " ### #   ##    #    #    #   # ### "}, {'D', "###  #  # #   ##   ##   ##  # ###  "},
      {'E', "######    #    #### #    #    #####"}, {'F', "######    #    #### #    #    #    "},
      {'G', " ### #   ##    # ####   ##   # ####"}, {'H', "#   ##   ##   #######   ##   ##   #"},
      {'I', " ###   #    #    #    #    #   ### "}, {'J', "  ###   #    #    #    ##  #  ##  "},
      {'K', "#   ##  # # #  ##   # #  #  # #   #"}, {'L', "#    #    #    #    #    #    #####"},
      {'M', "#   ### ### # ##   ##   ##   ##   #"}, {'N', "#   ###  ## # ##  ###   ##   ##   #"},
      {'O', " ### #   ##   ##   ##   ##   # ### "}, {'P', "#### #   ##   ##### #    #    #    "},
      {'Q', " ### #   ##   ##   ## # ##  #  ## #"}, {'R', "#### #   ##   ##### # #  #  # #   #"},
      {'S', " #####    #     ###     #    ##### "}, {'T', "#####  #    #    #    #    #    #  "},
      {'U', "#   ##   ##   ##   ##   ##   # ### "}, {'V', "#   ##   ##   ##   ##   # # #   #  "},
      {'W', "#   ##   ##   ## # ## # ## # # # # "}, {'X', "#   ##   # # #   #   # # #   ##   #"},
      {'Y', "#   ##   # # #   #    #    #    #  "}, {'Z', "#####    #   #   #   #   #    #####"},
      {'.', "                         ##   ##   "}, {'%', "##   ##  #   #   #   #   #  ##   ##"},
      {'(', "   #   #   #    #    #     #     # "}, {')', " #     #     #    #    #   #   #   "},
      {'-', "               #####               "}, {':', "      ##   ##        ##   ##       "},
      {'=', "          #####     #####          "}, {'/', "    #    #   #   #   #   #    #    "},
      {',', "                     ##   ##    #  "},  {'_', "                              #####"},
      {' ', "                                   "},
  };
  return f;
}

struct Canvas {
  int w, h;
  std::vector<uint8_t> rgb;
  Canvas(int width, int height) : w(width), h(height), rgb(size_t(width) * height * 3, 255) {}
  void set(int x, int y, uint32_t c) {
    if (x < 0 || y < 0 || x >= w || y >= h) return;
    uint8_t* p = &rgb[(size_t(y) * w + x) * 3];
    p[0] = uint8_t(c >> 16), p[1] = uint8_t(c >> 8), p[2] = uint8_t(c);
  }
  void line(int x0, int y0, int x1, int y1, uint32_t c) {
    const int n = std::max(std::abs(x1 - x0), std::abs(y1 - y0));
    for (int i = 0; i <= n; ++i)
      set(x0 + (n ? (x1 - x0) * i / n : 0), y0 + (n ? (y1 - y0) * i / n : 0), c);
  }
  void disc(int cx, int cy, int r, uint32_t c) {
    for (int y = -r; y <= r; ++y)
      for (int x = -r; x <= r; ++x)
        if (x * x + y * y <= r * r) set(cx + x, cy + y, c);
  }
  // Text at (x, y) top-left, each font pixel drawn as scale x scale.
  void text(int x, int y, const std::string& s, uint32_t c, int scale = 2) {
    for (char ch : s) {
      auto it = font().find(static_cast<char>(std::toupper(static_cast<unsigned char>(ch))));
      const char* g = it == font().end() ? font().at(' ') : it->second;
      for (int r = 0; r < 7; ++r)
        for (int k = 0; k < 5; ++k)
          if (g[r * 5 + k] == '#')
            for (int dy = 0; dy < scale; ++dy)
              for (int dx = 0; dx < scale; ++dx) set(x + k * scale + dx, y + r * scale + dy, c);
      x += 6 * scale;
    }
  }
  static int text_width(const std::string& s, int scale = 2) { return int(s.size()) * 6 * scale; }
};

void put_u32(std::string& s, uint32_t v) {
  for (int i = 3; i >= 0; --i) s += static_cast<char>((v >> (8 * i)) & 0xff);
}

void put_chunk(std::string& png, const char* type, const std::string& data) {
  put_u32(png, static_cast<uint32_t>(data.size()));
  std::string body = std::string(type, 4) + data;
  png += body;
  put_u32(png, static_cast<uint32_t>(
                   crc32(0, reinterpret_cast<const Bytef*>(body.data()), uInt(body.size()))));
}

std::string fixed(double v, int digits) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%.*f", digits, v);
  return buf;
}

// An axis: round ticks (1, 2 or 5 times a power of ten) covering [lo, hi] in about 5 steps.
struct Axis {
  double lo, hi, step;
  int digits;
};

Axis nice_axis(double lo, double hi) {
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / 5;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * p;
  for (double m : {1.0, 2.0, 5.0})
    if (m * p >= raw) {
      step = m * p;
      break;
    }
  const int digits = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  return {std::floor(lo / step + 1e-9) * step, std::ceil(hi / step - 1e-9) * step, step, digits};
}

}  // namespace

std::string encode_png(int width, int height, const std::vector<uint8_t>& rgb) {
  if (width <= 0 || height <= 0 || rgb.size() != size_t(width) * height * 3)
    fail("PNG: {} bytes do not make a {}x{} RGB image", rgb.size(), width, height);
  std::string raw;  // each row: filter byte 0, then the pixels
  for (int y = 0; y < height; ++y) {
    raw += '\0';
    raw.append(reinterpret_cast<const char*>(&rgb[size_t(y) * width * 3]), size_t(width) * 3);
  }
  uLongf size = compressBound(uLong(raw.size()));
  std::string z(size, '\0');
  if (compress2(reinterpret_cast<Bytef*>(&z[0]), &size, reinterpret_cast<const Bytef*>(raw.data()),
                uLong(raw.size()), 9) != Z_OK)
    fail("PNG: zlib compression failed");
  z.resize(size);
  std::string png = "\x89PNG\r\n\x1a\n";
  std::string ihdr;
  put_u32(ihdr, uint32_t(width));
  put_u32(ihdr, uint32_t(height));
  ihdr += std::string("\x08\x02\x00\x00\x00", 5);  // 8-bit RGB, deflate, no filter, no interlace
  put_chunk(png, "IHDR", ihdr);
  put_chunk(png, "IDAT", z);
  put_chunk(png, "IEND", "");
  return png;
}

std::string accuracy_latency_png(const std::vector<ResultRow>& rows, const std::string& title) {
  const int W = 900, H = 600, left = 110, right = 40, top = 70, bottom = 90;
  Canvas c(W, H);
  const uint32_t black = 0x000000, grey = 0xdddddd;
  const uint32_t colors[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd, 0x8c564b};
  // The y axis spans the rows within 10 points of the best: a collapsed row (a calibration
  // method that failed) would squeeze the others into one spot; it is marked at the bottom.
  double best = 0;
  for (const ResultRow& r : rows) best = std::max(best, r.deployed_top1);
  const double off_scale_below = best - 10;
  double x_lo = 1e9, x_hi = -1e9, y_lo = 1e9, y_hi = -1e9;
  for (const ResultRow& r : rows) {
    x_lo = std::min(x_lo, r.latency_ms), x_hi = std::max(x_hi, r.latency_ms);
    if (r.deployed_top1 < off_scale_below) continue;
    y_lo = std::min(y_lo, r.deployed_top1), y_hi = std::max(y_hi, r.deployed_top1);
  }
  if (rows.empty()) x_lo = 0, x_hi = 1, y_lo = 0, y_hi = 100;
  // Margins around the data (top-1 stays <= 100), then round ticks.
  const double xs = std::max(x_hi - x_lo, 0.05 * std::max(x_hi, 1e-3));
  const double ys = std::max(y_hi - y_lo, 0.5);
  const Axis ax = nice_axis(std::max(0.0, x_lo - 0.15 * xs), x_hi + 0.15 * xs);
  const Axis ay = nice_axis(std::max(0.0, y_lo - 0.2 * ys), std::min(100.0, y_hi + 0.2 * ys));
  auto px = [&](double v) { return left + int((v - ax.lo) / (ax.hi - ax.lo) * (W - left - right)); };
  auto py = [&](double v) {
    return H - bottom - int((v - ay.lo) / (ay.hi - ay.lo) * (H - top - bottom));
  };
  for (double xv = ax.lo; xv <= ax.hi + 0.5 * ax.step; xv += ax.step) {
    c.line(px(xv), top, px(xv), H - bottom, grey);
    const std::string xl = fixed(xv, ax.digits);
    c.text(px(xv) - Canvas::text_width(xl) / 2, H - bottom + 10, xl, black);
  }
  for (double yv = ay.lo; yv <= ay.hi + 0.5 * ay.step; yv += ay.step) {
    c.line(left, py(yv), W - right, py(yv), grey);
    const std::string yl = fixed(yv, ay.digits);
    c.text(left - 10 - Canvas::text_width(yl), py(yv) - 7, yl, black);
  }
  c.line(left, top, left, H - bottom, black);
  c.line(left, H - bottom, W - right, H - bottom, black);
  c.text((W - Canvas::text_width(title)) / 2, 20, title, black);
  const std::string xlabel = "latency ms (batch 1, runtime)";
  c.text((W - Canvas::text_width(xlabel)) / 2, H - 45, xlabel, black);
  c.text(10, top - 30, "top-1 % (deployed)", black);
  std::vector<std::tuple<int, int, int>> placed;  // label boxes: x, y, width
  for (size_t i = 0; i < rows.size(); ++i) {
    const uint32_t col = colors[i % 6];
    const bool off_scale = rows[i].deployed_top1 < ay.lo;
    const int x = px(rows[i].latency_ms);
    const int y = off_scale ? H - bottom - 12 : py(rows[i].deployed_top1);
    if (off_scale) {  // a triangle pointing down, at the bottom of the plot area
      for (int k = 0; k <= 7; ++k) c.line(x - 7 + k, y - 7 + k, x + 7 - k, y - 7 + k, col);
    } else {
      c.disc(x, y, 6, col);
    }
    std::string label = rows[i].mode + " " + fixed(rows[i].deployed_top1, 2) +
                        (off_scale ? " (off scale)" : "");
    const int lw = Canvas::text_width(label);
    int lx = x + 10;
    if (lx + lw > W - 5) lx = x - 10 - lw;
    // Nearby points: move the label down or up until it overlaps no earlier one.
    int ly = y - 7;
    for (int k = 1; k < 12; ++k) {
      bool clash = false;
      for (const auto& [ox, oy, ow] : placed)
        clash = clash || (lx < ox + ow && ox < lx + lw && ly < oy + 16 && oy < ly + 16);
      if (!clash) break;
      ly = y - 7 + (k % 2 ? 1 : -1) * 16 * ((k + 1) / 2);
    }
    placed.push_back({lx, ly, lw});
    if (ly != y - 7) c.line(x, y, lx < x ? lx + lw : lx, ly + 7, col);
    c.text(lx, ly, label, col);
  }
  return encode_png(W, H, c.rgb);
}

}  // namespace qcv::cli
