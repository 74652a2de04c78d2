// GridSample (opset 16: PyTorch's grid_sample, whose outputs are ONNX's expected values) and
// RoiAlign (opset 16: bilinear samples averaged, or maximised, over each bin of a region).
#include <algorithm>
#include <cmath>

#include "ref/kernel.h"

namespace qcv::ref::detail {
namespace {

// ---- GridSample ----

enum class Padding { Zeros, Border, Reflection };

// Normalized [-1, 1] to pixel coordinates: corner pixels' centres (align_corners) or their
// outer edges at -1 and 1.
double unnormalize(double g, int64_t size, bool align_corners) {
  return align_corners ? (g + 1) / 2 * static_cast<double>(size - 1)
                       : ((g + 1) * static_cast<double>(size) - 1) / 2;
}

// Mirrors `x` into [twice_low / 2, twice_high / 2].
double reflect(double x, double twice_low, double twice_high) {
  if (twice_low == twice_high) return 0;
  const double low = twice_low / 2, span = (twice_high - twice_low) / 2;
  x = std::fabs(x - low);
  const double extra = std::fmod(x, span);
  const auto flips = static_cast<int64_t>(std::floor(x / span));
  return flips % 2 == 0 ? extra + low : span - extra + low;
}

double apply_padding(double x, int64_t size, Padding padding, bool align_corners) {
  const double hi = static_cast<double>(size - 1);
  if (padding == Padding::Border) return std::clamp(x, 0.0, hi);
  if (padding == Padding::Reflection) {
    x = align_corners ? reflect(x, 0, 2 * hi) : reflect(x, -1, 2 * static_cast<double>(size) - 1);
    return std::clamp(x, 0.0, hi);
  }
  return x;
}

double cubic_near(double s, double a) { return ((a + 2) * s - (a + 3)) * s * s + 1; }
double cubic_far(double s, double a) { return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a; }

double cubic_1d(const double v[4], double t) {
  constexpr double a = -0.75;
  return v[0] * cubic_far(t + 1, a) + v[1] * cubic_near(t, a) + v[2] * cubic_near(1 - t, a) +
         v[3] * cubic_far(2 - t, a);
}

struct Plane {
  const ir::Tensor& x;
  int64_t base, height, width;
  // The pixel at integer (iy, ix), zero outside the image.
  double at(int64_t iy, int64_t ix) const {
    if (iy < 0 || iy >= height || ix < 0 || ix >= width) return 0;
    return x.as_double(base + iy * width + ix);
  }
};

}  // namespace

std::vector<ir::Tensor> grid_sample(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const ir::Tensor& grid = a.in(1);
  ir::Tensor y = a.make_output(0);
  const std::string mode = a.node.attr_string("mode", "bilinear");
  const std::string padding_name = a.node.attr_string("padding_mode", "zeros");
  const bool align = a.node.attr_int("align_corners", 0) != 0;
  if (mode != "bilinear" && mode != "nearest" && mode != "bicubic")
    a.error(fmt::format("unsupported mode '{}'", mode));
  Padding padding =
      padding_name == "zeros"    ? Padding::Zeros
      : padding_name == "border" ? Padding::Border
      : padding_name == "reflection"
          ? Padding::Reflection
          : (a.error(fmt::format("unsupported padding_mode '{}'", padding_name)), Padding::Zeros);
  const int64_t batch = x.dim(0), channels = x.dim(1), h = x.dim(2), w = x.dim(3);
  const int64_t oh = grid.dim(1), ow = grid.dim(2);
  if (grid.dim(0) != batch)
    a.error(fmt::format("grid batch {} differs from input batch {}", grid.dim(0), batch));
  for (int64_t n = 0; n < batch; ++n) {
    for (int64_t c = 0; c < channels; ++c) {
      const Plane plane{x, (n * channels + c) * h * w, h, w};
      for (int64_t i = 0; i < oh * ow; ++i) {
        const int64_t g = (n * oh * ow + i) * 2;
        double gx = unnormalize(grid.as_double(g), w, align);
        double gy = unnormalize(grid.as_double(g + 1), h, align);
        double v = 0;
        if (mode == "bicubic") {
          // Taps at integer positions; the padding mode maps each tap, not the sample.
          const double fx = std::floor(gx), fy = std::floor(gy);
          auto tap = [&](double ty, double tx) {
            double px = apply_padding(tx, w, padding, align);
            double py = apply_padding(ty, h, padding, align);
            return plane.at(static_cast<int64_t>(std::floor(py)),
                            static_cast<int64_t>(std::floor(px)));
          };
          double rows[4];
          for (int r = 0; r < 4; ++r) {
            double cols[4];
            for (int k = 0; k < 4; ++k) cols[k] = tap(fy - 1 + r, fx - 1 + k);
            rows[r] = cubic_1d(cols, gx - fx);
          }
          v = cubic_1d(rows, gy - fy);
        } else {
          gx = apply_padding(gx, w, padding, align);
          gy = apply_padding(gy, h, padding, align);
          if (mode == "nearest") {
            v = plane.at(static_cast<int64_t>(std::nearbyint(gy)),
                         static_cast<int64_t>(std::nearbyint(gx)));
          } else {
            const double x0 = std::floor(gx), y0 = std::floor(gy);
            const double tx = gx - x0, ty = gy - y0;
            const auto ix = static_cast<int64_t>(x0), iy = static_cast<int64_t>(y0);
            v = plane.at(iy, ix) * (1 - tx) * (1 - ty) + plane.at(iy, ix + 1) * tx * (1 - ty) +
                plane.at(iy + 1, ix) * (1 - tx) * ty + plane.at(iy + 1, ix + 1) * tx * ty;
          }
        }
        y.set_double((n * channels + c) * oh * ow + i, v);
      }
    }
  }
  return {y};
}

// ---- RoiAlign ----

namespace {

// One bilinear sample: four pixel offsets and their weights (all zero outside the image).
struct Sample {
  int64_t at[4] = {0, 0, 0, 0};
  double weight[4] = {0, 0, 0, 0};
};

Sample bilinear_sample(double yy, double xx, int64_t height, int64_t width) {
  Sample s;
  if (yy < -1.0 || yy > static_cast<double>(height) || xx < -1.0 || xx > static_cast<double>(width))
    return s;
  yy = std::max(yy, 0.0);
  xx = std::max(xx, 0.0);
  auto y_low = static_cast<int64_t>(yy), x_low = static_cast<int64_t>(xx);
  int64_t y_high, x_high;
  if (y_low >= height - 1) {
    y_high = y_low = height - 1;
    yy = static_cast<double>(y_low);
  } else {
    y_high = y_low + 1;
  }
  if (x_low >= width - 1) {
    x_high = x_low = width - 1;
    xx = static_cast<double>(x_low);
  } else {
    x_high = x_low + 1;
  }
  const double ly = yy - static_cast<double>(y_low), lx = xx - static_cast<double>(x_low);
  const double hy = 1 - ly, hx = 1 - lx;
  s.at[0] = y_low * width + x_low;
  s.at[1] = y_low * width + x_high;
  s.at[2] = y_high * width + x_low;
  s.at[3] = y_high * width + x_high;
  s.weight[0] = hy * hx;
  s.weight[1] = hy * lx;
  s.weight[2] = ly * hx;
  s.weight[3] = ly * lx;
  return s;
}

}  // namespace

std::vector<ir::Tensor> roi_align(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  const ir::Tensor& rois = a.in(1);
  const ir::Tensor& batch_indices = a.in(2);
  ir::Tensor y = a.make_output(0);
  const std::string mode = a.node.attr_string("mode", "avg");
  const std::string coordinates =
      a.node.attr_string("coordinate_transformation_mode", "half_pixel");
  if (mode != "avg" && mode != "max") a.error(fmt::format("unsupported mode '{}'", mode));
  if (coordinates != "half_pixel" && coordinates != "output_half_pixel")
    a.error(fmt::format("unsupported coordinate_transformation_mode '{}'", coordinates));
  const bool half_pixel = coordinates == "half_pixel";
  const double scale = a.node.attr_float("spatial_scale", 1.f);
  const int64_t sampling_ratio = a.node.attr_int("sampling_ratio", 0);
  const int64_t oh = y.dim(2), ow = y.dim(3);
  const int64_t batch = x.dim(0), channels = x.dim(1), height = x.dim(2), width = x.dim(3);
  const int64_t num_rois = rois.dim(0);
  if (batch_indices.numel() != num_rois)
    a.error(fmt::format("{} batch indices for {} rois", batch_indices.numel(), num_rois));
  if (sampling_ratio < 0) a.error("sampling_ratio must not be negative");
  const double offset = half_pixel ? 0.5 : 0.0;
  for (int64_t r = 0; r < num_rois; ++r) {
    const int64_t b = batch_indices.as_int64(r);
    if (b < 0 || b >= batch) a.error(fmt::format("batch index {} out of range", b));
    const double x1 = rois.as_double(r * 4) * scale - offset;
    const double y1 = rois.as_double(r * 4 + 1) * scale - offset;
    double roi_w = rois.as_double(r * 4 + 2) * scale - offset - x1;
    double roi_h = rois.as_double(r * 4 + 3) * scale - offset - y1;
    if (!half_pixel) {  // the legacy mode forces regions of at least one pixel
      roi_w = std::max(roi_w, 1.0);
      roi_h = std::max(roi_h, 1.0);
    }
    const double bin_h = roi_h / static_cast<double>(oh), bin_w = roi_w / static_cast<double>(ow);
    const int64_t grid_h = sampling_ratio > 0
                               ? sampling_ratio
                               : static_cast<int64_t>(std::ceil(roi_h / static_cast<double>(oh)));
    const int64_t grid_w = sampling_ratio > 0
                               ? sampling_ratio
                               : static_cast<int64_t>(std::ceil(roi_w / static_cast<double>(ow)));
    if (grid_h > (1 << 16) || grid_w > (1 << 16)) a.error("region needs too many samples");
    const double count = static_cast<double>(std::max<int64_t>(grid_h * grid_w, 1));
    std::vector<Sample> samples;
    for (int64_t ph = 0; ph < oh; ++ph)
      for (int64_t pw = 0; pw < ow; ++pw)
        for (int64_t iy = 0; iy < grid_h; ++iy)
          for (int64_t ix = 0; ix < grid_w; ++ix) {
            double yy = y1 + static_cast<double>(ph) * bin_h +
                        (static_cast<double>(iy) + 0.5) * bin_h / static_cast<double>(grid_h);
            double xx = x1 + static_cast<double>(pw) * bin_w +
                        (static_cast<double>(ix) + 0.5) * bin_w / static_cast<double>(grid_w);
            samples.push_back(bilinear_sample(yy, xx, height, width));
          }
    const int64_t per_bin = grid_h * grid_w;
    for (int64_t c = 0; c < channels; ++c) {
      const int64_t base = (b * channels + c) * height * width;
      for (int64_t bin = 0; bin < oh * ow; ++bin) {
        double out = 0;
        for (int64_t k = 0; k < per_bin; ++k) {
          const Sample& s = samples[bin * per_bin + k];
          if (mode == "avg") {
            for (int j = 0; j < 4; ++j) out += s.weight[j] * x.as_double(base + s.at[j]);
          } else {
            // ONNX (as ONNX Runtime): the largest weighted corner of any sample.
            double best = s.weight[0] * x.as_double(base + s.at[0]);
            for (int j = 1; j < 4; ++j)
              best = std::max(best, s.weight[j] * x.as_double(base + s.at[j]));
            out = k == 0 ? best : std::max(out, best);
          }
        }
        if (mode == "avg") out /= count;
        y.set_double((r * channels + c) * oh * ow + bin, out);
      }
    }
  }
  return {y};
}

}  // namespace qcv::ref::detail
