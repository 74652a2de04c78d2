// Graph passes. Each has one signature: bool pass(Graph&) returns whether it changed the graph;
// when nothing matches it leaves the graph untouched. optimize() orders them (see pipeline.cpp).
#pragma once
#include <optional>
#include <vector>

#include "ir/ir.h"

namespace qcv::passes {

// Removes Identity nodes and inference-mode Dropout (training_mode absent or constant false, mask
// unread), rewiring readers to their input. A graph output's name is kept by renaming the
// producer; an Identity from a graph input or initializer straight to a graph output stays.
bool remove_identity(ir::Graph& g);
// Folds Constant nodes into initializers and evaluates every node whose inputs are all constant
// with the reference kernels (never QuantizeLinear/DequantizeLinear: QDQ pairs stay). Shape of a
// value whose shape (or the start/end slice of it) is known becomes a constant, so the
// Shape->Gather->Unsqueeze->Concat->Reshape chains exporters emit fold away for a static batch.
// With a dynamic batch, a Reshape whose target is computed from its own input's shape (elements
// constant or "dimension i of the input" at position i) gets a constant target with 0 there; the
// target [N, -1] / [N, C] becomes Flatten(axis=1). The chain is then left to dead-code elimination.
bool fold_constants(ir::Graph& g);
// Folds BatchNormalization into the preceding Conv (with or without bias) or Gemm (transB 0/1, C
// absent, scalar or per-column) when the conv output has no other reader and is not a graph
// output, and weights, bias and BN parameters are float initializers; also when an activation
// follows the BN. Folded weights are new initializers (the originals may be shared).
bool fold_batch_norm(ir::Graph& g);
// Per-channel affine map of an inference BatchNormalization: y = x * factor + shift.
struct ChannelAffine {
  std::vector<double> factor, shift;
};
// The BN's affine map, or nullopt when its parameters are not constant float vectors of
// `channels` elements or it runs in training mode.
std::optional<ChannelAffine> batch_norm_affine(const ir::Graph& g, const ir::Node& bn,
                                               int64_t channels);
// Every inference BatchNormalization left on a 4-D tensor of known channels (no conv to fold
// into: ResNet v2's pre-activation BN) becomes a 1x1 depthwise Conv with weight factor and bias
// shift per channel: an op that quantizes as TFLite runs it (int8 weights, int32 bias).
bool batch_norm_to_depthwise_conv(ir::Graph& g);
// Removes nodes whose outputs nobody reads and initializers nobody uses.
bool eliminate_dead_code(ir::Graph& g);
// A constant-mode zero Pad of spatial axes only (Keras' ZeroPadding2D) whose readers are all Conv
// or AveragePool(count_include_pad=1) with explicit pads moves into their `pads`.
bool fold_pad_into_window(ir::Graph& g);
// Consecutive Transposes compose into one; an identity permutation is removed.
bool cancel_transposes(ir::Graph& g);

// The layout of a 4-D image input: NHWC when its shape is [N,H,W,C] with C in {1,3} and dim 1 not
// in {1,3}; NCHW otherwise (also for inputs that are not 4-D).
enum class InputLayout { NCHW, NHWC };
InputLayout detect_input_layout(const ir::Value& input);
// Graph input `index`, read by the model as NHWC, is fed NCHW from now on (same name): a Transpose
// goes in front, and canonicalize() cancels it against the model's own NHWC->NCHW Transpose.
void make_input_nchw(ir::Graph& g, size_t index);
// The inverse: an NCHW input gets an NHWC interface (a written model keeps its file's layout).
void make_input_nhwc(ir::Graph& g, size_t index);

// What import does to every model (onnx::load): constant folding, the layout passes and dead-code
// elimination, to a fixed point. BatchNormalization stays (training and QAT may want it).
void canonicalize(ir::Graph& g);

// The standard pipeline, run to a fixed point; leaves shapes inferred.
void optimize(ir::Graph& g);

}  // namespace qcv::passes
