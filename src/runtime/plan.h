// The execution plan of one input-shape signature: values (where each tensor lives and in which
// layout) and steps (each owning a oneDNN primitive or a reference kernel), run in order.
// A finalized Plan is immutable: everything a run writes (arena, scratchpad, memory objects,
// primitive arguments, stream) lives in an ExecContext, so that several threads can run one
// Plan at once, each with its own context.
#pragma once
#include <functional>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
#include <unordered_map>
#include <vector>

#include "ir/ir.h"

namespace qcv::runtime {

// Where a value's bytes live.
enum class ValueKind {
  Arena,       // activation memory planned in the plan's arena
  GraphInput,  // the caller's feed, bound per run (never written)
  Constant,    // an initializer (never written)
  Host,        // an ir::Tensor produced by a reference step (non-float or unknown shape)
};

struct PlanValue {
  std::string name;
  ir::DType dtype = ir::DType::Float32;
  ir::Shape shape;
  ValueKind kind = ValueKind::Arena;
  dnnl::memory::desc md;  // layout; zero for Host values
  ir::Tensor host;        // Constant values
  int alias_of = -1;      // shares the bytes of this value (views, in-place steps)
  int input_index = -1;   // GraphInput: index into the session inputs
};

class Plan;

// What one run of a plan writes. Made by Plan::make_context; one context serves one run at a time.
struct ExecContext {
  std::shared_ptr<uint8_t> arena, scratchpad;
  std::vector<dnnl::memory> mem;  // per value: bound to the arena, a constant or (per run) a feed
  std::vector<ir::Tensor> host;   // per value: feeds and reference results, during a run
  // Per step: the argument map of each of its primitive calls (built by Step::bind).
  std::vector<std::vector<std::unordered_map<int, dnnl::memory>>> args;
  dnnl::stream stream;
};

// One unit of work. reads/writes name plan values, for lifetimes and memory planning.
class Step {
 public:
  virtual ~Step() = default;
  // Once, when the plan is finalized (aliasing decided).
  virtual void prepare(const Plan&) {}
  // Per context: fills ctx.args[index] from ctx's memories.
  virtual void bind(const Plan& plan, ExecContext& ctx, size_t index) const = 0;
  virtual void execute(const Plan& plan, ExecContext& ctx, size_t index) const = 0;
  std::string label;  // node name and what runs it, e.g. "conv1 (Conv: brgconv:avx512_core)"
  std::vector<int> reads, writes;
  // When set, the step may write `inplace.second` over `inplace.first` if that is its last read.
  int inplace_src = -1, inplace_dst = -1;
  // When set, the destination must hold this value before the step runs (conv sum post-op).
  int accumulate_src = -1;
};

class Plan {
 public:
  std::vector<PlanValue> values;
  std::vector<std::unique_ptr<Step>> steps;
  std::vector<int> outputs;  // value per graph output
  dnnl::engine engine;
  // Values handed to `observer` during run, right after the step that computes them (step -1:
  // before the first; set by finalize), so that their buffers can be reused afterwards.
  struct Observation {
    std::string name;
    int value = -1;
    int step = -1;
  };
  std::vector<Observation> observations;
  std::function<void(const std::string&, const ir::Tensor&)> observer;

  // The value whose bytes v shares (v itself when it owns them). O(1) once finalized.
  int root(int v) const;
  const PlanValue& value(int v) const { return values.at(v); }

  // Decides in-place aliasing and plans the arena; the plan is read-only afterwards.
  void finalize(size_t scratchpad_bytes);
  // A fresh context: its own arena and scratchpad, every primitive's arguments bound to them.
  std::unique_ptr<ExecContext> make_context() const;
  // Binds feeds (already checked), runs every step, returns the outputs as plain tensors.
  std::vector<ir::Tensor> run(ExecContext& ctx, const std::vector<const ir::Tensor*>& feeds) const;

  size_t arena_bytes() const { return arena_bytes_; }
  size_t scratchpad_bytes() const { return scratchpad_bytes_; }
  // One line per step (kernel, node, operands with dtype, shape and layout), for `qcv bench
  // --plan`, debugging and tests.
  std::string describe() const;
  // The labels of the steps that run a reference kernel: qcv's (RefStep) or oneDNN's ("ref:...").
  std::vector<std::string> reference_steps() const;

 private:
  void decide_inplace();
  std::vector<int> roots_;           // root of each value, set by finalize
  std::vector<size_t> offsets_;      // arena offset of each Arena root
  std::vector<int> input_values_;    // values bound to a feed per run
  size_t arena_bytes_ = 0, scratchpad_bytes_ = 0;
};

}  // namespace qcv::runtime
