// runtime::Session: compiles an IR graph into an execution plan over oneDNN primitives (FP32, and
// INT8 for QDQ graphs later) and runs it. Lifecycle: create (passes, fusion, primitive choice) ->
// reshape (per input shape, cached) -> execute (memory bound per run).
#pragma once
#include <functional>
#include <map>
#include <memory>
#include <string>
#include <vector>

#include "ir/ir.h"

namespace qcv::runtime {

// Sees an intermediate value as soon as it is computed (plain NCHW, before its buffer is reused).
using ValueObserver = std::function<void(const std::string& name, const ir::Tensor& value)>;

struct SessionOptions {
  SessionOptions(int threads_ = 0, bool optimize_ = true)  // NOLINT: {threads, optimize} reads well
      : threads(threads_), optimize(optimize_) {}
  int threads = 0;       // the most threads a run uses; 0: OMP_NUM_THREADS, else all cores
  // Time the runs and use fewer threads while that is faster (a core busy with another
  // process); see runtime/thread_policy.h. Off when false or when OMP_DYNAMIC is set.
  bool adapt_threads = true;
  bool optimize = true;  // run passes::optimize before compiling
  // Values handed to `observer` during each run (calibration statistics without keeping every
  // activation of a batch alive). An observed value is never fused away: a Conv output read by a
  // Relu is computed as its own value. Unknown names fail at construction.
  std::vector<std::string> observe;
  ValueObserver observer;
  // A batch of N >= 2 with T >= 2 threads runs as min(T, N) slices at once, each on its own
  // thread (runtime/batch_split.h), when the graph never mixes images and no observer is set.
  bool split_batch = true;
};

class Session {
 public:
  // Throws qcv::Error naming the node for anything it cannot run.
  explicit Session(ir::Graph graph, SessionOptions options = {});
  ~Session();
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;

  const std::vector<ir::Value>& inputs() const;
  const std::vector<ir::Value>& outputs() const;

  // Runs the graph. Throws qcv::Error on a missing/unknown input or a wrong dtype/shape.
  // Dimension 0 of every input is the batch: any size runs (one plan is compiled and cached per
  // input-shape signature; a batch split into slices uses the plans of the slices' sizes). Several threads may call run on one Session at once: each call
  // takes its own execution context (arena, scratchpad, arguments) from a pool, making one when
  // all are busy. A SessionOptions::observer is then called from those threads concurrently.
  std::vector<ir::Tensor> run(const std::map<std::string, ir::Tensor>& feeds);

  // The team size runs use now (SessionOptions::threads or fewer, see adapt_threads).
  int threads_in_use() const;

  // Peak bytes of activation memory of the last run (its plan's, times the slices it ran as).
  size_t peak_activation_bytes() const;
  // Bytes of weights the Session holds: the copies reordered for its primitives, and the
  // initializers it still keeps (a weight read only by its Conv/Gemm primitive is kept once).
  size_t weight_bytes() const;
  // The steps of the last planned shape, one per line: node, primitive implementation, output
  // value, shape and layout (for debugging and tests).
  // Ends with the plan_warning line, if any.
  std::string describe_plan() const;
  // For a quantized (QDQ) model whose last planned shape runs any reference kernel (qcv's or
  // oneDNN's "ref:" implementations): one line
  // "WARNING: ..." naming those steps; otherwise empty.
  std::string plan_warning() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qcv::runtime
