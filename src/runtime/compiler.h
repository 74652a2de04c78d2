// Compiles one shape-inferred graph (concrete input shapes) into a Plan: one step per node or
// fused chain, oneDNN primitives where they exist, reference kernels elsewhere.
#pragma once
#include <algorithm>
#include <functional>
#include <map>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <string>
#include <vector>

#include "runtime/fusion.h"
#include "runtime/plan.h"
#include "runtime/qdq.h"
#include "runtime/steps.h"

namespace qcv::runtime {

// Weights reordered into a primitive's layout, kept across plans (batch sizes) of one Session.
// It also knows which initializers a cached copy holds in full, so that the Session can drop
// their IR tensors (half of the weight memory) and restore them only to compile a new shape.
class WeightCache {
 public:
  // The memory stored under key with layout md, or a null memory.
  dnnl::memory find(const std::string& key, const dnnl::memory::desc& md) const;
  void put(const std::string& key, const dnnl::memory& m) { entries_[key].push_back(m); }

  // Initializer `name` (of shape `shape`) equals the copy under key read as row-major `dims`,
  // and node `reader` reads it.
  struct Source {
    std::string key, reader;
    ir::Shape shape, dims;
  };
  void note_source(const std::string& name, Source source) { sources_[name] = std::move(source); }
  const std::map<std::string, Source>& sources() const { return sources_; }
  // The row-major initializer `name`, rebuilt from its cached copy.
  ir::Tensor restore(const std::string& name, const dnnl::engine& engine) const;
  size_t bytes() const;

 private:
  std::map<std::string, std::vector<dnnl::memory>> entries_;
  std::map<std::string, Source> sources_;
};

class PlanBuilder {
 public:
  PlanBuilder(const ir::Graph& g, const dnnl::engine& engine, WeightCache& cache);
  // observed: values for Plan::observations. The caller makes each one a graph output too, so
  // that no fusion hides it; the last `observe_only` graph outputs are there only for that and
  // are not results (their buffers are reused once observed).
  std::unique_ptr<Plan> build(const std::vector<std::string>& observed = {},
                              size_t observe_only = 0);

 private:
  // Op families (compile_*.cpp). Each returns false (having changed nothing that matters) when
  // the node must run as a reference step instead; oneDNN errors are treated the same way.
  bool build_conv(int i);
  bool build_gemm(int i);
  bool build_matmul(int i);
  bool build_eltwise(int i);
  bool build_binary(int i);
  bool build_pool(int i);
  bool build_softmax(int i);
  bool build_concat(int i);
  bool build_view(int i);
  bool build_transpose_view(int i);  // compile_layout.cpp
  // == family math: elementwise math, comparison, logic, variadic Min/Max/Sum/Mean, Where ==
  // compile_math.cpp: float32 unary ops as eltwise, 2-input Min/Max/Sum/Mean as binary, and
  // an erf-Gelu chain (anchored at its Erf by plan_fusion) as one gelu_erf eltwise.
  bool build_math(int i);
  bool build_gelu(int i);
  bool build_math_binary(int i);
  bool build_prelu(int i);
  bool build_eltwise_chain(const std::string& label, int x, const std::vector<EltOp>& ops,
                           const std::string& output);
  // == end math ==
  // == family tensor: data movement, indexing, shape ops: Pad, Transpose, Slice, Split, Tile, Expand, ... ==
  // compile_tensor.cpp: Transpose and Slice as strided reorders (float32/uint8/int8).
  bool build_transpose(int i);
  bool build_slice(int i);
  bool build_strided_reorder(int i, int x, const dnnl::memory::desc& src_md, const ir::Shape& out);
  // == end tensor ==
  // == family reduce: reductions, ArgMax/TopK, normalizations, Softmax family, losses, Einsum ==
  bool build_reduction(int i);  // compile_reduce.cpp
  bool build_lrn(int i);
  bool build_layer_norm(int i);
  bool build_log_softmax(int i);
  // == end reduce ==
  // == family window: ConvTranspose, pooling variants, Resize/Upsample, DepthToSpace ==
  bool build_conv_transpose(int i);
  bool build_resize(int i);
  // == end window ==
  // == family quant: integer and dynamic quantization ops ==
  bool build_qlut(int i);             // compile_qlut.cpp: Q(f(DQ(x))) as a 256-entry table
  bool build_qscale_channels(int i);  // compile_qscale.cpp: Q(DQ(x) * s[n, c]) on int8
  bool build_qgap(int i);             // compile_qgap.cpp: Q(GlobalAveragePool(DQ(x)))
  // == end quant ==
  void build_ref(int i);
  bool dispatch(int i);

