// Conv1 -> activation -> Conv2 pairs: what cross-layer equalization (equalize.cpp) scales and
// high-bias absorption (high_bias.cpp) shifts. One matcher, so both passes agree on what a pair is.
#pragma once
#include <optional>
#include <set>
#include <string>

#include "ir/ir.h"

namespace qcv::quant {

// conv1 -> [Relu | Clip(0, M) | Relu -> Min(per-channel bound) | none] -> conv2, each value read
// only by the next node; both weights float initializers, conv1's bias absent or one; conv2 plain
// (group 1) or depthwise over conv1's output channels.
struct ConvPair {
  int conv1 = -1, conv2 = -1;
  int relu = -1, clip = -1, min = -1;  // the activation nodes present
  float clip_max = 0;                  // Clip's upper bound (+inf when it has none)
  bool depthwise = false;
};

// The pair starting at Conv node `i`, or nullopt; `why` says why a conv -> act -> conv chain is
// not a pair (left empty when conv1's output does not lead to a conv at all).
std::optional<ConvPair> match_conv_pair(const ir::Graph& g, int i, std::string& why);

// The per-channel bound of a pair's Min (the input that is not the Relu's output).
size_t min_bound_input(const ir::Graph& g, const ConvPair& p);

// Input k of a node as an initializer the pass owns: the first write copies it under a new name
// (`name + suffix`), so that a shared or original initializer is never changed in place.
class OwnedInitializers {
 public:
  OwnedInitializers(ir::Graph& g, std::string suffix) : g_(g), suffix_(std::move(suffix)) {}
  ir::Tensor& own(ir::Node& n, size_t k);

 private:
  ir::Graph& g_;
  std::string suffix_;
  std::set<std::string> owned_;
};

}  // namespace qcv::quant
