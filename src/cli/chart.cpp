// A scatter chart drawn once per surface (image for PNG, SVG) with cairo's path and text API.
#include "cli/chart.h"

#include <cairo-svg.h>
#include <cairo.h>
#include <fmt/format.h>

#include <algorithm>
#include <cmath>
#include <functional>
#include <map>
#include <tuple>

#include "ir/atomic_file.h"
#include "ir/error.h"

namespace qcv::cli {
namespace {

constexpr const char* kFont = "DejaVu Sans";  // Debian's fonts-dejavu-core
constexpr unsigned kColours[] = {0x1f77b4, 0xff7f0e, 0x2ca02c, 0xd62728, 0x9467bd,
                                 0x8c564b, 0xe377c2, 0x7f7f7f, 0xbcbd22, 0x17becf};

void colour(cairo_t* cr, unsigned rgb) {
  cairo_set_source_rgb(cr, ((rgb >> 16) & 255) / 255.0, ((rgb >> 8) & 255) / 255.0,
                       (rgb & 255) / 255.0);
}

void font(cairo_t* cr, double size, bool bold = false) {
  cairo_select_font_face(cr, kFont, CAIRO_FONT_SLANT_NORMAL,
                         bold ? CAIRO_FONT_WEIGHT_BOLD : CAIRO_FONT_WEIGHT_NORMAL);
  cairo_set_font_size(cr, size);
}

double text_width(cairo_t* cr, const std::string& s) {
  cairo_text_extents_t e;
  cairo_text_extents(cr, s.c_str(), &e);
  return e.x_advance;
}

// Text with its left end at x and its baseline at y.
void text(cairo_t* cr, double x, double y, const std::string& s) {
  cairo_move_to(cr, x, y);
  cairo_show_text(cr, s.c_str());
}

std::string fixed(double v, int digits) { return fmt::format("{:.{}f}", v, digits); }

// Round ticks (1, 2 or 5 times a power of ten) covering [lo, hi] in about 5 steps.
struct Axis {
  double lo, hi;
  std::vector<double> ticks;
  int digits;
};

Axis linear_axis(double lo, double hi) {
  if (!(hi > lo)) hi = lo + 1;
  const double raw = (hi - lo) / 5;
  const double p = std::pow(10.0, std::floor(std::log10(raw)));
  double step = 10 * p;
  for (double m : {1.0, 2.0, 5.0})
    if (m * p >= raw) {
      step = m * p;
      break;
    }
  Axis a;
  a.digits = std::max(0, -static_cast<int>(std::floor(std::log10(step) + 1e-9)));
  a.lo = std::floor(lo / step + 1e-9) * step;
  a.hi = std::ceil(hi / step - 1e-9) * step;
  for (double v = a.lo; v <= a.hi + 0.5 * step; v += step) a.ticks.push_back(v);
  return a;
}

// A log axis: ticks at 1, 2 and 5 times powers of ten inside [lo, hi] (lo > 0).
Axis log_axis(double lo, double hi) {
  if (!(hi > lo)) hi = lo * 10;
  Axis a;
  a.lo = lo, a.hi = hi, a.digits = 0;
  for (double p = std::pow(10.0, std::floor(std::log10(lo))); p <= hi; p *= 10)
    for (double m : {1.0, 2.0, 5.0})
      if (m * p >= lo && m * p <= hi) a.ticks.push_back(m * p);
  return a;
}

std::string tick_label(const Axis& a, double v, bool log) {
  if (!log) return fixed(v, a.digits);
  return v >= 1 ? fmt::format("{:.0f}", v) : fmt::format("{}", v);
}

struct Frame {
  double left = 100, right = 40, top = 60, bottom = 80;
  int w, h;
};

// A light vertical grid line from y0 to y1 at each x tick, labelled under y1.
template <class Px, class Label>
void x_grid(cairo_t* cr, const std::vector<double>& ticks, const Px& px, double y0, double y1,
            const Label& label) {
  for (double v : ticks) {
    colour(cr, 0xdddddd);
    cairo_move_to(cr, std::round(px(v)) + 0.5, y0);
    cairo_line_to(cr, std::round(px(v)) + 0.5, y1);
    cairo_stroke(cr);
    colour(cr, 0x000000);
    const std::string s = label(v);
    text(cr, px(v) - text_width(cr, s) / 2, y1 + 18, s);
  }
}

void render(cairo_t* cr, const ScatterChart& c, int W, int H) {
  const Frame f{100, 40, 60, 80, W, H};
  const double x0 = f.left, x1 = W - f.right, y0 = f.top, y1 = H - f.bottom;
  colour(cr, 0xffffff);
  cairo_paint(cr);

  // Axis ranges: margins around the on-scale points.
  double xl = 1e300, xh = -1e300, yl = 1e300, yh = -1e300;
  for (const ChartPoint& p : c.points) {
    xl = std::min(xl, p.x), xh = std::max(xh, p.x);
    if (p.y < c.y_floor) continue;
    yl = std::min(yl, p.y), yh = std::max(yh, p.y);
  }
  if (xl > xh) xl = c.log_x ? 1 : 0, xh = c.log_x ? 10 : 1;
  if (yl > yh) yl = 0, yh = 1;
  Axis ax;
  if (c.log_x) {
    const double lo = std::max(xl, 1e-12);
    ax = log_axis(lo / 1.3, std::max(xh, lo) * 1.3);
  } else {
    const double xs = std::max(xh - xl, 0.05 * std::max(std::abs(xh), 1e-3));
    ax = linear_axis(xl >= 0 ? std::max(0.0, xl - 0.15 * xs) : xl - 0.15 * xs, xh + 0.15 * xs);
  }
  const double ys = std::max(yh - yl, 0.5);
  const Axis ay = linear_axis(yl >= 0 ? std::max(0.0, yl - 0.2 * ys) : yl - 0.2 * ys,
                              std::min(c.y_ceiling, yh + 0.2 * ys));
  auto px = [&](double v) {
    const double t = c.log_x ? (std::log(std::max(v, 1e-300)) - std::log(ax.lo)) /
                                   (std::log(ax.hi) - std::log(ax.lo))
                             : (v - ax.lo) / (ax.hi - ax.lo);
    return x0 + t * (x1 - x0);
  };
  auto py = [&](double v) { return y1 - (v - ay.lo) / (ay.hi - ay.lo) * (y1 - y0); };

  // Grid, ticks, axes.
  cairo_set_line_width(cr, 1);
  font(cr, 12);
  x_grid(cr, ax.ticks, px, y0, y1, [&](double v) { return tick_label(ax, v, c.log_x); });
  for (double v : ay.ticks) {
    colour(cr, 0xdddddd);
    cairo_move_to(cr, x0, std::round(py(v)) + 0.5);
    cairo_line_to(cr, x1, std::round(py(v)) + 0.5);
    cairo_stroke(cr);
    colour(cr, 0x000000);
    const std::string s = fixed(v, ay.digits);
    text(cr, x0 - 8 - text_width(cr, s), py(v) + 4, s);
  }
  colour(cr, 0x000000);
  cairo_move_to(cr, x0 + 0.5, y0);
  cairo_line_to(cr, x0 + 0.5, y1 + 0.5);
  cairo_line_to(cr, x1, y1 + 0.5);
  cairo_stroke(cr);
  font(cr, 18, true);
  text(cr, (W - text_width(cr, c.title)) / 2, 32, c.title);
  font(cr, 14);
  text(cr, (x0 + x1 - text_width(cr, c.x_label)) / 2, H - 30, c.x_label);
  cairo_save(cr);
  cairo_translate(cr, 28, (y0 + y1) / 2);
  cairo_rotate(cr, -M_PI / 2);
  text(cr, -text_width(cr, c.y_label) / 2, 0, c.y_label);
  cairo_restore(cr);

  // Lines through each series, in x order.
  if (c.join_series) {
    std::map<int, std::vector<std::pair<double, double>>> by_series;
    for (const ChartPoint& p : c.points)
      if (p.y >= c.y_floor) by_series[p.series].push_back({p.x, p.y});
    cairo_set_line_width(cr, 1.5);
    for (auto& [s, pts] : by_series) {
      std::sort(pts.begin(), pts.end());
      colour(cr, series_colour(s));
      for (size_t i = 0; i < pts.size(); ++i)
        (i ? cairo_line_to : cairo_move_to)(cr, px(pts[i].first), py(pts[i].second));
      cairo_stroke(cr);
    }
  }

  // Points and labels; a label that would overlap an earlier one moves down or up.
  font(cr, 12);
  std::vector<std::tuple<double, double, double>> placed;  // label boxes: x, top y, width
  cairo_set_line_width(cr, 1);
  for (const ChartPoint& p : c.points) {
    const unsigned col = series_colour(p.series);
    colour(cr, col);
    const bool off_scale = p.y < c.y_floor;
    const double x = px(p.x), y = off_scale ? y1 - 12 : py(p.y);
    if (off_scale) {  // a triangle pointing down at the bottom of the plot area
      cairo_move_to(cr, x - 7, y - 7);
      cairo_line_to(cr, x + 7, y - 7);
      cairo_line_to(cr, x, y + 1);
      cairo_close_path(cr);
    } else {
      cairo_arc(cr, x, y, 6, 0, 2 * M_PI);
    }
    cairo_fill(cr);
    if (p.label.empty() || !c.show_labels) continue;
    const std::string label = p.label + (off_scale ? " (off scale)" : "");
    const double lw = text_width(cr, label);
    double lx = x + 10;
    if (lx + lw > W - 5) lx = x - 10 - lw;
    double ly = y - 7;
    for (int k = 1; k < 12; ++k) {
      bool clash = false;
      for (const auto& [ox, oy, ow] : placed)
        clash = clash || (lx < ox + ow && ox < lx + lw && ly < oy + 15 && oy < ly + 15);
      if (!clash) break;
      ly = y - 7 + (k % 2 ? 1 : -1) * 15 * ((k + 1) / 2);
    }
    placed.emplace_back(lx, ly, lw);
    if (ly != y - 7) {
      cairo_move_to(cr, x, y);
      cairo_line_to(cr, lx < x ? lx + lw : lx, ly + 7);
      cairo_stroke(cr);
    }
    text(cr, lx, ly + 11, label);
  }

  // Legend, top left inside the plot area.
  double ly = y0 + 18;
  for (size_t s = 0; s < c.series_names.size(); ++s, ly += 18) {
    colour(cr, series_colour(static_cast<int>(s)));
    cairo_arc(cr, x0 + 16, ly - 4, 5, 0, 2 * M_PI);
    cairo_fill(cr);
    colour(cr, 0x000000);
    text(cr, x0 + 26, ly, c.series_names[s]);
  }
}

cairo_status_t append(void* closure, const unsigned char* data, unsigned int length) {
  static_cast<std::string*>(closure)->append(reinterpret_cast<const char*>(data), length);
  return CAIRO_STATUS_SUCCESS;
}

void check(cairo_status_t s, const char* what) {
  if (s != CAIRO_STATUS_SUCCESS) fail("chart: {}: {}", what, cairo_status_to_string(s));
}

using Render = std::function<void(cairo_t*)>;

void draw_on(cairo_surface_t* surface, const Render& render_to) {
  check(cairo_surface_status(surface), "creating the surface");
  cairo_t* cr = cairo_create(surface);
  render_to(cr);
  const cairo_status_t s = cairo_status(cr);
  cairo_destroy(cr);
  check(s, "drawing");
}

// One drawing as PNG and SVG, the SVG titled and described in words.
ChartImages draw_both(const Render& render_to, int width, int height, const std::string& title,
                      const std::string& description) {
  ChartImages out;
  cairo_surface_t* image = cairo_image_surface_create(CAIRO_FORMAT_RGB24, width, height);
  try {
    draw_on(image, render_to);
    check(cairo_surface_write_to_png_stream(image, append, &out.png), "writing the PNG");
  } catch (...) {
    cairo_surface_destroy(image);
    throw;
  }
  cairo_surface_destroy(image);

  cairo_surface_t* svg = cairo_svg_surface_create_for_stream(append, &out.svg, width, height);
  try {
    cairo_svg_surface_set_document_unit(svg, CAIRO_SVG_UNIT_PX);
    draw_on(svg, render_to);
    cairo_surface_finish(svg);
    check(cairo_surface_status(svg), "writing the SVG");
  } catch (...) {
    cairo_surface_destroy(svg);
    throw;
  }
  cairo_surface_destroy(svg);
  // <title> and <desc> as the first children of the root element.
  const size_t root = out.svg.find("<svg");
  const size_t open_end = root == std::string::npos ? root : out.svg.find('>', root);
  if (open_end == std::string::npos) fail("chart: cairo wrote no <svg> element");
  out.svg.insert(open_end + 1, "\n<title>" + xml_escape(title) + "</title>\n<desc>" +
                                   xml_escape(description) + "</desc>");
  return out;
}

// Bars from a zero line (negative values go left of it), labels in a left column.
void render_bars(cairo_t* cr, const BarChart& c, int W, int H) {
  constexpr double kRow = 22, kTop = 60, kBottom = 60, kRight = 170;
  colour(cr, 0xffffff);
  cairo_paint(cr);
  font(cr, 12);
  double label_w = 60;
  for (const Bar& b : c.bars) label_w = std::max(label_w, text_width(cr, b.label));
  const double x0 = std::min(label_w + 20, W * 0.45), x1 = W - kRight;
  double lo = 0, hi = 0;
  for (const Bar& b : c.bars) lo = std::min(lo, b.value), hi = std::max(hi, b.value);
  const Axis ax = linear_axis(lo, hi > lo ? hi : lo + 1);
  auto px = [&](double v) { return x0 + (v - ax.lo) / (ax.hi - ax.lo) * (x1 - x0); };
  const double y0 = kTop, y1 = H - kBottom;
  cairo_set_line_width(cr, 1);
  x_grid(cr, ax.ticks, px, y0, y1, [&](double v) { return fixed(v, ax.digits); });
  for (size_t i = 0; i < c.bars.size(); ++i) {
    const Bar& b = c.bars[i];
    const double y = y0 + kRow * double(i);
    const double a = px(std::min(0.0, b.value)), e = px(std::max(0.0, b.value));
    colour(cr, series_colour(0));
    cairo_rectangle(cr, a, y + 3, std::max(e - a, 1.0), kRow - 6);
    cairo_fill(cr);
    colour(cr, 0x000000);
    text(cr, x0 - 8 - text_width(cr, b.label), y + kRow / 2 + 4, b.label);
    const std::string v = fixed(b.value, c.digits) + (b.note.empty() ? "" : "  " + b.note);
    text(cr, e + 6, y + kRow / 2 + 4, v);
  }
  colour(cr, 0x000000);
  cairo_move_to(cr, std::round(px(0)) + 0.5, y0);
  cairo_line_to(cr, std::round(px(0)) + 0.5, y1);
  cairo_stroke(cr);
  font(cr, 18, true);
  text(cr, (W - text_width(cr, c.title)) / 2, 32, c.title);
  font(cr, 14);
  text(cr, (x0 + x1 - text_width(cr, c.x_label)) / 2, H - 20, c.x_label);
}

// The chart in words, for screen readers, search and tests (the SVG's glyphs are outlines).
std::string svg_description(const ScatterChart& c) {
  std::string d = fmt::format("x: {}; y: {}.", c.x_label, c.y_label);
  for (const ChartPoint& p : c.points)
    d += fmt::format(" {}: ({:g}, {:g}){}.", p.label.empty() ? "point" : p.label, p.x, p.y,
                     p.y < c.y_floor ? " off scale" : "");
  return d;
}

}  // namespace

unsigned series_colour(int series) {
  return kColours[static_cast<unsigned>(std::max(series, 0)) % std::size(kColours)];
}

std::string xml_escape(const std::string& s) {
  std::string out;
  for (char ch : s) {
    switch (ch) {
      case '&': out += "&amp;"; break;
      case '<': out += "&lt;"; break;
      case '>': out += "&gt;"; break;
      case '"': out += "&quot;"; break;
      case '\'': out += "&#39;"; break;
      default: out += ch;
    }
  }
  return out;
}

ChartImages draw_scatter(const ScatterChart& chart, int width, int height) {
  return draw_both([&](cairo_t* cr) { render(cr, chart, width, height); }, width, height,
                   chart.title, svg_description(chart));
}

ChartImages draw_bars(const BarChart& chart, int width) {
  const int height = 120 + 22 * static_cast<int>(std::max<size_t>(chart.bars.size(), 1));
  std::string d = fmt::format("x: {}.", chart.x_label);
  for (const Bar& b : chart.bars)
    d += fmt::format(" {}: {:g}{}.", b.label, b.value, b.note.empty() ? "" : " " + b.note);
  return draw_both([&](cairo_t* cr) { render_bars(cr, chart, width, height); }, width, height,
                   chart.title, d);
}

void write_chart(const ChartImages& images, const std::string& stem) {
  ir::write_file_atomically(stem + ".png", images.png);
  ir::write_file_atomically(stem + ".svg", images.svg);
}

}  // namespace qcv::cli
