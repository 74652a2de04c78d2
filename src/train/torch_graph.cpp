#include "train/torch_graph.h"

#include <map>
#include <set>

#include "train/tensor_convert.h"

namespace qcv::train {
namespace {

// A 4-D tensor with channels-last strides. When one channel or a 1x1 image makes both layouts the
// same bytes, is_contiguous(ChannelsLast) holds for NCHW strides too, but LibTorch picks kernels
// from the strides: a non-in-place op (Clip, Add) on a 1x1 map returns NCHW strides and every later
// conv runs oneDNN's blocked NCHW kernels (depthwise backward 3x slower, measured at 32x32). Such
// tensors get channels-last strides by a copy (they are small: 1x1 maps or one channel).
at::Tensor with_channels_last_strides(const at::Tensor& t) {
  constexpr auto kChannelsLast = at::MemoryFormat::ChannelsLast;
  if (t.dim() != 4) return t;
  if (!t.is_contiguous(kChannelsLast)) return t.contiguous(kChannelsLast);
  if (t.suggest_memory_format() == kChannelsLast) return t;
  return at::empty(t.sizes(), t.options().memory_format(kChannelsLast)).copy_(t);
}

// Input positions that hold trainable weights, per op.
const std::map<std::string, std::set<size_t>>& weight_positions() {
  static const std::map<std::string, std::set<size_t>> table = {
      {"Conv", {1, 2}},        {"Gemm", {0, 1, 2}},
      {"MatMul", {0, 1}},      {"BatchNormalization", {1, 2}},
      {"QuantizeLinear", {0}},  // a weight being fake-quantized (QAT graphs)
  };
  return table;
}

bool reads_at(const ir::Node& n, const std::string& value, const std::set<size_t>& positions) {
  for (size_t i : positions)
    if (i < n.inputs.size() && n.inputs[i] == value) return true;
  return false;
}

// A QuantizeLinear whose output only feeds DequantizeLinear nodes with the same scale, zero point
// and axis: the pair is fake quantization, run as one op with a straight-through gradient.
bool is_fake_quant_pair(const ir::Graph& g, const ir::Node& q) {
  if (q.op != "QuantizeLinear" || g.is_graph_output(q.outputs[0])) return false;
  std::vector<int> users = g.consumers(q.outputs[0]);
  if (users.empty()) return false;
  for (int u : users) {
    const ir::Node& dq = g.nodes[static_cast<size_t>(u)];
    if (dq.op != "DequantizeLinear" || dq.inputs[0] != q.outputs[0]) return false;
    if (dq.input(1) != q.input(1) || dq.input(2) != q.input(2)) return false;
    if (dq.attr_int("axis", 1) != q.attr_int("axis", 1)) return false;
  }
  return true;
}

}  // namespace

TorchGraph::TorchGraph(const ir::Graph& graph, TorchGraphOptions options)
    : options_(std::move(options)) {
  compile(graph);
}

void TorchGraph::compile(const ir::Graph& source) {
  ir::Graph g = source;
  ir::validate(g);  // checks ops and counts, sorts the nodes
  inputs_ = g.inputs;

  // Classify initializers.
  std::set<std::string> params, buffers;
  for (const ir::Node& n : g.nodes) {
    auto it = weight_positions().find(n.op);
    for (size_t i = 0; i < n.inputs.size(); ++i) {
      const ir::Tensor* t = g.initializer(n.inputs[i]);
      if (!t || t->dtype() != ir::DType::Float32) continue;
      if (n.op == "BatchNormalization" && (i == 3 || i == 4))
        buffers.insert(n.inputs[i]);
      else if (it != weight_positions().end() && reads_at(n, n.inputs[i], it->second))
        params.insert(n.inputs[i]);
      else if (options_.trainable_quant_scales && i == 1 &&
               (n.op == "QuantizeLinear" || n.op == "DequantizeLinear"))
        params.insert(n.inputs[i]);
    }
  }
  for (const std::string& name : options_.extra_buffers)
    if (g.initializer(name) && !params.count(name)) buffers.insert(name);
  std::map<std::string, int> slots;
  auto slot = [&](const std::string& name) {
    auto it = slots.find(name);
    if (it != slots.end()) return it->second;
    int s = static_cast<int>(slot_names_.size());
    slot_names_.push_back(name);
    fixed_.emplace_back();
    slots[name] = s;
    return s;
  };
  for (const auto& [name, t] : g.initializers) {
    at::Tensor v = to_torch(t).to(options_.device);
    if (params.count(name)) {
      if (options_.channels_last) v = with_channels_last_strides(v);
      v.set_requires_grad(true);
      parameters_.push_back({name, v});
    } else if (buffers.count(name)) {
      buffers_.push_back({name, v});
    }
    fixed_[static_cast<size_t>(slot(name))] = v;
  }
  for (const ir::Value& in : g.inputs) input_slots_.push_back(slot(in.name));

  std::map<int, size_t> last_use;
  for (const ir::Node& n : g.nodes) {
    Step step;
    step.node = n;
    step.run = is_fake_quant_pair(g, n) ? fake_quantize : find_executor(n.op);
    if (!step.run) fail("torch backend: node '{}': no executor for op '{}'", n.name, n.op);
    for (const std::string& in : n.inputs) {
      if (in.empty()) {
        step.inputs.push_back(-1);
        continue;
      }
      if (!slots.count(in))
        fail("torch backend: node '{}' ({}) reads unknown value '{}'", n.name, n.op, in);
      int s = slot(in);
      step.inputs.push_back(s);
      last_use[s] = steps_.size();
    }
    for (const std::string& out : n.outputs) step.outputs.push_back(out.empty() ? -1 : slot(out));
    steps_.push_back(std::move(step));
  }
  // Relu/Clip right after a BatchNormalization run in place when nothing else reads the BN output
  // (BN's backward needs its input, not its output): one tensor and one pass less per layer.
  std::map<int, int> readers;
  for (const Step& s : steps_)
    for (int i : s.inputs)
      if (i >= 0) ++readers[i];
  std::set<int> graph_outputs;
  for (const ir::Value& out : g.outputs)
    if (slots.count(out.name)) graph_outputs.insert(slots.at(out.name));
  for (Step& s : steps_) {
    if ((s.node.op != "Relu" && s.node.op != "Clip") || s.inputs.empty() || s.inputs[0] < 0)
      continue;
    const int in = s.inputs[0];
    const int producer = g.producer(s.node.inputs[0]);
    s.in_place = producer >= 0 &&
                 g.nodes[static_cast<size_t>(producer)].op == "BatchNormalization" &&
                 readers[in] == 1 && !graph_outputs.count(in);
  }
  // The DequantizeLinear halves of fake-quant pairs pass their (already fake-quantized) input on.
  for (Step& s : steps_) {
    if (s.node.op != "DequantizeLinear") continue;
    int producer = g.producer(s.node.inputs[0]);
    if (producer >= 0 && is_fake_quant_pair(g, g.nodes[static_cast<size_t>(producer)]))
      s.run = identity;
  }
  for (const ir::Value& out : g.outputs) {
    if (!slots.count(out.name))
      fail("torch backend: graph output '{}' is never produced", out.name);
    output_slots_.push_back(slot(out.name));
  }
  // Free intermediate activations after their last reader (autograd keeps what it needs).
  std::set<int> keep(output_slots_.begin(), output_slots_.end());
  for (const auto& [s, step] : last_use)
    if (!fixed_[static_cast<size_t>(s)].defined() && !keep.count(s))
      steps_[step].release.push_back(s);
}

at::Tensor TorchGraph::prepare_input(const at::Tensor& x) const {
  at::Tensor v = x.to(options_.device);
  return options_.channels_last ? with_channels_last_strides(v) : v;
}

std::vector<at::Tensor> TorchGraph::forward(const std::vector<at::Tensor>& inputs) {
  if (inputs.size() != input_slots_.size())
    fail("torch backend: graph has {} inputs, got {}", input_slots_.size(), inputs.size());
  std::vector<at::Tensor> env = fixed_;
  for (size_t i = 0; i < inputs.size(); ++i) {
    const ir::Value& want = inputs_[i];
    const at::Tensor& x = inputs[i];
    if (!x.defined()) fail("torch backend: input '{}' is undefined", want.name);
    if (to_ir_dtype(x.scalar_type()) != want.dtype)
      fail("torch backend: input '{}' has dtype {}, expected {}", want.name,
           ir::dtype_name(to_ir_dtype(x.scalar_type())), ir::dtype_name(want.dtype));
    if (want.has_shape) {
      bool ok = static_cast<size_t>(x.dim()) == want.shape.size();
      for (size_t d = 0; ok && d < want.shape.size(); ++d)
        ok = want.shape[d] < 0 || want.shape[d] == x.size(static_cast<int64_t>(d));
      if (!ok)
        fail("torch backend: input '{}' has shape {}, expected {}", want.name,
             ir::shape_str(x.sizes().vec()), ir::shape_str(want.shape));
    }
    env[static_cast<size_t>(input_slots_[i])] = prepare_input(x);
  }
  for (const Step& s : steps_) {
    OpContext c{s.node, training_, {}, {}, s.in_place};
    c.in.reserve(s.inputs.size());
    for (int i : s.inputs) c.in.push_back(i < 0 ? at::Tensor() : env[static_cast<size_t>(i)]);
    for (int o : s.outputs) c.wanted.push_back(o >= 0);
    std::vector<at::Tensor> out = options_.around_step ? options_.around_step(c, s.run) : s.run(c);
    for (size_t i = 0; i < s.outputs.size(); ++i) {
      if (s.outputs[i] < 0) continue;
      if (i >= out.size() || !out[i].defined())
        fail("torch backend: node '{}' ({}) did not produce output {}", s.node.name, s.node.op, i);
      if (options_.channels_last) out[i] = with_channels_last_strides(out[i]);
      env[static_cast<size_t>(s.outputs[i])] = std::move(out[i]);
    }
    for (int r : s.release) env[static_cast<size_t>(r)] = at::Tensor();
  }
  std::vector<at::Tensor> outputs;
  for (int o : output_slots_) outputs.push_back(env[static_cast<size_t>(o)]);
  return outputs;
}

at::Tensor TorchGraph::forward(const at::Tensor& input) {
  return forward(std::vector<at::Tensor>{input}).at(0);
}

std::vector<at::Tensor> TorchGraph::parameter_tensors() const {
  std::vector<at::Tensor> out;
  for (const NamedTensor& p : parameters_) out.push_back(p.tensor);
  return out;
}

std::vector<NamedTensor> TorchGraph::state() const {
  std::vector<NamedTensor> out = parameters_;
  out.insert(out.end(), buffers_.begin(), buffers_.end());
  return out;
}

void TorchGraph::write_back(ir::Graph& g) const {
  for (const NamedTensor& t : state()) {
    auto it = g.initializers.find(t.name);
    if (it == g.initializers.end()) fail("write_back: graph has no initializer '{}'", t.name);
    ir::Tensor value = to_ir(t.tensor);
    if (value.shape() != it->second.shape())
      fail("write_back: initializer '{}' has shape {}, trained tensor {}", t.name,
           ir::shape_str(it->second.shape()), ir::shape_str(value.shape()));
    it->second = value;
  }
}

void TorchGraph::load_from(const ir::Graph& g) {
  at::NoGradGuard no_grad;
  for (const NamedTensor& t : state()) {
    const ir::Tensor* src = g.initializer(t.name);
    if (!src) fail("load_from: graph has no initializer '{}'", t.name);
    if (src->shape() != t.tensor.sizes().vec())
      fail("load_from: initializer '{}' has shape {}, expected {}", t.name,
           ir::shape_str(src->shape()), ir::shape_str(t.tensor.sizes().vec()));
    t.tensor.copy_(to_torch(*src));
  }
}

}  // namespace qcv::train
