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
  std::unordered_map<int, dnnl::memory> args;  // built by bind
};

class PrimitiveStep : public Step {
 public:
  std::vector<PrimitiveCall> calls;
  int dst_value = -1;  // the value accumulate_src is copied into when not computed in place

  void bind(Plan& plan, const dnnl::memory& scratchpad) override;
  void execute(Plan& plan, dnnl::stream& stream) override;

 private:
  dnnl::reorder accumulate_copy_;
  std::unordered_map<int, dnnl::memory> copy_args_;
  bool copy_before_ = false;
};

// Runs a node with qcv::ref::run_node on plain tensors, converting layouts around it.
class RefStep : public Step {
 public:
  explicit RefStep(ir::Node node) : node_(std::move(node)) {}
  std::vector<int> inputs;  // -1 for an omitted optional input
  std::vector<int> outputs;

  void bind(Plan& plan, const dnnl::memory& scratchpad) override;
  void execute(Plan& plan, dnnl::stream& stream) override;

 private:
  ir::Node node_;
};

// A plain copy of a value as an ir::Tensor (reorders blocked layouts to row-major).
ir::Tensor read_value(Plan& plan, int v, dnnl::stream& stream);

}  // namespace qcv::runtime
