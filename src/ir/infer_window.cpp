// Shape inference of the window family: ConvTranspose, LpPool, MaxUnpool, Resize, GridSample,
// RoiAlign. Output sizes that depend on an input's value (Resize's scales/sizes, MaxUnpool's
// output_shape) are known only when that input is a constant.
#include <cmath>

#include "ir/infer_util.h"
#include "ir/ops.h"
#include "ir/shape_inference.h"

namespace qcv::ir::infer {
namespace {


std::vector<int64_t> spatial_attr(const InferContext& c, const char* name, size_t spatial,
                                  int64_t fill) {
  auto v = c.node.attr_ints(name, std::vector<int64_t>(spatial, fill));
  if (v.size() != spatial)
    c.error(fmt::format("attribute {} has {} values for {} spatial dims", name, v.size(), spatial));
  return v;
}

}  // namespace

ConvTransposeGeometry conv_transpose_geometry(const Node& n, const Shape& x, const Shape& w) {
  auto error = [&](const std::string& what) { fail("node '{}' ({}): {}", n.name, n.op, what); };
  const size_t spatial = x.size() - 2;
  ConvTransposeGeometry g;
  g.kernel.assign(w.begin() + 2, w.end());
  if (n.has_attr("kernel_shape") && n.attr_ints("kernel_shape") != g.kernel)
    error("kernel_shape attribute does not match the weight");
  g.strides = n.attr_ints("strides", std::vector<int64_t>(spatial, 1));
  g.dilations = n.attr_ints("dilations", std::vector<int64_t>(spatial, 1));
  auto pads = n.attr_ints("pads", std::vector<int64_t>(2 * spatial, 0));
  auto output_padding = n.attr_ints("output_padding", std::vector<int64_t>(spatial, 0));
  auto output_shape = n.attr_ints("output_shape", {});
  // output_shape may name N and C too; only the spatial part matters.
  if (output_shape.size() == spatial + 2)
    output_shape.erase(output_shape.begin(), output_shape.begin() + 2);
  std::string auto_pad = n.attr_string("auto_pad", "NOTSET");
  if (g.strides.size() != spatial || g.dilations.size() != spatial || pads.size() != 2 * spatial ||
      output_padding.size() != spatial || (!output_shape.empty() && output_shape.size() != spatial))
    error("strides/dilations/pads/output_padding/output_shape do not match the spatial rank");
  if (auto_pad != "NOTSET" && auto_pad != "VALID" && auto_pad != "SAME_UPPER" &&
      auto_pad != "SAME_LOWER")
    error(fmt::format("unsupported auto_pad '{}'", auto_pad));
  for (size_t d = 0; d < spatial; ++d) {
    if (g.strides[d] <= 0 || g.dilations[d] <= 0 || g.kernel[d] <= 0)
      error("kernel, strides and dilations must be positive");
    if (output_padding[d] < 0) error("output_padding must not be negative");
    int64_t in = x[d + 2];
    int64_t full = in < 0 ? -1
                          : dim_add(n, dim_add(n, dim_mul(n, g.strides[d], in - 1), output_padding[d]),
                                    dim_add(n, dim_mul(n, g.kernel[d] - 1, g.dilations[d]), 1));
    g.full.push_back(full);
    int64_t begin = pads[d], out = -1;
    // ONNX: a requested output shape (or SAME) sets the padding; the odd pixel of the total goes
    // at the start except for SAME_UPPER. Floor division: the total may be negative.
    bool from_shape = !output_shape.empty() || auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER";
    if (from_shape) {
      int64_t want = !output_shape.empty() ? output_shape[d] : (in < 0 ? -1 : dim_mul(n, in, g.strides[d]));
      if (want < 0 || full < 0) {
        g.pad_begin.push_back(0);
        g.out.push_back(-1);
        continue;
      }
      int64_t total = full - want;
      int64_t half = total >= 0 ? total / 2 : -((-total + 1) / 2);  // floor(total / 2)
      begin = auto_pad == "SAME_UPPER" ? half : total - half;
      out = want;
    } else if (auto_pad == "VALID") {
      begin = 0;
      out = full;
    } else if (full >= 0) {
      out = dim_sub(n, dim_sub(n, full, pads[d]), pads[d + spatial]);
    }
    if (full >= 0 && out <= 0) error(fmt::format("output size {} is not positive", out));
    g.pad_begin.push_back(begin);
    g.out.push_back(out);
  }
  return g;
}

void conv_transpose(InferContext& c) {
  expect_floating(c, 0);
  expect_rank_at_least(c, 0, 3);
  const Value& x = c.in(0);
  const Value& w = c.in(1);
  if (w.dtype != x.dtype) c.error("weight and input dtypes differ");
  if (!w.has_shape) c.error("weight shape unknown");
  if (w.shape.size() < 3) c.error(fmt::format("weight {} must have rank >= 3", shape_str(w.shape)));
  int64_t group = c.node.attr_int("group", 1);
  if (group <= 0) c.error("group must be positive");
  if (x.has_shape && x.shape.size() != w.shape.size())
    c.error(
        fmt::format("input {} and weight {} ranks differ", shape_str(x.shape), shape_str(w.shape)));
  if (x.has_shape && x.shape[1] >= 0 && x.shape[1] != w.shape[0])
    c.error(fmt::format("input has {} channels, weight {} expects {}", x.shape[1],
                        shape_str(w.shape), w.shape[0]));
  if (w.shape[0] % group != 0) c.error("input channels not divisible by group");
  const int64_t out_channels = dim_mul(c.node, w.shape[1], group);
  if (c.has_input(2)) {
    const Value& b = c.in(2);
    if (b.has_shape && (b.shape.size() != 1 || b.shape[0] != out_channels))
      c.error(fmt::format("bias shape {} does not match {} output channels", shape_str(b.shape),
                          out_channels));
  }
  if (!x.has_shape) {
    c.outputs[0] = rank_only(x.dtype, w.shape.size());
    return;
  }
  ConvTransposeGeometry g = conv_transpose_geometry(c.node, x.shape, w.shape);
  Shape out{x.shape[0], out_channels};
  out.insert(out.end(), g.out.begin(), g.out.end());
  c.outputs[0] = typed(x.dtype, out);
}

void lp_pool(InferContext& c) {
  if (c.node.attr_int("p", 2) <= 0) c.error("p must be positive");
  pool(c);
}

void max_unpool(InferContext& c) {
  expect_floating(c, 0);
  expect_rank_at_least(c, 0, 3);
  const Value& x = c.in(0);
  if (c.in(1).dtype != DType::Int64) c.error("indices must be int64");
  if (c.in(1).has_shape && x.has_shape && c.in(1).shape != x.shape)
    c.error(fmt::format("indices {} and input {} shapes differ", shape_str(c.in(1).shape),
                        shape_str(x.shape)));
  if (c.has_input(2)) {
    if (c.in(2).dtype != DType::Int64) c.error("output_shape must be int64");
    const Tensor* s = c.constants[2];
    if (!s) {
      c.outputs[0] = x.has_shape ? rank_only(x.dtype, x.shape.size()) : Value{};
      c.outputs[0].dtype = x.dtype;
      return;
    }
    Shape out = s->to_int64_vector();
    if (x.has_shape && out.size() != x.shape.size())
      c.error(fmt::format("output_shape {} has the wrong rank for input {}", shape_str(out),
                          shape_str(x.shape)));
    for (int64_t d : out)
      if (d < 0) c.error(fmt::format("output_shape {} has a negative dim", shape_str(out)));
    c.outputs[0] = typed(x.dtype, out);
    return;
  }
  if (!x.has_shape) {
    c.outputs[0] = Value{};
    c.outputs[0].dtype = x.dtype;
    return;
  }
  const size_t spatial = x.shape.size() - 2;
  auto kernel = c.node.attr_ints("kernel_shape");
  if (kernel.size() != spatial) c.error("kernel_shape does not match the spatial rank");
  auto strides = spatial_attr(c, "strides", spatial, 1);
  auto pads = spatial_attr(c, "pads", 2 * spatial, 0);
  Shape out{x.shape[0], x.shape[1]};
  for (size_t d = 0; d < spatial; ++d) {
    int64_t in = x.shape[d + 2];
    if (strides[d] <= 0 || kernel[d] <= 0) c.error("kernel and strides must be positive");
    out.push_back(in < 0 ? -1
                         : dim_sub(c.node, dim_sub(c.node, dim_add(c.node, dim_mul(c.node, in - 1, strides[d]), kernel[d]),
                                                   pads[d]),
                                   pads[d + spatial]));
    if (out.back() == 0 || out.back() < -1) c.error("output size is not positive");
  }
  c.outputs[0] = typed(x.dtype, out);
}

void resize(InferContext& c) {
  const Value& x = c.in(0);
  if (!x.has_shape) {
    c.outputs[0] = Value{};
    c.outputs[0].dtype = x.dtype;
    return;
  }
  const size_t rank = x.shape.size();
  std::string mode = c.node.attr_string("mode", "nearest");
  if (mode != "nearest" && mode != "linear" && mode != "cubic")
    c.error(fmt::format("unsupported mode '{}'", mode));
  // A present-but-empty scales tensor (opset 11's placeholder) counts as absent.
  const bool scales_given =
      c.has_input(2) && !(c.in(2).has_shape && shape_numel(c.in(2).shape) == 0);
  const bool sizes_given =
      c.has_input(3) && !(c.in(3).has_shape && shape_numel(c.in(3).shape) == 0);
  if (scales_given == sizes_given) c.error("exactly one of scales and sizes must be given");
  const size_t which = scales_given ? 2 : 3;
  if (scales_given && c.in(2).dtype != DType::Float32) c.error("scales must be float32");
  if (sizes_given && c.in(3).dtype != DType::Int64) c.error("sizes must be int64");
  const Tensor* t = c.constants[which];
  if (!t) {
    c.outputs[0] = rank_only(x.dtype, rank);
    return;
  }
  if (t->numel() != static_cast<int64_t>(rank))
    c.error(fmt::format("{} has {} values for input rank {}", scales_given ? "scales" : "sizes",
                        t->numel(), rank));
  Shape out(rank);
  for (size_t d = 0; d < rank; ++d) {
    if (sizes_given) {
      out[d] = t->as_int64(static_cast<int64_t>(d));
      if (out[d] < 0) c.error("sizes must not be negative");
      continue;
    }
    // ONNX: floor(input * scale), the product taken in double of the float scale.
    double s = t->as_double(static_cast<int64_t>(d));
    if (!(s > 0) || !std::isfinite(s)) c.error(fmt::format("scale {} must be positive", s));
    double o = std::floor(static_cast<double>(x.shape[d]) * s);
    if (o > static_cast<double>(int64_t{1} << 40)) c.error("output size is too large");
    out[d] = x.shape[d] < 0 ? -1 : static_cast<int64_t>(o);
  }
  c.outputs[0] = typed(x.dtype, out);
}

void grid_sample(InferContext& c) {
  expect_floating(c, 0);
  const Value& x = c.in(0);
  const Value& grid = c.in(1);
  if (!is_float(grid.dtype)) c.error("grid must be float32 or float64");
  if ((x.has_shape && x.shape.size() != 4) || (grid.has_shape && grid.shape.size() != 4))
    c.error("input and grid must be 4-D");
  if (grid.has_shape && grid.shape[3] >= 0 && grid.shape[3] != 2)
    c.error(fmt::format("grid {} must end in 2", shape_str(grid.shape)));
  int64_t n = x.has_shape ? x.shape[0] : -1, ch = x.has_shape ? x.shape[1] : -1;
  int64_t h = grid.has_shape ? grid.shape[1] : -1, w = grid.has_shape ? grid.shape[2] : -1;
  c.outputs[0] = typed(x.dtype, {n, ch, h, w});
}

void roi_align(InferContext& c) {
  expect_floating(c, 0);
  expect_floating(c, 1);
  const Value& x = c.in(0);
  const Value& rois = c.in(1);
  if (x.has_shape && x.shape.size() != 4) c.error("input must be 4-D");
  if (rois.has_shape && (rois.shape.size() != 2 || (rois.shape[1] >= 0 && rois.shape[1] != 4)))
    c.error(fmt::format("rois {} must be [num_rois, 4]", shape_str(rois.shape)));
  if (c.in(2).dtype != DType::Int64) c.error("batch_indices must be int64");
  int64_t oh = c.node.attr_int("output_height", 1), ow = c.node.attr_int("output_width", 1);
  if (oh <= 0 || ow <= 0) c.error("output_height and output_width must be positive");
  int64_t r = rois.has_shape ? rois.shape[0] : -1, ch = x.has_shape ? x.shape[1] : -1;
  c.outputs[0] = typed(x.dtype, {r, ch, oh, ow});
}

}  // namespace qcv::ir::infer

