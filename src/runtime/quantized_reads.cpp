// The squeeze-excite Mul of a float tensor that is also quantized for another reader (ONNX
// Runtime's placement after MobileNetV3's HardSwish: h -> Q -> DQ -> GlobalAveragePool, and
// h -> Mul(h, gate) -> Q) reads the quantized copy instead, DQ(Q(h)), so that the Mul runs on
// int8 numbers (compile_qscale.cpp) and h itself is computed straight into int8
// (compile_qlut.cpp). This is the one place the runtime departs from the graph's arithmetic:
// h is rounded to its own quantization step before the product, which moves the Mul's
// quantized result by at most one step (an int8 engine that stores h once does the same).
#include "runtime/qdq.h"

namespace qcv::runtime {

namespace {

// A [N or 1, C, 1, ...] gate beside a [N, C, ...] tensor.
bool per_channel_gate(const ir::Shape& x, const ir::Shape& gate) {
  if (x.size() < 3 || gate.size() != x.size() || gate[1] != x[1]) return false;
  if (gate[0] != 1 && gate[0] != x[0]) return false;
  for (size_t d = 2; d < gate.size(); ++d)
    if (gate[d] != 1) return false;
  return true;
}

}  // namespace

bool read_quantized_copies(ir::Graph& g) {
  std::vector<ir::Node> added;
  for (ir::Node& m : g.nodes) {
    if (m.op != "Mul" || m.inputs.size() != 2 || m.outputs.size() != 1) continue;
    std::vector<int> readers = g.consumers(m.outputs[0]);
    if (g.is_graph_output(m.outputs[0]) || readers.size() != 1 ||
        !quantize_node_params(g, g.nodes[readers[0]]))
      continue;
    for (int k = 0; k < 2; ++k) {
      const std::string h = m.inputs[k];
      auto th = g.value_type(h), tg = g.value_type(m.inputs[1 - k]);
      if (!th || !tg || !th->has_shape || !tg->has_shape || th->dtype != ir::DType::Float32 ||
          !per_channel_gate(th->shape, tg->shape))
        continue;
      const int p = g.producer(h);
      if (p < 0 || g.nodes[p].op == "DequantizeLinear" || g.is_graph_output(h)) continue;
      int q = -1;
      for (int c : g.consumers(h))
        if (g.nodes[c].op == "QuantizeLinear" && quantize_node_params(g, g.nodes[c])) q = c;
      if (q < 0) continue;
      ir::Node dq;
      dq.name = g.unique_name(h + "_quantized_read_" + std::to_string(added.size()));
      dq.op = "DequantizeLinear";
      dq.inputs = {g.nodes[q].outputs[0], g.nodes[q].input(1), g.nodes[q].input(2)};
      if (dq.inputs.back().empty()) dq.inputs.pop_back();
      dq.outputs = {dq.name};
      m.inputs[k] = dq.name;
      added.push_back(std::move(dq));
      break;
    }
  }
  if (added.empty()) return false;
  for (ir::Node& n : added) g.nodes.push_back(std::move(n));
  g.sort();
  return true;
}

}  // namespace qcv::runtime
