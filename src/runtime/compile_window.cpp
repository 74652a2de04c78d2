// oneDNN paths of the window family: ConvTranspose as a deconvolution (float32, 2-D) and Resize
// as a resampling (float32, nearest/linear) where oneDNN's coordinate mapping is ONNX's.
// Anything else returns false and runs the reference kernel.
#include <cmath>
#include <optional>

#include "ir/shape_inference.h"
#include "runtime/compiler.h"
#include "runtime/dnnl_util.h"

namespace qcv::runtime {

using dnnl::memory;

bool PlanBuilder::build_conv_transpose(int i) {
  const ir::Node& n = g_.nodes[i];
  const ir::Tensor* w = g_.initializer(n.input(1));
  if (!w || w->dtype() != ir::DType::Float32 || w->rank() != 4) return false;
  if (!n.input(2).empty() && !g_.is_initializer(n.input(2))) return false;
  int x = value_of(n.inputs[0]);
  if (!has_md(x)) return false;
  const ir::Shape in = shape_of(x);
  const ir::Shape out = out_shape(n);
  if (in.size() != 4 || out.size() != 4) return false;
  ir::infer::ConvTransposeGeometry geo = ir::infer::conv_transpose_geometry(n, in, w->shape());
  // oneDNN: out = (in - 1) * stride + (k - 1) * dilation + 1 - pad_l - pad_r, so output_padding
  // and a requested output_shape become a smaller right pad; negative pads are left to the
  // reference kernel.
  memory::dims strides, dilations, pad_l, pad_r;
  for (size_t d = 0; d < 2; ++d) {
    int64_t span = (in[d + 2] - 1) * geo.strides[d] + (geo.kernel[d] - 1) * geo.dilations[d] + 1;
    int64_t r = span - geo.pad_begin[d] - out[d + 2];
    if (geo.pad_begin[d] < 0 || r < 0) return false;
    strides.push_back(geo.strides[d]);
    dilations.push_back(geo.dilations[d] - 1);
    pad_l.push_back(geo.pad_begin[d]);
    pad_r.push_back(r);
  }
  const int64_t groups = n.attr_int("group", 1);
  // ONNX's W is [C_in, C_out / group, kH, kW]: oneDNN's iohw, or giohw per group.
  memory::dims wdims;
  memory::format_tag wtag;
  if (groups == 1) {
    wdims = {w->dim(1), w->dim(0), w->dim(2), w->dim(3)};
    wtag = memory::format_tag::iohw;
  } else {
    wdims = {groups, w->dim(1), w->dim(0) / groups, w->dim(2), w->dim(3)};
    wtag = memory::format_tag::giohw;
  }
  memory::desc w_any(wdims, memory::data_type::f32, memory::format_tag::any);
  int b = n.input(2).empty() ? -1 : value_of(n.input(2));
  memory::desc b_md = b >= 0 ? plan_->values[b].md : memory::desc();
  dnnl::deconvolution_forward::desc d(dnnl::prop_kind::forward_inference,
                                      dnnl::algorithm::deconvolution_direct, any_md(in), w_any,
                                      b_md, any_md(out), strides, dilations, pad_l, pad_r);
  dnnl::deconvolution_forward::primitive_desc pd(d, attr_with({}), engine_);
  int src = ensure_md(x, pd.src_desc());
  // Not registered as a weight source: the cached copy is not W's row-major layout.
  dnnl::memory weights =
      cached_weights(n.name + "/W", pd.weights_desc(),
                     memory::desc(wdims, memory::data_type::f32, wtag), *w);
  int dst = define(n.outputs[0], pd.dst_desc(), out);
  add_weighted_step(n.name + " (ConvTranspose: " + pd.impl_info_str() + ")",
                    dnnl::deconvolution_forward(pd), pd, src, weights, b, dst);
  return true;
}

namespace {

// The oneDNN resampling algorithm that computes exactly ONNX's Resize for this node, if any.
// oneDNN maps output o to input (o + 0.5) * I / O - 0.5 (ONNX's half_pixel with scale O / I);
// linear clamps at the borders as ONNX does, and nearest rounds half away from zero, which is
// ONNX's round_prefer_ceil there. For integer upsampling factors that coordinate never lands on
// a tie, and rounding it also equals asymmetric+floor.
std::optional<dnnl::algorithm> resampling_for(const ir::Node& n, const ir::Graph& g,
                                              const ir::Shape& in, const ir::Shape& out) {
  if (in.size() < 3 || in.size() > 5 || in.size() != out.size()) return std::nullopt;
  if (in[0] != out[0] || in[1] != out[1]) return std::nullopt;  // only spatial dims resize
  const bool scales_given = !n.input(2).empty();
  const ir::Tensor* scales = scales_given ? g.initializer(n.input(2)) : nullptr;
  if (scales_given && !scales) return std::nullopt;  // a runtime value: cannot check it here
  const bool use_scales = scales && scales->numel() > 0;
  bool integer_upsampling = true;
  for (size_t d = 0; d < in.size(); ++d) {
    if (in[d] <= 0 || out[d] <= 0) return std::nullopt;
    // ONNX uses the given scale in the coordinate mapping; oneDNN uses O / I.
    if (use_scales && static_cast<double>(scales->as_double(static_cast<int64_t>(d))) *
                              static_cast<double>(in[d]) !=
                          static_cast<double>(out[d]))
      return std::nullopt;
    if (d >= 2) integer_upsampling = integer_upsampling && out[d] % in[d] == 0;
  }
  const std::string mode = n.attr_string("mode", "nearest");
  const std::string coord = n.attr_string("coordinate_transformation_mode", "half_pixel");
  const std::string nearest = n.attr_string("nearest_mode", "round_prefer_floor");
  if (mode == "linear") {
    if (coord == "half_pixel") return dnnl::algorithm::resampling_linear;
    if (coord == "pytorch_half_pixel") {
      for (size_t d = 2; d < out.size(); ++d)
        if (out[d] == 1) return std::nullopt;  // ONNX samples 0 there, oneDNN the centre
      return dnnl::algorithm::resampling_linear;
    }
    return std::nullopt;
  }
  if (mode != "nearest") return std::nullopt;
  if (coord == "half_pixel" && nearest == "round_prefer_ceil")
    return dnnl::algorithm::resampling_nearest;
  if (coord == "half_pixel" && nearest == "round_prefer_floor" && integer_upsampling)
    return dnnl::algorithm::resampling_nearest;
  if (coord == "asymmetric" && nearest == "floor" && integer_upsampling)
    return dnnl::algorithm::resampling_nearest;
  return std::nullopt;
}

}  // namespace

bool PlanBuilder::build_resize(int i) {
  const ir::Node& n = g_.nodes[i];
  auto xt = g_.value_type(n.inputs[0]);
  if (!xt || xt->dtype != ir::DType::Float32) return false;
  int x = value_of(n.inputs[0]);
  if (!has_md(x) || plan_->values[x].md.data_type() != memory::data_type::f32) return false;
  auto t = g_.value_type(n.outputs[0]);
  if (!t || !t->has_shape) return false;
  for (int64_t d : t->shape)
    if (d <= 0) return false;
  const ir::Shape in = shape_of(x);
  const ir::Shape out = out_shape(n);
  auto alg = resampling_for(n, g_, in, out);
  if (!alg) return false;
  dnnl::resampling_forward::desc d(dnnl::prop_kind::forward_inference, *alg, plan_->values[x].md,
                                   any_md(out));
  dnnl::resampling_forward::primitive_desc pd(d, attr_with({}), engine_);
  int dst = define(n.outputs[0], pd.dst_desc(), out);
  add_call_step(n.name + " (Resize: " + pd.impl_info_str() + ")", dnnl::resampling_forward(pd), pd,
                {{DNNL_ARG_SRC, x}}, DNNL_ARG_DST, dst);
  return true;
}

}  // namespace qcv::runtime
