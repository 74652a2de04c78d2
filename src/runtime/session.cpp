#include "runtime/session.h"

#include <malloc.h>
#include <omp.h>

#include <chrono>
#include <cstdlib>
#include <map>
#include <mutex>
#include <exception>
#include <set>
#include <thread>

#include "passes/passes.h"
#include "runtime/batch_split.h"
#include "runtime/compiler.h"
#include "runtime/dnnl_util.h"
#include "runtime/fusion.h"
#include "runtime/plan.h"
#include "runtime/qdq.h"
#include "runtime/thread_policy.h"

namespace qcv::runtime {

struct Session::Impl {
  ir::Graph graph;  // optimized, shapes inferred, with the declared (possibly dynamic) inputs
  SessionOptions options;
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  WeightCache weights;
  // A compiled plan and its idle execution contexts: a run takes one (or makes one when every
  // context is busy with another caller) and gives it back, so that concurrent runs never
  // share an arena, a scratchpad or a memory object.
  struct PlanSlot {
    std::unique_ptr<Plan> plan;
    std::vector<std::unique_ptr<ExecContext>> idle;
  };
  // By team size (oneDNN fixes a primitive's thread count when it is created) and input shapes.
  std::map<std::pair<int, std::vector<ir::Shape>>, PlanSlot> plans;
  ThreadChooser threads{ThreadSettings{}};
  std::vector<ir::Value> observe_only;  // observed values that are not graph outputs
  const Plan* last = nullptr;
  std::set<std::string> released;  // initializers whose only copy is in `weights`
  bool quantized = false;          // the model has QuantizeLinear/DequantizeLinear nodes
  bool splittable = false;         // batch_is_independent(graph), decided once
  int last_slices = 1;             // slices the last run's batch ran as
  // Guards plans, last, weights, released and graph.initializers (compiling a new shape).
  mutable std::mutex mu;

  ThreadSettings settings;  // the most threads, adaptive or not (thread_settings)
  // Debian's oneDNN uses OpenMP: its team size is the calling thread's omp_set_num_threads, read
  // when a primitive is created and when it runs.
  static void set_threads(int n) { omp_set_num_threads(n); }

  // One run of the plan of these feeds' shapes on `team` threads; team 0: the size the
  // ThreadChooser picks now, and the run's duration is recorded for it.
  std::vector<ir::Tensor> run_plan(const std::vector<const ir::Tensor*>& ordered, int team) {
    std::vector<ir::Shape> shapes;
    for (const ir::Tensor* t : ordered) shapes.push_back(t->shape());
    const bool adaptive = team == 0;
    PlanSlot* slot = nullptr;
    std::unique_ptr<ExecContext> ctx;
    {
      std::lock_guard<std::mutex> lock(mu);
      if (adaptive) team = threads.next();
      set_threads(team);
      slot = &plan_for(shapes, team);
      last = slot->plan.get();
      if (!slot->idle.empty()) {
        ctx = std::move(slot->idle.back());
        slot->idle.pop_back();
      }
    }
    // Plans are never removed, so slot stays valid; a new context is made outside the lock.
    if (!ctx) ctx = slot->plan->make_context();
    struct GiveBack {  // the context returns to the pool on success and on a throw alike
      Impl& impl;
      PlanSlot& slot;
      std::unique_ptr<ExecContext>& ctx;
      ~GiveBack() {
        std::lock_guard<std::mutex> lock(impl.mu);
        slot.idle.push_back(std::move(ctx));
      }
    } give_back{*this, *slot, ctx};
    const auto t0 = std::chrono::steady_clock::now();
    std::vector<ir::Tensor> out = slot->plan->run(*ctx, ordered);
    if (adaptive) {
      const std::chrono::duration<double> took = std::chrono::steady_clock::now() - t0;
      std::lock_guard<std::mutex> lock(mu);
      threads.record(team, took.count());
    }
    return out;
  }