namespace qcv::ir::infer {

// DepthToSpace moves b*b channels into a b x b block; SpaceToDepth the reverse.
void depth_space(InferContext& c) {
  const Value& x = c.in(0);
  const int64_t b = c.node.attr_int("blocksize", 0);
  if (b <= 0) c.error("blocksize must be positive");
  const bool to_space = c.node.op == "DepthToSpace";
  if (to_space) {
    std::string mode = c.node.attr_string("mode", "DCR");
    if (mode != "DCR" && mode != "CRD") c.error(fmt::format("unsupported mode '{}'", mode));
  }
  if (!x.has_shape) {
    c.outputs[0] = typed(x.dtype, Shape(4, -1));
    return;
  }
  if (x.shape.size() != 4) c.error(fmt::format("input {} must be 4-D", shape_str(x.shape)));
  Shape out = x.shape;
  auto scale = [&](size_t d, bool up) {
    if (out[d] < 0) return;
    if (!up && out[d] % b != 0)
      c.error(fmt::format("dim {} of {} is not divisible by {}", d, shape_str(x.shape), b));
    out[d] = up ? dim_mul(c.node, out[d], b) : out[d] / b;
  };
  if (to_space) {
    if (out[1] >= 0 && out[1] % dim_mul(c.node, b, b) != 0)
      c.error(fmt::format("channels of {} are not divisible by {}", shape_str(x.shape), b * b));
    if (out[1] >= 0) out[1] /= b * b;
    scale(2, true);
    scale(3, true);
  } else {
    scale(2, false);
    scale(3, false);
    if (out[1] >= 0) out[1] = dim_mul(c.node, out[1], dim_mul(c.node, b, b));
  }
  c.outputs[0] = typed(x.dtype, out);
}

}  // namespace qcv::ir::infer
