// TorchGraph: an ir::Graph executed with LibTorch ops and autograd. Float initializers that are
// weights (Conv W/B, Gemm A/B/C, MatMul operands, BN scale/bias, fake-quantized weights) become
// trainable parameters; BN running mean/var become buffers updated in train mode with the node's
// momentum; every other initializer is a constant. write_back() copies parameters and buffers
// into a graph's initializers, so that export and the runtime see exactly what was trained.
#pragma once
#include <ATen/ATen.h>

#include <functional>
#include <set>
#include <string>
#include <vector>

#include "ir/ir.h"
#include "train/torch_ops.h"

namespace qcv::train {

struct TorchGraphOptions {
  // Keep 4-d activations and conv weights channels-last: NCHW depthwise convolutions are ~100x
  // slower in LibTorch's CPU kernels.
  bool channels_last = true;
  at::Device device = at::kCPU;
  // QAT with learned ranges (LSQ): the scales of fake-quant pairs become trainable parameters.
  bool trainable_quant_scales = false;
  // Initializers kept as buffers (checkpointed, written back, exported) though no op trains them:
  // QAT scales and zero points that range observers update in place (qat_observers.h).
  std::set<std::string> extra_buffers;
  // Wraps every node's execution (QAT range observers, BN folding during QAT): gets the node's
  // context and executor and returns its outputs. Unset: the executor runs as is.
  std::function<std::vector<at::Tensor>(OpContext&, OpExecutor)> around_step;
};

// A named tensor of the module's state (parameter or buffer), by initializer name.
struct NamedTensor {
  std::string name;
  at::Tensor tensor;
};

class TorchGraph {
 public:
  explicit TorchGraph(const ir::Graph& graph, TorchGraphOptions options = {});

  // Runs the graph: inputs in graph-input order, outputs in graph-output order.
  std::vector<at::Tensor> forward(const std::vector<at::Tensor>& inputs);
  // One input, first output: the classifier case.
  at::Tensor forward(const at::Tensor& input);

  void train(bool on = true) { training_ = on; }
  void eval() { training_ = false; }
  bool is_training() const { return training_; }

  const std::vector<NamedTensor>& parameters() const { return parameters_; }
  const std::vector<NamedTensor>& buffers() const { return buffers_; }
  std::vector<at::Tensor> parameter_tensors() const;
  // Parameters and buffers together (what EMA averages and checkpoints hold).
  std::vector<NamedTensor> state() const;

  // Copies parameters and buffers (row-major, float32, on the CPU) into g's initializers of the
  // same names. Throws if g lacks one or its shape differs.
  void write_back(ir::Graph& g) const;
  // Loads the values of the same-named initializers of g into the parameters and buffers.
  void load_from(const ir::Graph& g);

  const std::vector<ir::Value>& graph_inputs() const { return inputs_; }
  const at::Device& device() const { return options_.device; }
  // Converts a host input to the layout and device forward() works in.
  at::Tensor prepare_input(const at::Tensor& x) const;

 private:
  struct Step {
    ir::Node node;
    OpExecutor run = nullptr;
    std::vector<int> inputs;   // slot per input, -1 if absent
    std::vector<int> outputs;  // slot per output, -1 if omitted
    std::vector<int> release;  // slots dead after this step
    bool in_place = false;     // see OpContext::may_overwrite_input
  };
  void compile(const ir::Graph& g);

  TorchGraphOptions options_;
  bool training_ = true;
  std::vector<ir::Value> inputs_;
  std::vector<std::string> slot_names_;
  std::vector<at::Tensor> fixed_;  // per slot: parameters, buffers and constants (else undefined)
  std::vector<int> input_slots_, output_slots_;
  std::vector<Step> steps_;
  std::vector<NamedTensor> parameters_, buffers_;
};

}  // namespace qcv::train
