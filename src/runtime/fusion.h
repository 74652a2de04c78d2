// Which nodes run inside another node's primitive: activations and residual Adds as post-ops of
// the Conv/Gemm/binary that produces their input, and a Flatten folded into the Gemm it feeds.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>
#include <optional>
#include <string>
#include <vector>

#include "ir/ir.h"

namespace qcv::runtime {

// One oneDNN eltwise operation (post-op or standalone primitive).
struct EltOp {
  dnnl::algorithm alg;
  float alpha = 0.f, beta = 0.f;
};

// The eltwise operations computing an activation node (HardSigmoid is linear then clip), or
// nullopt when the node is not an activation oneDNN can compute (e.g. Clip with runtime bounds).
std::optional<std::vector<EltOp>> activation_ops(const ir::Node& node, const ir::Graph& g);

// x * HardSigmoid(x) with HardSwish's constants (alpha 1/6, beta 1/2), as opset-13 exporters
// write HardSwish: the HardSigmoid and Mul reading `x` (x's only two readers), or nullopt.
struct HardSwishPair {
  int hard_sigmoid = -1, mul = -1;
};
std::optional<HardSwishPair> hard_swish_pair(const ir::Graph& g, const std::string& x);

// Elu, LeakyRelu, Selu, Tanh (compile_math.cpp, family math): activation_ops includes them.
std::optional<std::vector<EltOp>> math_activation_ops(const ir::Node& node, const ir::Graph& g);

struct PostOp {
  bool is_sum = false;  // accumulate into the destination (residual Add); else eltwise
  EltOp eltwise;
};

// A node and the nodes it absorbs. `output` is the value the whole chain produces.
struct FusedChain {
  std::vector<PostOp> post_ops;
  std::vector<int> absorbed;  // node indices, in execution order
  std::string output;
  std::string sum_operand;  // the other input of the fused Add, when there is one
};

struct FusionPlan {
  std::vector<FusedChain> chains;       // per node
  std::vector<int> absorbed_by;         // per node: anchor node index, or -1
  std::vector<bool> flatten_into_gemm;  // Flatten nodes whose Gemm reads their 4-D input
};

// Gemm nodes that run as a oneDNN inner product (constant weights, vector bias, no transA).
bool gemm_as_inner_product(const ir::Node& node, const ir::Graph& g);

// Expects a shape-inferred graph in topological order.
FusionPlan plan_fusion(const ir::Graph& g);

// The erf form of Gelu that exporters write for opsets without a Gelu op:
// x * 0.5 * (1 + Erf(x / sqrt(2))) (Div by sqrt(2) or Mul by 1/sqrt(2); the Muls by x and 0.5
// in either order or as x * 0.5 computed beside). Defined in compile_math.cpp.
struct GeluMatch {
  std::string x, output;  // the chain's input and final output
  std::vector<int> nodes;  // every node of the chain, in graph order; empty: no match
};
// The chain whose Erf is node `erf`, if it is one.
GeluMatch match_gelu(const ir::Graph& g, int erf);
// Makes each Gelu chain's Erf the anchor that absorbs the chain's other nodes (also those before
// it); the chain's final Mul gives up the activations it had absorbed.
void mark_gelu_chains(const ir::Graph& g, FusionPlan& f);

// Reorders nodes (still topologically) so that for each residual Add the branch computed by a
// Conv runs last: the Add's other input then exists when that Conv is built, and the Add can be
// its sum post-op (a QDQ ResNet's downsample branch often comes after the main branch).
void order_for_residual_fusion(ir::Graph& g);

}  // namespace qcv::runtime