  // The batch in `slices` parts run at once, slice k on its own thread with its share of the
  // threads; the outputs joined along the batch.
  std::vector<ir::Tensor> run_slices(const std::vector<const ir::Tensor*>& ordered, int slices) {
    const int64_t n = ordered[0]->dim(0);
    const int total = settings.max_threads;
    std::vector<std::vector<ir::Tensor>> feeds(slices), outs(slices);
    std::vector<std::exception_ptr> errors(slices);
    int64_t begin = 0;
    for (int k = 0; k < slices; ++k) {
      const int64_t count = n / slices + (k < n % slices ? 1 : 0);
      // Views of the caller's rows, alive through this call: a copy per run (4.8 MB a slice of
      // 8 images at 224 px) came from mmap whenever glibc's malloc state said so, and then
      // faulted all its pages in again on every run (MobileNetV2 INT8, batch 16: +20% time).
      for (const ir::Tensor* t : ordered) feeds[k].push_back(batch_rows_view(*t, begin, count));
      begin += count;
    }
    auto work = [&](int k) {
      try {
        std::vector<const ir::Tensor*> part;
        for (const ir::Tensor& t : feeds[k]) part.push_back(&t);
        outs[k] = run_plan(part, total / slices + (k < total % slices ? 1 : 0));
      } catch (...) {
        errors[k] = std::current_exception();
      }
    };
    if (total <= slices) {
      // One thread per slice: the OpenMP team of the caller (kept between runs, waiting as
      // OMP_WAIT_POLICY says) runs them; oneDNN's regions nested inside run on one thread.
#pragma omp parallel for num_threads(slices) schedule(static, 1)
      for (int k = 0; k < slices; ++k) work(k);
    } else {
      std::vector<std::thread> pool;
      for (int k = 0; k + 1 < slices; ++k) pool.emplace_back(work, k);
      work(slices - 1);
      for (std::thread& t : pool) t.join();
    }
    set_threads(settings.max_threads);  // the caller's team size back after its slice
    for (const std::exception_ptr& e : errors)
      if (e) std::rethrow_exception(e);
    std::vector<ir::Tensor> joined;
    for (size_t o = 0; o < outs[0].size(); ++o) {
      std::vector<ir::Tensor> parts;
      for (int k = 0; k < slices; ++k) parts.push_back(outs[k][o]);
      joined.push_back(join_rows(parts));
    }
    return joined;
  }

  // With mu held; the calling thread's team size is already `team`.
  PlanSlot& plan_for(const std::vector<ir::Shape>& shapes, int team) {
    auto key = std::make_pair(team, shapes);
    auto it = plans.find(key);
    if (it != plans.end()) return it->second;
    std::unique_ptr<Plan> plan = compile(shapes);
    release_weights();  // after compile's graph copy is gone, so that the bytes are freed
    PlanSlot& slot = plans[key];
    slot.idle.push_back(plan->make_context());
    slot.plan = std::move(plan);
    return slot;
  }

  std::unique_ptr<Plan> compile(const std::vector<ir::Shape>& shapes) {
    ir::Graph g = graph;
    // Weights released after an earlier plan come back row-major while this one compiles.
    for (const std::string& name : released) g.initializers[name] = weights.restore(name, engine);
    // Observed values as outputs while compiling, so that no pass or fusion removes them.
    g.outputs.insert(g.outputs.end(), observe_only.begin(), observe_only.end());
    for (size_t k = 0; k < shapes.size(); ++k) {
      g.inputs[k].shape = shapes[k];
      g.inputs[k].has_shape = true;
    }
    ir::infer_shapes(g);
    // With concrete shapes, exporters' Shape->Gather->Concat->Reshape chains become constants.
    if (options.optimize && passes::fold_constants(g)) {
      passes::eliminate_dead_code(g);
      ir::infer_shapes(g);
    }
    order_for_residual_fusion(g);
    PlanBuilder builder(g, engine, weights);
    auto plan = builder.build(options.observe, observe_only.size());
    plan->observer = options.observer;
    return plan;
  }

