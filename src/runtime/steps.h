// The two kinds of plan steps: oneDNN primitives (one or more calls) and reference kernels.
#pragma once
#include <oneapi/dnnl/dnnl.hpp>
#include <unordered_map>
#include <utility>

#include "runtime/plan.h"

namespace qcv::runtime {

// One primitive execution: arguments are plan values (bound late) or fixed memories (weights).
struct PrimitiveCall {
  dnnl::primitive primitive;
  std::vector<std::pair<int, int>> value_args;  // DNNL_ARG_*, plan value
  std::vector<std::pair<int, dnnl::memory>> fixed_args;
  dnnl::memory::desc scratchpad_md;
  std::string impl;  // oneDNN's implementation name ("brgconv:avx512_core", "ref:any", ...)
};

class PrimitiveStep : public Step {
 public:
  std::vector<PrimitiveCall> calls;
  int dst_value = -1;  // the value accumulate_src is copied into when not computed in place

  void prepare(const Plan& plan) override;
  void bind(const Plan& plan, ExecContext& ctx, size_t index) const override;
  void execute(const Plan& plan, ExecContext& ctx, size_t index) const override;

 private:
  dnnl::reorder accumulate_copy_;  // its arguments follow the calls' in the context
  bool copy_before_ = false;
};

// Runs a node with qcv::ref::run_node on plain tensors, converting layouts around it.
class RefStep : public Step {
 public:
  explicit RefStep(ir::Node node) : node_(std::move(node)) {}
  std::vector<int> inputs;  // -1 for an omitted optional input
  std::vector<int> outputs;

  void bind(const Plan&, ExecContext&, size_t) const override {}
  void execute(const Plan& plan, ExecContext& ctx, size_t index) const override;
  const ir::Node& node() const { return node_; }

 private:
  ir::Node node_;
};

// A plain copy of a value as an ir::Tensor (reorders blocked layouts to row-major).
ir::Tensor read_value(const Plan& plan, ExecContext& ctx, int v);

}  // namespace qcv::runtime
