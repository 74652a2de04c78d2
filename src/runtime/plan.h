// The execution plan of one input-shape signature: values (where each tensor lives and in which
// layout) and steps (each owning a oneDNN primitive or a reference kernel), run in order.
#pragma once
#include <functional>
#include <memory>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>
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
  dnnl::memory mem;       // bound in Plan::finalize (arena/constant) or per run (inputs)
  ir::Tensor host;        // Constant and Host values; GraphInput values per run
  int alias_of = -1;      // shares the bytes of this value (views, in-place steps)
  int input_index = -1;   // GraphInput: index into the session inputs
};

class Plan;

// One unit of work. reads/writes name plan values, for lifetimes and memory planning.
class Step {
 public:
  virtual ~Step() = default;
  virtual void bind(Plan& plan, const dnnl::memory& scratchpad) = 0;
  virtual void execute(Plan& plan, dnnl::stream& stream) = 0;
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

  int root(int v) const;
  PlanValue& value(int v) { return values.at(v); }
  // The memory of value v, valid after finalize / input binding.
  const dnnl::memory& mem(int v) const { return values.at(v).mem; }

  // Decides in-place aliasing, plans the arena, binds every primitive's arguments.
  void finalize(size_t scratchpad_bytes);
  // Binds feeds (already checked), runs every step, returns the outputs as plain tensors.
  std::vector<ir::Tensor> run(const std::vector<const ir::Tensor*>& feeds, dnnl::stream& stream);

  size_t arena_bytes() const { return arena_bytes_; }
  size_t scratchpad_bytes() const { return scratchpad_bytes_; }
  // One line per step, for debugging and tests.
  std::string describe() const;

 private:
  void decide_inplace();
  std::shared_ptr<uint8_t> arena_, scratchpad_;
  size_t arena_bytes_ = 0, scratchpad_bytes_ = 0;
};

}  // namespace qcv::runtime