  // Drops the IR tensor of every weight whose reordered copy in the cache holds it in full and
  // that only its primitive reads: the Session then keeps one copy of the weights, not two.
  void release_weights() {
    bool trim = false;
    const ir::Graph::Frozen frozen(graph);
    for (const auto& [name, source] : weights.sources()) {
      if (released.count(name) || !graph.initializer(name) || graph.is_graph_output(name)) continue;
      bool observed = false;
      for (const ir::Value& v : observe_only) observed = observed || v.name == name;
      std::vector<int> readers = graph.consumers(name);
      if (observed || readers.size() != 1 || graph.nodes[readers[0]].name != source.reader)
        continue;
      graph.initializers.erase(name);
      released.insert(name);
      trim = true;
    }
    // glibc keeps freed heap pages mapped: hand them back, or RSS would not show the saving.
    if (trim) malloc_trim(0);
  }

  // A quantized model is meant to run in integer kernels: a reference step there is slow (and
  // usually means a pattern the int8 builders missed), so it is named; so is a CPU on which the
  // int8 convolutions cannot run in integers (dnnl_util.h, int8_sums_exact).
  std::string reference_warning(const Plan& plan) const {
    if (!quantized) return "";
    std::string warning;
    if (!int8_sums_exact())
      warning = "WARNING: this CPU has no VNNI: int8 convolutions and matmuls run in FP32 on the "
                "dequantized values (oneDNN's int8 kernels without VNNI saturate 16-bit sums)";
    std::vector<std::string> refs = plan.reference_steps();
    if (refs.empty()) return warning;
    std::string names;
    for (const std::string& r : refs) names += (names.empty() ? "" : ", ") + r;
    return warning + (warning.empty() ? "" : "\n") + "WARNING: quantized (QDQ) model runs " +
           std::to_string(refs.size()) +
           " step(s) in reference kernels (qcv's or oneDNN's ref:): " + names;
  }

