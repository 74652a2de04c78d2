// Resize (opset 11-17 form; Upsample and Resize-10 are rewritten into it at import): nearest,
// n-linear and cubic interpolation, every coordinate_transformation_mode. The interpolation is
// separable, so each output position of each dim gets a short list of (input index, weight)
// taps, applied one dim at a time.
#include <algorithm>
#include <cmath>
#include <limits>
#include <type_traits>

#include "ref/kernel.h"

namespace qcv::ref::detail {
namespace {

struct Taps {
  std::vector<int64_t> index;
  std::vector<double> weight;
  bool outside = false;  // tf_crop_and_resize sampled outside the input: extrapolation_value
};

struct ResizeParams {
  std::string mode, coordinate, nearest_mode;
  double cubic_a = -0.75, extrapolation = 0;
  bool exclude_outside = false;
};

// ONNX's mapping from output coordinate x to input coordinate, for one dim of `in` elements
// resized by `scale` (output length scale * in, not rounded, as in ONNX's reference).
double source_coordinate(const ResizeParams& p, double x, double scale, int64_t in,
                         double roi_start, double roi_end) {
  const double out_length = scale * static_cast<double>(in);
  const std::string& m = p.coordinate;
  if (m == "half_pixel") return (x + 0.5) / scale - 0.5;
  if (m == "pytorch_half_pixel") return out_length > 1 ? (x + 0.5) / scale - 0.5 : 0.0;
  if (m == "align_corners")
    return out_length == 1 ? 0.0 : x * static_cast<double>(in - 1) / (out_length - 1);
  if (m == "asymmetric") return x / scale;
  if (m == "tf_half_pixel_for_nn") return (x + 0.5) / scale;
  // tf_crop_and_resize (checked by the caller)
  const double span = static_cast<double>(in - 1);
  if (out_length > 1) return roi_start * span + x * (roi_end - roi_start) * span / (out_length - 1);
  return 0.5 * (roi_start + roi_end) * span;
}

int64_t nearest_index(const std::string& mode, double x) {
  const double f = std::floor(x);
  const double frac = x - f;
  if (mode == "floor") return static_cast<int64_t>(f);
  if (mode == "ceil") return static_cast<int64_t>(std::ceil(x));
  if (mode == "round_prefer_ceil") return static_cast<int64_t>(frac >= 0.5 ? f + 1 : f);
  return static_cast<int64_t>(frac > 0.5 ? f + 1 : f);  // round_prefer_floor
}

// Keys' cubic convolution weights for the 4 neighbours at offsets -1, 0, 1, 2 from the sample's
// left neighbour, with the sample at fraction t past it.
void cubic_weights(double a, double t, double* w) {
  auto near = [a](double s) { return ((a + 2) * s - (a + 3)) * s * s + 1; };       // |s| <= 1
  auto far = [a](double s) { return ((a * s - 5 * a) * s + 8 * a) * s - 4 * a; };  // 1 < |s| < 2
  w[0] = far(t + 1);
  w[1] = near(t);
  w[2] = near(1 - t);
  w[3] = far(2 - t);
}

Taps taps_for(const ResizeParams& p, double x, int64_t in) {
  Taps t;
  if (p.coordinate == "tf_crop_and_resize" && (x < 0 || x > static_cast<double>(in - 1))) {
    t.outside = true;
    return t;
  }
  if (p.mode == "nearest") {
    t.index.push_back(std::clamp<int64_t>(nearest_index(p.nearest_mode, x), 0, in - 1));
    t.weight.push_back(1);
    return t;
  }
  // The left neighbour is the one at or just before x; an integral x counts as a fraction 1
  // past the one before it (ONNX's reference), which puts the whole weight on x itself.
  double base = std::floor(x);
  double frac = x - base;
  if (frac == 0) {
    base -= 1;
    frac = 1;
  }
  const auto left = static_cast<int64_t>(base);
  std::vector<int64_t> index;
  std::vector<double> weight;
  if (p.mode == "linear") {
    index = {left, left + 1};
    weight = {1 - frac, frac};
  } else {
    index = {left - 1, left, left + 1, left + 2};
    weight.resize(4);
    cubic_weights(p.cubic_a, frac, weight.data());
  }
  if (p.exclude_outside) {
    double sum = 0;
    for (size_t k = 0; k < index.size(); ++k) {
      if (index[k] < 0 || index[k] >= in) weight[k] = 0;
      sum += weight[k];
    }
    if (sum != 0)
      for (double& w : weight) w /= sum;
  }
  for (size_t k = 0; k < index.size(); ++k) {
    if (weight[k] == 0) continue;
    t.index.push_back(std::clamp<int64_t>(index[k], 0, in - 1));
    t.weight.push_back(weight[k]);
  }
  if (t.index.empty()) {  // every weight cancelled: keep one tap so the sum is defined (zero)
    t.index.push_back(std::clamp<int64_t>(left, 0, in - 1));
    t.weight.push_back(0);
  }
  return t;
}

ResizeParams params_of(const KernelArgs& a) {
  ResizeParams p;
  p.mode = a.node.attr_string("mode", "nearest");
  p.coordinate = a.node.attr_string("coordinate_transformation_mode", "half_pixel");
  p.nearest_mode = a.node.attr_string("nearest_mode", "round_prefer_floor");
  p.cubic_a = a.node.attr_float("cubic_coeff_a", -0.75f);
  p.exclude_outside = a.node.attr_int("exclude_outside", 0) != 0;
  p.extrapolation = a.node.attr_float("extrapolation_value", 0.f);
  static const char* const coordinates[] = {"half_pixel",           "pytorch_half_pixel",
                                            "align_corners",        "asymmetric",
                                            "tf_half_pixel_for_nn", "tf_crop_and_resize"};
  if (std::find(std::begin(coordinates), std::end(coordinates), p.coordinate) ==
      std::end(coordinates))
    a.error(fmt::format("unsupported coordinate_transformation_mode '{}'", p.coordinate));
  if (p.mode != "nearest" && p.mode != "linear" && p.mode != "cubic")
    a.error(fmt::format("unsupported mode '{}'", p.mode));
  if (p.nearest_mode != "round_prefer_floor" && p.nearest_mode != "round_prefer_ceil" &&
      p.nearest_mode != "floor" && p.nearest_mode != "ceil")
    a.error(fmt::format("unsupported nearest_mode '{}'", p.nearest_mode));
  return p;
}

// True when dim d's taps copy the input unchanged (scale 1 and an integral mapping).
bool identity_taps(const std::vector<Taps>& taps, int64_t in) {
  if (static_cast<int64_t>(taps.size()) != in) return false;
  for (size_t o = 0; o < taps.size(); ++o)
    if (taps[o].outside || taps[o].index.size() != 1 || taps[o].weight[0] != 1 ||
        taps[o].index[0] != static_cast<int64_t>(o))
      return false;
  return true;
}

// One separable pass per resized dim, in double: the sum over the taps of products equals the
// passes' composition (ONNX's reference also interpolates one dim at a time). A sample outside
// tf_crop_and_resize's region becomes extrapolation_value, which later passes keep (their weights
// sum to one).
template <typename T>
void interpolate(const ir::Tensor& x, ir::Tensor& y, const std::vector<std::vector<Taps>>& taps,
                 double extrapolation) {
  const size_t rank = x.shape().size();
  ir::Shape shape = x.shape();
  std::vector<double> cur(static_cast<size_t>(x.numel()));
  const T* xd = x.data<T>();
  for (size_t i = 0; i < cur.size(); ++i) cur[i] = static_cast<double>(xd[i]);
  std::vector<double> next;
  for (size_t d = 0; d < rank; ++d) {
    const int64_t in = shape[d], out = y.dim(d);
    if (identity_taps(taps[d], in)) continue;
    int64_t outer = 1, inner = 1;
    for (size_t k = 0; k < d; ++k) outer *= shape[k];
    for (size_t k = d + 1; k < rank; ++k) inner *= shape[k];
    next.assign(static_cast<size_t>(outer * out * inner), 0.0);
    for (int64_t a = 0; a < outer; ++a) {
      for (int64_t o = 0; o < out; ++o) {
        double* dst = next.data() + (a * out + o) * inner;
        const Taps& t = taps[d][o];
        if (t.outside) {
          std::fill(dst, dst + inner, extrapolation);
          continue;
        }
        for (size_t k = 0; k < t.index.size(); ++k) {
          const double* src = cur.data() + (a * in + t.index[k]) * inner;
          const double w = t.weight[k];
          for (int64_t i = 0; i < inner; ++i) dst[i] += w * src[i];
        }
      }
    }
    cur.swap(next);
    shape[d] = out;
  }
  T* yd = y.data<T>();
  for (size_t i = 0; i < cur.size(); ++i) {
    double v = cur[i];
    if constexpr (std::is_floating_point_v<T>) {
      yd[i] = static_cast<T>(v);
    } else {
      // ONNX's reference truncates (astype); saturate first so a cubic overshoot stays defined.
      v = std::clamp(v, static_cast<double>(std::numeric_limits<T>::lowest()),
                     static_cast<double>(std::numeric_limits<T>::max()));
      yd[i] = static_cast<T>(v);
    }
  }
}

}  // namespace

std::vector<ir::Tensor> resize(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor y = a.make_output(0);
  const ResizeParams p = params_of(a);
  const size_t rank = x.shape().size();
  // Opset 11 writes an omitted roi/scales as an empty tensor.
  const bool scales_given = a.has(2) && a.in(2).numel() > 0;
  if (!scales_given && (!a.has(3) || a.in(3).numel() != static_cast<int64_t>(rank)))
    a.error(fmt::format("sizes must have {} values", rank));
  if (scales_given && a.in(2).numel() != static_cast<int64_t>(rank))
    a.error(fmt::format("scales must have {} values", rank));
  std::vector<double> scale(rank);
  for (size_t d = 0; d < rank; ++d) {
    const auto i = static_cast<int64_t>(d);
    if (scales_given)
      scale[d] = a.in(2).as_double(i);
    else if (x.dim(static_cast<int>(d)) > 0)
      scale[d] = static_cast<double>(a.in(3).as_int64(i)) /
                 static_cast<double>(x.dim(static_cast<int>(d)));
    else
      scale[d] = 1;
  }
  std::vector<double> roi(2 * rank, 0);
  for (size_t d = 0; d < rank; ++d) roi[rank + d] = 1;
  if (p.coordinate == "tf_crop_and_resize") {
    if (!a.has(1) || a.in(1).numel() != static_cast<int64_t>(2 * rank))
      a.error(fmt::format("tf_crop_and_resize needs an roi of {} values", 2 * rank));
    for (size_t k = 0; k < 2 * rank; ++k) roi[k] = a.in(1).as_double(static_cast<int64_t>(k));
  }
  if (y.numel() == 0) return {y};
  if (x.numel() == 0) a.error("cannot resize an empty input to a non-empty output");
  std::vector<std::vector<Taps>> taps(rank);
  for (size_t d = 0; d < rank; ++d) {
    const int64_t in = x.dim(static_cast<int>(d));
    // A dim kept at scale 1 is copied. Every mapping but two is the identity there anyway:
    // tf_half_pixel_for_nn's (x + 0.5) would move a whole channel under ceil rounding (ONNX
    // Runtime copies too), and tf_crop_and_resize may crop it.
    const bool copy =
        scale[d] == 1 && y.dim(static_cast<int>(d)) == in && p.coordinate != "tf_crop_and_resize";
    for (int64_t o = 0; o < y.dim(static_cast<int>(d)); ++o) {
      if (copy) {
        taps[d].push_back(Taps{{o}, {1.0}, false});
        continue;
      }
      double src =
          source_coordinate(p, static_cast<double>(o), scale[d], in, roi[d], roi[rank + d]);
      taps[d].push_back(taps_for(p, src, in));
    }
  }
  ir::visit_dtype(x.dtype(), [&](auto tag) {
    using T = decltype(tag);
    if constexpr (std::is_same_v<T, bool>)
      a.error("bool input is not supported");
    else
      interpolate<T>(x, y, taps, p.extrapolation);
  });
  return {y};
}

}  // namespace qcv::ref::detail