  // INT8 (compile_qdq.cpp, compile_qconv.cpp). A float graph value that equals the dequantization
  // of an int8 plan value (a DequantizeLinear output, an int8 pooling result) is used as that
  // int8 value by the int8 steps; its float form is made only when a float step reads it.
  struct QTensor {
    int value = -1;  // plan value holding the uint8/int8 numbers
    QParams params;  // per tensor
  };
  std::optional<QTensor> as_int8(const std::string& float_name);
  std::optional<QTensor> int8_view(const std::string& name, int view_node);
  // The float form of a dequantized value: a oneDNN reorder with scale and zero point, a
  // constant for a dequantized initializer, or the reference kernel.
  int dequantize_value(const std::string& name);
  bool build_quantize(int i);
  bool build_qconv(int i);
  bool build_qgemm(int i);
  bool build_qpool(int i);
  bool build_qadd(int i);
  bool build_qactivation(int i);
  bool build_qconcat(int i);
  bool build_qbinary(int i, const QTensor& a, const QTensor& b, const std::vector<EltOp>& first);
  int define_typed(const std::string& name, const dnnl::memory::desc& md, ir::Shape shape,
                   ir::DType dtype);

  // Values.
  int value_of(const std::string& name);  // defined value, initializer, or deferred Flatten
  bool has_md(int v) const { return plan_->values[v].md.data.ndims > 0; }
  int define(const std::string& name, const dnnl::memory::desc& md, ir::Shape shape);
  int add_constant(const std::string& name, const ir::Tensor& t);
  int view(int v, const ir::Shape& shape, const std::string& name);  // v must be plain
  int ensure_plain(int v);
  int ensure_md(int v, const dnnl::memory::desc& md);
  const ir::Shape& shape_of(int v) const { return plan_->values[v].shape; }
  ir::Shape out_shape(const ir::Node& n, size_t i = 0) const;

  // Steps.
  dnnl::primitive_attr attr_with(const std::vector<PostOp>& post_ops) const;
  // A call of primitive p (created from pd), sharing the plan's scratchpad.
  PrimitiveCall call(const dnnl::primitive& p, const dnnl::primitive_desc_base& pd);
  PrimitiveStep& add_step(const std::string& label);
  // A step of one call of p: reads the values in srcs (DNNL_ARG_*, value) and writes dst as
  // dst_arg. Returned so that a caller can mark it in place.
  PrimitiveStep& add_call_step(const std::string& label, const dnnl::primitive& p,
                               const dnnl::primitive_desc_base& pd,
                               const std::vector<std::pair<int, int>>& srcs, int dst_arg, int dst);
  // The same for a Conv/Gemm-like primitive: reads src and the bias value b (none when b < 0),
  // with the prepared weights memory bound as a fixed argument.
  PrimitiveStep& add_weighted_step(const std::string& label, const dnnl::primitive& p,
                                   const dnnl::primitive_desc_base& pd, int src,
                                   const dnnl::memory& weights, int b, int dst);
  // The weights `source` (read as user_md) in layout `want`, from the cache or reordered (at
  // the end of build(), see defer).
  dnnl::memory cached_weights(const std::string& key, const dnnl::memory::desc& want,
                              const dnnl::memory::desc& user_md, const ir::Tensor& source);
  // Work that nothing else in build() reads (JIT-compiling a primitive, reordering weights):
  // build() runs it at its end, spread over the team the plan is for (omp_get_max_threads()).
  // ResNet-50 INT8 spends most of its compile time there.
  void defer(std::function<void()> work) { deferred_.push_back(std::move(work)); }
  void run_deferred();

  const ir::Graph& g_;
  dnnl::engine engine_;
  WeightCache& cache_;
  FusionPlan fusion_;
  std::unique_ptr<Plan> plan_;
  std::map<std::string, int> ids_;
  std::map<int, int> plain_copies_;
  std::map<std::string, QTensor> float_as_int8_;
  size_t scratchpad_bytes_ = 0;
  std::vector<std::function<void()>> deferred_;
};

std::string impl_name(const dnnl::primitive_desc_base& pd);

}  // namespace qcv::runtime
