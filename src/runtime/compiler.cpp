#include "runtime/compiler.h"

#include <omp.h>

#include <algorithm>
#include <exception>

#include "runtime/dnnl_util.h"

namespace qcv::runtime {

dnnl::memory WeightCache::find(const std::string& key, const dnnl::memory::desc& md) const {
  auto it = entries_.find(key);
  if (it == entries_.end()) return dnnl::memory();
  for (const dnnl::memory& m : it->second)
    if (m.get_desc() == md) return m;
  return dnnl::memory();
}

ir::Tensor WeightCache::restore(const std::string& name, const dnnl::engine& engine) const {
  const Source& s = sources_.at(name);
  // Winograd's weight format has no reorder back to row-major; the source was noted by a
  // primitive with another layout, whose copy is here too.
  const std::vector<dnnl::memory>& copies = entries_.at(s.key);
  const auto it = std::find_if(copies.begin(), copies.end(), [](const dnnl::memory& m) {
    return m.get_desc().data.format_kind != dnnl_format_kind_wino;
  });
  if (it == copies.end())
    fail("runtime: the weights of {} are kept only in Winograd's format", name);
  dnnl::memory cached = *it;  // a handle
  ir::Tensor t(ir::DType::Float32, s.shape);
  dnnl::memory plain(plain_md(s.dims), engine, t.raw());
  dnnl::stream stream(engine);
  dnnl::reorder(cached, plain).execute(stream, cached, plain);
  stream.wait();
  return t;
}

size_t WeightCache::bytes() const {
  size_t n = 0;
  for (const auto& [key, mems] : entries_)
    for (const dnnl::memory& m : mems) n += m.get_desc().get_size();
  return n;
}

std::string impl_name(const dnnl::primitive_desc_base& pd) { return pd.impl_info_str(); }

PlanBuilder::PlanBuilder(const ir::Graph& g, const dnnl::engine& engine, WeightCache& cache)
    : g_(g), engine_(engine), cache_(cache) {}

std::unique_ptr<Plan> PlanBuilder::build(const std::vector<std::string>& observed,
                                         size_t observe_only) {
  const ir::Graph::Frozen frozen(g_);  // producer/consumer lookups in O(1) while compiling
  plan_ = std::make_unique<Plan>();
  plan_->engine = engine_;
  fusion_ = plan_fusion(g_);
  for (size_t k = 0; k < g_.inputs.size(); ++k) {
    const ir::Value& in = g_.inputs[k];
    PlanValue v;
    v.name = in.name;
    v.dtype = in.dtype;
    v.shape = in.shape;
    v.kind = ValueKind::GraphInput;
    v.input_index = static_cast<int>(k);
    bool concrete = in.has_shape && in.shape.size() <= 6;
    for (int64_t d : in.shape) concrete = concrete && d > 0;
    if (in.dtype == ir::DType::Float32 && in.shape.size() <= 6) v.md = plain_md(in.shape);
    // uint8/int8 inputs (an already quantized image) feed int8 steps directly.
    if ((in.dtype == ir::DType::UInt8 || in.dtype == ir::DType::Int8) && concrete)
      v.md = plain_md(in.shape, dnnl_type(in.dtype));
    ids_[in.name] = static_cast<int>(plan_->values.size());
    plan_->values.push_back(v);
  }
  for (size_t i = 0; i < g_.nodes.size(); ++i) {
    if (fusion_.absorbed_by[i] >= 0 || fusion_.flatten_into_gemm[i]) continue;
    // DequantizeLinear runs only where a float step reads its output (value_of): int8 steps
    // read the quantized tensor itself.
    if (g_.nodes[i].op == "DequantizeLinear") continue;
    bool done = false;
    try {
      done = dispatch(static_cast<int>(i));
    } catch (const dnnl::error&) {
      done = false;  // oneDNN has no implementation for this case: the reference kernel runs it
    }
    if (done) continue;
    build_ref(static_cast<int>(i));
    for (int r : fusion_.chains[i].absorbed) build_ref(r);
  }
  for (size_t k = 0; k + observe_only < g_.outputs.size(); ++k)
    plan_->outputs.push_back(value_of(g_.outputs[k].name));
  for (const std::string& name : observed) plan_->observations.push_back({name, value_of(name)});
  run_deferred();
  plan_->finalize(scratchpad_bytes_);
  return std::move(plan_);
}

bool PlanBuilder::dispatch(int i) {
  const std::string& op = g_.nodes[i].op;
  // The FP32 builders below take float tensors only (integer arithmetic keeps ONNX's wrapping
  // semantics in the reference kernels); the int8 builders read int8 values through as_int8.
  bool float_io = true;
  for (const std::string& in : g_.nodes[i].inputs) {
    auto t = in.empty() ? std::nullopt : g_.value_type(in);
    float_io = float_io && (!t || t->dtype == ir::DType::Float32);
  }
  const bool view = op == "Flatten" || op == "Reshape" || op == "Squeeze" || op == "Unsqueeze" ||
                    op == "Identity" || op == "Dropout";
  // Builders that check their data's type themselves: integer side inputs (ReduceSum's axes,
  // Slice's bounds, Resize's sizes) or uint8/int8 data (Transpose, QuantizeLinear, Cast).
  const bool checks_types = op == "QuantizeLinear" || op == "Cast" || op == "Transpose" ||
                            op == "Slice" || op == "Resize" || op == "ReduceSum";
  if (!float_io && !view && !checks_types) return false;
  if (op == "Conv") return build_qconv(i) || build_conv(i);
  if (op == "Gemm") return build_qgemm(i) || build_gemm(i);
  if (op == "QuantizeLinear") return build_quantize(i);
  if (op == "Cast") {
    // A Cast to the type the value already has (PyTorch writes one between Q and DQ) is a name.
    auto t = g_.value_type(g_.nodes[i].inputs[0]);
    if (!t || static_cast<int64_t>(t->dtype) != g_.nodes[i].attr_int("to", -1)) return false;
    ids_[g_.nodes[i].outputs[0]] = value_of(g_.nodes[i].inputs[0]);
    return true;
  }
  if (op == "MatMul") return build_matmul(i);
  // int8 HardSwish / squeeze-excite (compile_qlut.cpp, compile_qscale.cpp) before float paths.
  if (build_qlut(i) || (op == "Mul" && build_qscale_channels(i))) return true;
  if (op == "Relu" || op == "Clip" || op == "HardSigmoid" || op == "HardSwish" || op == "Sigmoid")
    return build_qactivation(i) || build_eltwise(i);
  if (op == "Add" && build_qadd(i)) return true;
  if (op == "Add" || op == "Sub" || op == "Mul" || op == "Div") return build_binary(i);
  if (op == "MaxPool" || op == "AveragePool" || op == "GlobalAveragePool")
    return build_qpool(i) || build_pool(i);
  if (op == "Softmax") return build_softmax(i);
  if (op == "Concat") return build_qconcat(i) || build_concat(i);
  if (op == "Flatten" || op == "Reshape" || op == "Squeeze" || op == "Unsqueeze" ||
      op == "Identity" || op == "Dropout")
    return build_view(i);
  if (op == "Transpose" && build_transpose_view(i)) return true;

  // == family math: elementwise math, comparison, logic, variadic Min/Max/Sum/Mean, Where ==
  if (build_math(i)) return true;
  // == end math ==
  // == family tensor: data movement, indexing, shape ops: Pad, Transpose, Slice, Split, Tile, Expand, ... ==
  if (op == "Transpose") return build_transpose(i);
  if (op == "Slice") return build_slice(i);
  // == end tensor ==
  // == family reduce: reductions, ArgMax/TopK, normalizations, Softmax family, losses, Einsum ==
  if (op.rfind("Reduce", 0) == 0) return build_reduction(i);
  if (op == "LRN") return build_lrn(i);
  if (op == "LayerNormalization") return build_layer_norm(i);
  if (op == "LogSoftmax") return build_log_softmax(i);
  if (op == "GlobalMaxPool") return build_pool(i);
  // == end reduce ==
  // == family window: ConvTranspose, pooling variants, Resize/Upsample, DepthToSpace ==
  if (op == "ConvTranspose") return build_conv_transpose(i);
  if (op == "Resize") return build_resize(i);
  // == end window ==
  // == family quant: integer and dynamic quantization ops ==
  // == end quant ==
  return false;
}

void PlanBuilder::build_ref(int i) {
  const ir::Node& n = g_.nodes[i];
  auto step = std::make_unique<RefStep>(n);
  step->label = n.name + " (" + n.op + ": reference)";
  for (const std::string& in : n.inputs) {
    int v = in.empty() ? -1 : value_of(in);
    step->inputs.push_back(v);
    if (v >= 0) step->reads.push_back(v);
  }
  for (size_t k = 0; k < n.outputs.size(); ++k) {
    const std::string& name = n.outputs[k];
    if (name.empty()) {
      step->outputs.push_back(-1);
      continue;
    }
    auto t = g_.value_type(name);
    PlanValue v;
    v.name = name;
    v.kind = ValueKind::Host;
    if (t) {
      v.dtype = t->dtype;
      v.shape = t->shape;
    }
    bool concrete = t && t->has_shape && t->shape.size() <= 6;
    if (concrete)
      for (int64_t d : t->shape) concrete = concrete && d > 0;
    if (concrete && (t->dtype == ir::DType::Float32 || t->dtype == ir::DType::UInt8 ||
                     t->dtype == ir::DType::Int8)) {
      v.kind = ValueKind::Arena;
      v.md = plain_md(t->shape, dnnl_type(t->dtype));
    }
    int id = static_cast<int>(plan_->values.size());
    plan_->values.push_back(v);
    ids_[name] = id;
    step->outputs.push_back(id);
    step->writes.push_back(id);
  }
  plan_->steps.push_back(std::move(step));
}

int PlanBuilder::value_of(const std::string& name) {
  auto it = ids_.find(name);
  if (it != ids_.end()) return it->second;
  if (const ir::Tensor* t = g_.initializer(name)) return add_constant(name, *t);
  int p = g_.producer(name);
  if (p >= 0 && fusion_.flatten_into_gemm[p]) {
    // The Gemm that was to absorb this Flatten runs elsewhere: materialize the Flatten now.
    if (!build_view(p)) build_ref(p);
    return ids_.at(name);
  }
  if (float_as_int8_.count(name) || (p >= 0 && g_.nodes[p].op == "DequantizeLinear"))
    return dequantize_value(name);
  fail("runtime: value '{}' is used before it is computed", name);
}

int PlanBuilder::define(const std::string& name, const dnnl::memory::desc& md, ir::Shape shape) {
  PlanValue v;
  v.name = name;
  v.shape = std::move(shape);
  v.md = md;
  // The element type follows the layout's (int8 steps define uint8/int8 values).
  if (md.data_type() == memory::data_type::u8) v.dtype = ir::DType::UInt8;
  if (md.data_type() == memory::data_type::s8) v.dtype = ir::DType::Int8;
  if (md.data_type() == memory::data_type::s32) v.dtype = ir::DType::Int32;
  int id = static_cast<int>(plan_->values.size());
  plan_->values.push_back(v);
  ids_[name] = id;
  return id;
}

int PlanBuilder::add_constant(const std::string& name, const ir::Tensor& t) {
  PlanValue v;
  v.name = name;
  v.dtype = t.dtype();
  v.shape = t.shape();
  v.kind = ValueKind::Constant;
  v.host = t;
  if (t.dtype() == ir::DType::Float32 && t.rank() <= 6 && t.numel() > 0) v.md = plain_md(t.shape());
  int id = static_cast<int>(plan_->values.size());
  plan_->values.push_back(v);
  ids_[name] = id;
  return id;
}

int PlanBuilder::view(int v, const ir::Shape& shape, const std::string& name) {
  PlanValue pv;
  pv.name = name;
  pv.dtype = plan_->values[v].dtype;
  pv.shape = shape;
  pv.kind = plan_->values[v].kind;
  pv.alias_of = v;
  if (has_md(v)) pv.md = plain_md(shape, plan_->values[v].md.data_type());
  int id = static_cast<int>(plan_->values.size());
  plan_->values.push_back(pv);
  return id;
}

int PlanBuilder::ensure_md(int v, const dnnl::memory::desc& md) {
  if (plan_->values[v].md == md) return v;
  const PlanValue src = plan_->values[v];
  dnnl::reorder::primitive_desc pd(engine_, src.md, engine_, md, attr_with({}));
  int dst = define(src.name + "#" + md_str(md), md, src.shape);
  ids_.erase(src.name + "#" + md_str(md));
  add_call_step(src.name + " (reorder " + md_str(src.md) + " -> " + md_str(md) + ")",
                dnnl::reorder(pd), pd, {{DNNL_ARG_FROM, v}}, DNNL_ARG_TO, dst);
  return dst;
}

int PlanBuilder::ensure_plain(int v) {
  const PlanValue& pv = plan_->values[v];
  if (!has_md(v) || is_plain(pv.md, pv.shape)) return v;
  auto it = plain_copies_.find(v);
  if (it != plain_copies_.end()) return it->second;
  int p = ensure_md(v, plain_md(pv.shape));
  plain_copies_[v] = p;
  return p;
}

ir::Shape PlanBuilder::out_shape(const ir::Node& n, size_t i) const {
  auto t = g_.value_type(n.outputs.at(i));
  if (!t || !t->has_shape) fail("node '{}' ({}): output shape unknown", n.name, n.op);
  return t->shape;
}

dnnl::primitive_attr PlanBuilder::attr_with(const std::vector<PostOp>& post_ops) const {
  dnnl::primitive_attr attr;
  attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
  dnnl::post_ops po;
  for (const PostOp& p : post_ops) {
    if (p.is_sum)
      po.append_sum(1.f);
    else
      po.append_eltwise(1.f, p.eltwise.alg, p.eltwise.alpha, p.eltwise.beta);
  }
  if (!post_ops.empty()) attr.set_post_ops(po);
  return attr;
}

PrimitiveCall PlanBuilder::call(const dnnl::primitive& p, const dnnl::primitive_desc_base& pd) {
  PrimitiveCall c;
  c.primitive = p;
  c.scratchpad_md = pd.scratchpad_desc();
  c.impl = pd.impl_info_str();
  scratchpad_bytes_ = std::max(scratchpad_bytes_, c.scratchpad_md.get_size());
  return c;
}

PrimitiveStep& PlanBuilder::add_step(const std::string& label) {
  auto s = std::make_unique<PrimitiveStep>();
  s->label = label;
  PrimitiveStep& ref = *s;
  plan_->steps.push_back(std::move(s));
  return ref;
}

PrimitiveStep& PlanBuilder::add_call_step(const std::string& label, const dnnl::primitive& p,
                                          const dnnl::primitive_desc_base& pd,
                                          const std::vector<std::pair<int, int>>& srcs, int dst_arg,
                                          int dst) {
  PrimitiveStep& s = add_step(label);
  PrimitiveCall c = call(p, pd);
  c.value_args = srcs;
  c.value_args.push_back({dst_arg, dst});
  s.calls.push_back(c);
  for (const auto& [arg, value] : srcs) s.reads.push_back(value);
  s.writes = {dst};
  return s;
}

PrimitiveStep& PlanBuilder::add_weighted_step(const std::string& label, const dnnl::primitive& p,
                                              const dnnl::primitive_desc_base& pd, int src,
                                              const dnnl::memory& weights, int b, int dst) {
  std::vector<std::pair<int, int>> srcs = {{DNNL_ARG_SRC, src}};
  if (b >= 0) srcs.push_back({DNNL_ARG_BIAS, b});
  PrimitiveStep& s = add_call_step(label, p, pd, srcs, DNNL_ARG_DST, dst);
  s.calls.back().fixed_args = {{DNNL_ARG_WEIGHTS, weights}};
  return s;
}

dnnl::memory PlanBuilder::cached_weights(const std::string& key, const dnnl::memory::desc& want,
                                         const dnnl::memory::desc& user_md,
                                         const ir::Tensor& source) {
  dnnl::memory m = cache_.find(key, want);
  if (m) return m;
  m = dnnl::memory(want, engine_);
  cache_.put(key, m);
  // `source` is copied (its buffer shared): a temporary stays alive until the reorder runs.
  defer([m, user_md, source, engine = engine_]() mutable {
    dnnl::memory user(user_md, engine, const_cast<void*>(source.raw()));
    // In run_deferred's parallel region a nested region has one thread, but oneDNN sizes a
    // reorder's per-thread partial sums (s8 compensation) by omp_get_max_threads() when the
    // reorder is created: it must say 1 there, or the sums of "thread 1" are never computed.
    const int threads = omp_get_max_threads();
    if (omp_in_parallel()) omp_set_num_threads(1);
    // Its own scratchpad: oneDNN's library one is shared by the process (not built for
    // concurrent execution), and these reorders may run at once.
    dnnl::primitive_attr attr;
    attr.set_scratchpad_mode(dnnl::scratchpad_mode::user);
    dnnl::reorder::primitive_desc pd(engine, user_md, engine, m.get_desc(), attr);
    dnnl::memory scratch(pd.scratchpad_desc(), engine);
    dnnl::stream s(engine);
    dnnl::reorder(pd).execute(
        s, {{DNNL_ARG_FROM, user}, {DNNL_ARG_TO, m}, {DNNL_ARG_SCRATCHPAD, scratch}});
    s.wait();
    omp_set_num_threads(threads);
  });
  return m;
}

void PlanBuilder::run_deferred() {
  const int n = static_cast<int>(deferred_.size());
  const int team = std::max(1, std::min(omp_get_max_threads(), n));
  std::vector<std::exception_ptr> errors(n);
  // Primitives are still created for the whole team (omp_get_max_threads() in the region).
#pragma omp parallel for schedule(dynamic, 1) num_threads(team) if (team > 1)
  for (int k = 0; k < n; ++k) {
    try {
      deferred_[k]();
    } catch (...) {
      errors[k] = std::current_exception();
    }
  }
  deferred_.clear();
  for (const std::exception_ptr& e : errors)
    if (e) std::rethrow_exception(e);
}

}  // namespace qcv::runtime
