// The squeeze-excite product of MobileNetV3 between int8 tensors: Q(DQ(x) * s) where s holds one
// float per (image, channel) (shape [N or 1, C, 1, ...]), computed on x's int8 numbers in one
// pass: y = round((q - zp_x) * s_x * s[n, c] / s_y) + zp_y. The product is formed in another
// order than ONNX's (s_x * s / s_y first), which can move a result at an exact tie by one step.
#include "runtime/compiler.h"
#include "runtime/dnnl_util.h"
#include "runtime/int8_kernels.h"
#include "runtime/qchain.h"

namespace qcv::runtime {

namespace {

class ScaleChannelsStep : public Step {
 public:
  int src = -1, factors = -1, dst = -1;
  int64_t batch = 0, channels = 0, pixels = 0;  // pixels per image
  bool per_image = false, is_signed = false;
  float unit = 1.f;  // s_x / s_y
  int32_t src_zp = 0, dst_zp = 0;

  void bind(const Plan&, ExecContext&, size_t) const override {}
  void execute(const Plan&, ExecContext& ctx, size_t) const override {
    std::vector<float> mult(channels);  // per call: several threads may run one plan
    const auto* s = static_cast<const uint8_t*>(ctx.mem[src].get_data_handle());
    const auto* f = static_cast<const float*>(ctx.mem[factors].get_data_handle());
    auto* d = static_cast<uint8_t*>(ctx.mem[dst].get_data_handle());
    for (int64_t n = 0; n < batch; ++n) {
      const float* fn = f + (per_image ? n * channels : 0);
      for (int64_t c = 0; c < channels; ++c) mult[c] = fn[c] * unit;
      const int64_t off = n * pixels * channels;
      scale_channels(s + off, d + off, mult.data(), pixels, channels, src_zp, dst_zp, is_signed);
    }
  }
};

}  // namespace

bool PlanBuilder::build_qscale_channels(int i) {
  const ir::Node& n = g_.nodes[i];
  if (n.op != "Mul" || n.inputs.size() != 2) return false;
  const ir::Shape out = out_shape(n);
  if (out.size() < 3 || out.size() > 5) return false;
  std::vector<int> readers = g_.consumers(n.outputs[0]);
  if (g_.is_graph_output(n.outputs[0]) || readers.size() != 1) return false;
  if (fusion_.absorbed_by[readers[0]] >= 0 && fusion_.absorbed_by[readers[0]] != i) return false;
  auto yq = quantize_node_params(g_, g_.nodes[readers[0]]);
  if (!yq) return false;
  for (int k = 0; k < 2; ++k) {
    auto xq = as_int8(n.inputs[k]);
    const std::string& other = n.inputs[1 - k];
    auto ft = g_.value_type(other);
    if (!xq || !ft || !ft->has_shape || ft->dtype != ir::DType::Float32) continue;
    if (shape_of(xq->value) != out || xq->params.dtype != yq->dtype) continue;
    // The factors: [N or 1, C, 1, ...].
    const ir::Shape& fs = ft->shape;
    bool per_channel = fs.size() == out.size() && fs[1] == out[1] && (fs[0] == 1 || fs[0] == out[0]);
    for (size_t d = 2; d < fs.size() && per_channel; ++d) per_channel = fs[d] == 1;
    if (!per_channel) continue;
    int f = value_of(other);
    if (!has_md(f) || plan_->values[f].md.data_type() != dnnl::memory::data_type::f32) continue;
    f = ensure_plain(f);
    static const dnnl::memory::format_tag channels_last[] = {
        dnnl::memory::format_tag::nwc, dnnl::memory::format_tag::nhwc,
        dnnl::memory::format_tag::ndhwc};
    const dnnl::memory::desc have = plan_->values[xq->value].md;
    dnnl::memory::desc cl(to_dims(out), have.data_type(), channels_last[out.size() - 3]);
    int src = ensure_md(xq->value, cl);
    auto step = std::make_unique<ScaleChannelsStep>();
    step->src = src;
    step->factors = f;
    step->batch = out[0];
    step->channels = out[1];
    step->pixels = ir::shape_numel(out) / (out[0] * out[1]);
    step->per_image = fs[0] != 1;
    step->is_signed = yq->dtype == ir::DType::Int8;
    step->unit = xq->params.scale[0] / yq->scale[0];
    step->src_zp = xq->params.zero_point[0];
    step->dst_zp = yq->zero_point[0];
    QChain chain;
    chain.absorbed = {readers[0]};
    chain.output_name = g_.nodes[readers[0]].outputs[0];
    step->dst = define_typed(chain.output_name, cl, out, yq->dtype);
    step->label = int8_label(g_, i, "QScaleChannels", chain, "loop", xq->params.dtype, yq->dtype);
    step->reads = {src, f};
    step->writes = {step->dst};
    step->inplace_src = src;
    step->inplace_dst = step->dst;
    plan_->steps.push_back(std::move(step));
    absorb_chain(fusion_, i, chain);
    return true;
  }
  return false;
}

}  // namespace qcv::runtime