  void check_feeds(const std::map<std::string, ir::Tensor>& feeds,
                   std::vector<const ir::Tensor*>& ordered) const {
    for (const auto& [name, t] : feeds) {
      (void)t;
      if (!graph.input_value(name)) {
        std::string names;
        for (const ir::Value& in : graph.inputs)
          names += (names.empty() ? "'" : ", '") + in.name + "'";
        fail("Session::run: unknown input '{}' (the model's inputs: {})", name, names);
      }
    }
    for (const ir::Value& in : graph.inputs) {
      auto it = feeds.find(in.name);
      if (it == feeds.end()) fail("Session::run: input '{}' is missing", in.name);
      const ir::Tensor& t = it->second;
      if (t.dtype() != in.dtype)
        fail("Session::run: input '{}' must be {}, got {}", in.name, ir::dtype_name(in.dtype),
             ir::dtype_name(t.dtype()));
      if (in.has_shape) {
        bool ok = t.rank() == in.shape.size();
        // Dimension 0 is the batch: any size runs (a plan is compiled per shape).
        for (size_t d = 1; ok && d < in.shape.size(); ++d)
          ok = in.shape[d] < 0 || in.shape[d] == t.dim(d);
        if (!ok)
          fail("Session::run: input '{}' must have shape {}, got {}", in.name,
               ir::shape_str(in.shape), ir::shape_str(t.shape()));
      }
      if (t.numel() > 0 && !t.raw()) fail("Session::run: input '{}' has no data", in.name);
      ordered.push_back(&t);
    }
  }
};

Session::Session(ir::Graph graph, SessionOptions options) : impl_(std::make_unique<Impl>()) {
  impl_->options = options;
  const ThreadSettings ts =
      thread_settings(options.threads, options.adapt_threads, std::getenv("OMP_NUM_THREADS"),
                      std::getenv("OMP_DYNAMIC"), omp_get_num_procs());
  impl_->settings = ts;
  impl_->threads = ThreadChooser(ts);
  Impl::set_threads(ts.max_threads);
  for (const ir::Node& n : graph.nodes)
    impl_->quantized = impl_->quantized || n.op == "QuantizeLinear" || n.op == "DequantizeLinear";
  const size_t results = graph.outputs.size();
  if (!options.observe.empty()) {
    if (!options.observer) fail("Session: SessionOptions::observe is set but observer is not");
    for (const std::string& name : options.observe) {
      if (graph.is_graph_output(name)) continue;
      auto v = graph.value_type(name);
      graph.outputs.push_back(v ? *v : ir::make_value(name));
    }
  }
  if (options.optimize)
    passes::optimize(graph);
  else
    ir::infer_shapes(graph);
  // Bad quantization parameters fail here, naming the node, rather than giving wrong numbers.
  validate_qdq_nodes(graph);
  if (fold_weight_quantization(graph)) ir::infer_shapes(graph);
  if (read_quantized_copies(graph)) ir::infer_shapes(graph);
  for (size_t k = results; k < graph.outputs.size(); ++k) {
    const std::string& name = graph.outputs[k].name;
    if (graph.producer(name) < 0 && !graph.input_value(name) && !graph.initializer(name))
      fail("Session: observed value '{}' is not in the graph", name);
    impl_->observe_only.push_back(graph.outputs[k]);
  }
  graph.outputs.resize(results);
  impl_->graph = std::move(graph);
  // Decided before weights are released: shape inference of the copy needs them.
  impl_->splittable =
      options.split_batch && !options.observer && batch_is_independent(impl_->graph);
  // Compile the batch-1 plan now, so that anything the engine cannot run fails here.
  std::vector<ir::Shape> shapes;
  for (const ir::Value& in : impl_->graph.inputs) {
    if (!in.has_shape) return;
    ir::Shape s = in.shape;
    if (!s.empty() && s[0] < 0) s[0] = 1;
    for (int64_t d : s)
      if (d < 0) return;
    shapes.push_back(s);
  }
  impl_->last = impl_->plan_for(shapes, ts.max_threads).plan.get();
}

Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

const std::vector<ir::Value>& Session::inputs() const { return impl_->graph.inputs; }
const std::vector<ir::Value>& Session::outputs() const { return impl_->graph.outputs; }

std::vector<ir::Tensor> Session::run(const std::map<std::string, ir::Tensor>& feeds) {
  std::vector<const ir::Tensor*> ordered;
  impl_->check_feeds(feeds, ordered);
  int slices = 1;
  if (impl_->splittable && !ordered.empty()) {
    const int64_t n = ordered[0]->rank() ? ordered[0]->dim(0) : 0;
    bool same = true;  // every input carries the same batch
    for (const ir::Tensor* t : ordered) same = same && t->rank() > 0 && t->dim(0) == n;
    if (same) slices = batch_slices(n, impl_->settings.max_threads);
  }
  {
    std::lock_guard<std::mutex> lock(impl_->mu);
    impl_->last_slices = slices;
  }
  return slices > 1 ? impl_->run_slices(ordered, slices) : impl_->run_plan(ordered, 0);
}

int Session::threads_in_use() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->threads.current();
}

size_t Session::peak_activation_bytes() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  // A batch run in slices holds one context per slice at once.
  return impl_->last ? (impl_->last->arena_bytes() + impl_->last->scratchpad_bytes()) *
                           static_cast<size_t>(impl_->last_slices)
                     : 0;
}

size_t Session::weight_bytes() const {
  size_t n = impl_->weights.bytes();
  for (const auto& [name, t] : impl_->graph.initializers) n += t.nbytes();
  return n;
}

std::string Session::describe_plan() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  if (!impl_->last) return "";
  std::string warning = impl_->reference_warning(*impl_->last);
  return impl_->last->describe() + (warning.empty() ? "" : warning + "\n");
}

std::string Session::plan_warning() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->last ? impl_->reference_warning(*impl_->last) : "";
}

}  // namespace qcv::runtime
