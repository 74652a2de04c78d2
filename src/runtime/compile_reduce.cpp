// oneDNN paths of the reduce family: reduction (ReduceMean/Max/Min/Sum/Prod/L1/L2/SumSquare),
// LRN, LayerNormalization and LogSoftmax (softmax_v2's log algorithm); GlobalMaxPool is build_pool's. Each
// returns false where the oneDNN primitive would not compute exactly ONNX's op; the reference
// kernel then runs the node.
#include "runtime/compiler.h"
#include "runtime/dnnl_util.h"

namespace qcv::runtime {

using dnnl::memory;

namespace {

// oneDNN's reduction algorithm and its p for one ONNX reduction (eps is 0 throughout).
struct ReductionAlg {
  const char* op;
  dnnl::algorithm alg;
  float p;
};
const ReductionAlg kReductions[] = {
    {"ReduceSum", dnnl::algorithm::reduction_sum, 0.f},
    {"ReduceMean", dnnl::algorithm::reduction_mean, 0.f},
    {"ReduceMax", dnnl::algorithm::reduction_max, 0.f},
    {"ReduceMin", dnnl::algorithm::reduction_min, 0.f},
    {"ReduceProd", dnnl::algorithm::reduction_mul, 0.f},
    {"ReduceL1", dnnl::algorithm::reduction_norm_lp_sum, 1.f},                 // (sum |x|^1)^(1/1)
    {"ReduceL2", dnnl::algorithm::reduction_norm_lp_sum, 2.f},                 // (sum |x|^2)^(1/2)
    {"ReduceSumSquare", dnnl::algorithm::reduction_norm_lp_power_p_sum, 2.f},  // sum |x|^2
};

bool plain_float(const ir::Graph& g, const std::string& name) {
  auto t = g.value_type(name);
  return t && t->dtype == ir::DType::Float32;
}

}  // namespace

bool PlanBuilder::build_reduction(int i) {
  const ir::Node& n = g_.nodes[i];
  const ReductionAlg* r = nullptr;
  for (const ReductionAlg& a : kReductions)
    if (n.op == a.op) r = &a;
  if (!r || !plain_float(g_, n.inputs[0])) return false;
  std::vector<int64_t> axes;
  if (n.has_attr("axes")) {
    axes = n.attr_ints("axes");
  } else if (!n.input(1).empty()) {
    const ir::Tensor* t = g_.initializer(n.input(1));
    if (!t) return false;  // axes known only at run time
    axes = t->to_int64_vector();
  }
  if (axes.empty() && n.attr_int("noop_with_empty_axes", 0) != 0) return false;
  int x = value_of(n.inputs[0]);
  if (!has_md(x)) return false;
  const ir::Shape in = shape_of(x);
  const int64_t rank = static_cast<int64_t>(in.size());
  if (rank == 0 || rank > 6 || ir::shape_numel(in) <= 0) return false;
  ir::Shape kept = in;  // the keepdims shape: oneDNN's destination has the source's rank
  if (axes.empty()) std::fill(kept.begin(), kept.end(), 1);
  for (int64_t a : axes) kept.at(a < 0 ? a + rank : a) = 1;
  if (kept == in) return false;  // only size-1 axes: a copy
  const ir::Shape out = out_shape(n);
  x = ensure_plain(x);
  dnnl::reduction::desc d(r->alg, plan_->values[x].md, plain_md(kept), r->p, 0.f);
  dnnl::reduction::primitive_desc pd(d, attr_with({}), engine_);
  const std::string kept_name = n.outputs[0] + "#keepdims";
  int dst = define(kept_name, pd.dst_desc(), kept);
  ids_.erase(kept_name);
  ids_[n.outputs[0]] = out == kept ? dst : view(dst, out, n.outputs[0]);
  add_call_step(n.name + " (" + n.op + ": " + pd.impl_info_str() + ")", dnnl::reduction(pd), pd,
                {{DNNL_ARG_SRC, x}}, DNNL_ARG_DST, dst);
  return true;
}

// oneDNN's across-channel LRN divides alpha by the window size as ONNX does, but centres the
// window symmetrically: only odd sizes match ONNX's floor/ceil split.
bool PlanBuilder::build_lrn(int i) {
  const ir::Node& n = g_.nodes[i];
  const int64_t size = n.attr_int("size", 0);
  if (size <= 0 || size % 2 == 0 || !plain_float(g_, n.inputs[0])) return false;
  int x = value_of(n.inputs[0]);
  if (!has_md(x) || shape_of(x).size() < 3 || shape_of(x).size() > 5) return false;
  dnnl::lrn_forward::desc d(
      dnnl::prop_kind::forward_inference, dnnl::algorithm::lrn_across_channels, plan_->values[x].md,
      size, n.attr_float("alpha", 1e-4f), n.attr_float("beta", 0.75f), n.attr_float("bias", 1.0f));
  dnnl::lrn_forward::primitive_desc pd(d, attr_with({}), engine_);
  int dst = define(n.outputs[0], pd.dst_desc(), shape_of(x));
  add_call_step(n.name + " (LRN: " + pd.impl_info_str() + ")", dnnl::lrn_forward(pd), pd,
                {{DNNL_ARG_SRC, x}}, DNNL_ARG_DST, dst);
  return true;
}

// oneDNN normalizes over the last dimension: x is viewed as [outer, inner] with inner the
// product of the dimensions from `axis` on, and Scale/B (full-size) as [inner]. The optional
// Mean/InvStdDev outputs are left to the reference kernel.
bool PlanBuilder::build_layer_norm(int i) {
  const ir::Node& n = g_.nodes[i];
  for (size_t k = 1; k < n.outputs.size(); ++k)
    if (!n.outputs[k].empty()) return false;
  if (n.attr_int("stash_type", 1) != 1) return false;
  int x = value_of(n.inputs[0]);
  if (!has_md(x)) return false;
  const ir::Shape in = shape_of(x);
  const int64_t rank = static_cast<int64_t>(in.size());
  int64_t axis = n.attr_int("axis", -1);
  if (axis < 0) axis += rank;
  if (rank == 0 || axis < 0 || axis >= rank) return false;
  int64_t outer = 1, inner = 1;
  for (int64_t d = 0; d < rank; ++d) (d < axis ? outer : inner) *= in[d];
  if (outer <= 0 || inner <= 0) return false;
  // Scale and B must hold one value per normalized element (no broadcasting).
  std::vector<int> params;
  for (size_t k = 1; k < n.inputs.size(); ++k) {
    if (n.inputs[k].empty()) continue;
    int p = value_of(n.inputs[k]);
    if (!has_md(p) || ir::shape_numel(shape_of(p)) != inner) return false;
    params.push_back(view(ensure_plain(p), {inner}, n.inputs[k] + "#flat"));
  }
  x = view(ensure_plain(x), {outer, inner}, n.inputs[0] + "#2d");
  auto flags = dnnl::normalization_flags::use_scale;
  if (params.size() > 1) flags |= dnnl::normalization_flags::use_shift;
  const memory::desc md = plain_md({outer, inner});
  dnnl::layer_normalization_forward::desc d(dnnl::prop_kind::forward_inference, md,
                                            n.attr_float("epsilon", 1e-5f), flags);
  dnnl::layer_normalization_forward::primitive_desc pd(d, attr_with({}), engine_);
  const std::string flat_name = n.outputs[0] + "#2d";
  int dst = define(flat_name, pd.dst_desc(), {outer, inner});
  ids_.erase(flat_name);
  ids_[n.outputs[0]] = view(dst, in, n.outputs[0]);
  PrimitiveStep& s = add_step(n.name + " (LayerNormalization: " + pd.impl_info_str() + ")");
  PrimitiveCall c = call(dnnl::layer_normalization_forward(pd), pd);
  c.value_args = {{DNNL_ARG_SRC, x}, {DNNL_ARG_DST, dst}, {DNNL_ARG_SCALE, params[0]}};
  if (params.size() > 1) c.value_args.push_back({DNNL_ARG_SHIFT, params[1]});
  s.calls.push_back(c);
  s.reads = {x};
  s.reads.insert(s.reads.end(), params.begin(), params.end());
  s.writes = {dst};
  return true;
}

bool PlanBuilder::build_log_softmax(int i) {
  const ir::Node& n = g_.nodes[i];
  if (!plain_float(g_, n.inputs[0])) return false;
  int x = value_of(n.inputs[0]);
  if (!has_md(x)) return false;
  const int64_t rank = static_cast<int64_t>(shape_of(x).size());
  int64_t axis = n.attr_int("axis", -1);
  if (axis < 0) axis += rank;
  if (rank == 0 || axis < 0 || axis >= rank) return false;
  x = ensure_plain(x);
  const memory::desc md = plan_->values[x].md;
  dnnl::softmax_v2_forward::desc d(dnnl::prop_kind::forward_inference, dnnl::algorithm::softmax_log,
                                   md, md, static_cast<int>(axis));
  dnnl::softmax_v2_forward::primitive_desc pd(d, attr_with({}), engine_);
  int dst = define(n.outputs[0], pd.dst_desc(), shape_of(x));
  PrimitiveStep& s =
      add_call_step(n.name + " (LogSoftmax: " + pd.impl_info_str() + ")",
                    dnnl::softmax_v2_forward(pd), pd, {{DNNL_ARG_SRC, x}}, DNNL_ARG_DST, dst);
  s.inplace_src = x;
  s.inplace_dst = dst;
  return true;
}

}  // namespace qcv::runtime
