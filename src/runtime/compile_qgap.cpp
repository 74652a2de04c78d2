// GlobalAveragePool between int8 tensors of different parameters (the squeeze-excite input of
// MobileNetV3): Q(mean(DQ(x))) from the int32 sums of x's numbers, one pass and no float copy.
// y = round(s_x * (sum - zp_x * HW) / HW / s_y) + zp_y with QuantizeLinear's rounding; the mean
// is formed from exact integer sums, the reference's from float sums (a tie may differ by a step).
#include "ref/ref.h"
#include "runtime/compiler.h"
#include "runtime/dnnl_util.h"
#include "runtime/int8_kernels.h"
#include "runtime/qchain.h"

namespace qcv::runtime {

namespace {

class GlobalAverageStep : public Step {
 public:
  int src = -1, dst = -1;
  int64_t batch = 0, channels = 0, pixels = 0;
  bool src_signed = false, dst_signed = false;
  float sx = 1.f, sy = 1.f;
  int32_t zx = 0, zy = 0;

  void bind(const Plan&, ExecContext&, size_t) const override {}
  void execute(const Plan&, ExecContext& ctx, size_t) const override {
    std::vector<int32_t> sums(channels);  // per call: several threads may run one plan
    const auto* s = static_cast<const uint8_t*>(ctx.mem[src].get_data_handle());
    auto* d = static_cast<uint8_t*>(ctx.mem[dst].get_data_handle());
    const int32_t lo = dst_signed ? -128 : 0, hi = dst_signed ? 127 : 255;
    for (int64_t n = 0; n < batch; ++n) {
      sum_channels(s + n * pixels * channels, pixels, channels, src_signed, sums.data());
      for (int64_t c = 0; c < channels; ++c) {
        const double mean =
            static_cast<double>(sums[c] - static_cast<int64_t>(zx) * pixels) / pixels * sx;
        d[n * channels + c] =
            static_cast<uint8_t>(ref::quantize_value(static_cast<float>(mean), sy, zy, lo, hi));
      }
    }
  }
};

}  // namespace

bool PlanBuilder::build_qgap(int i) {
  const ir::Node& n = g_.nodes[i];
  if (n.op != "GlobalAveragePool") return false;
  auto xq = as_int8(n.inputs[0]);
  if (!xq) return false;
  std::vector<int> readers = g_.consumers(n.outputs[0]);
  if (g_.is_graph_output(n.outputs[0]) || readers.size() != 1) return false;
  if (fusion_.absorbed_by[readers[0]] >= 0 && fusion_.absorbed_by[readers[0]] != i) return false;
  auto yq = quantize_node_params(g_, g_.nodes[readers[0]]);
  if (!yq) return false;
  const ir::Shape in = shape_of(xq->value), out = out_shape(n);
  if (in.size() < 3 || in.size() > 5) return false;
  static const dnnl::memory::format_tag channels_last[] = {
      dnnl::memory::format_tag::nwc, dnnl::memory::format_tag::nhwc,
      dnnl::memory::format_tag::ndhwc};
  // Channels-last input only (a Conv's result); oneDNN pools other layouts (compile_qdq.cpp).
  const dnnl::memory::desc have = plan_->values[xq->value].md;
  if (have != dnnl::memory::desc(to_dims(in), have.data_type(), channels_last[in.size() - 3]))
    return false;
  const int src = xq->value;
  auto step = std::make_unique<GlobalAverageStep>();
  step->src = src;
  step->batch = in[0];
  step->channels = in[1];
  step->pixels = ir::shape_numel(in) / (in[0] * in[1]);
  step->src_signed = xq->params.dtype == ir::DType::Int8;
  step->dst_signed = yq->dtype == ir::DType::Int8;
  step->sx = xq->params.scale[0];
  step->zx = xq->params.zero_point[0];
  step->sy = yq->scale[0];
  step->zy = yq->zero_point[0];
  QChain chain;
  chain.absorbed = {readers[0]};
  chain.output_name = g_.nodes[readers[0]].outputs[0];
  // [N, C, 1, ...]: row-major and channels-last are the same bytes.
  step->dst = define_typed(chain.output_name, plain_md(out, dnnl_type(yq->dtype)), out, yq->dtype);
  step->label = int8_label(g_, i, "QGlobalAveragePool", chain, "loop", xq->params.dtype, yq->dtype);
  step->reads = {src};
  step->writes = {step->dst};
  plan_->steps.push_back(std::move(step));
  absorb_chain(fusion_, i, chain);
  return true;
}

}  // namespace qcv::runtime
