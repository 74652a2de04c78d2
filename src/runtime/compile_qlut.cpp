// A function of one dequantized int8 tensor, Q(f(DQ(x))) or f(DQ(x)), as a lookup table of its
// 256 results: the HardSwish of MobileNetV3 (x * HardSigmoid(x), or HardSwish itself), Sigmoid,
// Clip, ... between int8 tensors in one pass over the bytes. The table is computed by the
// reference kernels of the very nodes it replaces, so the step is exact (ONNX's arithmetic and
// one rounding, as the nodes themselves) whatever the placement scheme put around them.
#include <cstring>
#include <set>

#include "ref/ref.h"
#include "runtime/compiler.h"
#include "runtime/dnnl_util.h"
#include "runtime/int8_kernels.h"
#include "runtime/qchain.h"

namespace qcv::runtime {

namespace {

class LookupStep : public Step {
 public:
  int src = -1, dst = -1;
  bool float_out = false;
  uint8_t bytes[256] = {};
  float floats[256] = {};
  size_t count = 0;

  void bind(const Plan&, ExecContext&, size_t) const override {}
  void execute(const Plan&, ExecContext& ctx, size_t) const override {
    const auto* s = static_cast<const uint8_t*>(ctx.mem[src].get_data_handle());
    void* d = ctx.mem[dst].get_data_handle();
    if (float_out)
      lookup_floats(floats, s, static_cast<float*>(d), count);
    else
      lookup_bytes(bytes, s, static_cast<uint8_t*>(d), count);
  }
};

// Elementwise ops whose result at each element depends only on that element of their inputs.
const std::set<std::string> kPointwise = {
    "Relu", "Clip", "HardSigmoid", "HardSwish", "Sigmoid", "Tanh", "LeakyRelu", "Elu", "Selu",
    "Softplus", "Neg", "Abs", "Exp", "Mul", "Add", "Sub", "Div", "Identity"};

}  // namespace

bool PlanBuilder::build_qlut(int i) {
  const ir::Node& anchor = g_.nodes[i];
  std::string x;
  for (const std::string& in : anchor.inputs) {
    if (in.empty() || g_.is_initializer(in)) continue;
    if (!x.empty() && in != x) return false;
    x = in;
  }
  if (x.empty()) return false;
  auto xq = as_int8(x);
  if (!xq) return false;
  const PlanValue& xv = plan_->values[xq->value];
  const size_t count = static_cast<size_t>(ir::shape_numel(xv.shape));
  if (count == 0 || xv.md.get_size() != count) return false;  // dense bytes only

  // A node joins when it is pointwise, keeps x's shape, and reads only x, the region's values
  // and scalar constants.
  std::set<std::string> region_values = {x};
  auto joins = [&](const ir::Node& n) {
    if (!kPointwise.count(n.op) || n.outputs.size() != 1) return false;
    auto t = g_.value_type(n.outputs[0]);
    if (!t || !t->has_shape || t->shape != xv.shape || t->dtype != ir::DType::Float32) return false;
    for (const std::string& in : n.inputs) {
      if (in.empty() || region_values.count(in)) continue;
      const ir::Tensor* c = g_.initializer(in);
      if (!c || c->numel() != 1) return false;
    }
    return true;
  };
  if (!joins(anchor)) return false;
  QChain chain;
  std::vector<int> nodes = {i};
  chain.output_name = anchor.outputs[0];
  region_values.insert(chain.output_name);
  int quantize = -1;
  for (;;) {
    const std::string& cur = chain.output_name;
    std::vector<int> readers = g_.consumers(cur);
    if (g_.is_graph_output(cur) || readers.size() != 1) break;
    const int r = readers[0];
    if (fusion_.absorbed_by[r] >= 0 && fusion_.absorbed_by[r] != i) break;
    const ir::Node& next = g_.nodes[r];
    if (next.op == "QuantizeLinear") {
      if (!quantize_node_params(g_, next)) break;
      quantize = r;
    } else if (!joins(next)) {
      break;
    }
    nodes.push_back(r);
    chain.absorbed.push_back(r);
    chain.output_name = next.outputs[0];
    region_values.insert(chain.output_name);
    if (quantize >= 0) break;
  }

  // The table: every byte value through DequantizeLinear, the region and its QuantizeLinear.
  auto step = std::make_unique<LookupStep>();
  const ir::Node& dq = g_.nodes[g_.producer(x)];
  ir::Tensor codes(xq->params.dtype, {256});
  for (int k = 0; k < 256; ++k) static_cast<uint8_t*>(codes.raw())[k] = static_cast<uint8_t>(k);
  auto run = [&](const ir::Node& n, const std::map<std::string, ir::Tensor>& vals) {
    std::vector<const ir::Tensor*> ins;
    for (size_t k = 0; k < n.inputs.size(); ++k) {
      const std::string& in = n.inputs[k];
      auto it = vals.find(in);
      ins.push_back(in.empty() ? nullptr : it != vals.end() ? &it->second : g_.initializer(in));
    }
    // The data input is `codes` for the DequantizeLinear.
    if (&n == &dq) ins[0] = &codes;
    ir::Tensor out = ref::run_node(n, ins).at(0);
    if (out.numel() != 256) fail("node '{}' ({}): lookup table of {} values", n.name, n.op, out.numel());
    return out;
  };
  std::map<std::string, ir::Tensor> vals;
  vals[x] = run(dq, vals);
  for (int r : nodes) vals[g_.nodes[r].outputs[0]] = run(g_.nodes[r], vals);
  const ir::Tensor& table = vals.at(chain.output_name);
  step->float_out = quantize < 0;
  if (step->float_out)
    std::memcpy(step->floats, table.raw(), sizeof(step->floats));
  else
    std::memcpy(step->bytes, table.raw(), sizeof(step->bytes));
  step->count = count;

  const ir::DType dst_type =
      quantize >= 0 ? quantize_node_params(g_, g_.nodes[quantize])->dtype : ir::DType::Float32;
  const dnnl::memory::desc md = with_type(xv.md, dnnl_type(dst_type));
  step->src = xq->value;
  step->dst = define_typed(chain.output_name, md, xv.shape, dst_type);
  step->label = int8_label(g_, i, "QLookup " + anchor.op, chain, "table", xq->params.dtype, dst_type);
  step->reads = {step->src};
  step->writes = {step->dst};
  if (!step->float_out) {
    step->inplace_src = step->src;
    step->inplace_dst = step->dst;
  }
  plan_->steps.push_back(std::move(step));
  absorb_chain(fusion_, i, chain);
  return true;
}

}  // namespace qcv::runtime
