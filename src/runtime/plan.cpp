#include "runtime/plan.h"

#include <algorithm>
#include <cstdlib>
#include <numeric>

#include "runtime/dnnl_util.h"
#include "runtime/memory_planner.h"
#include "runtime/steps.h"

namespace qcv::runtime {

int Plan::root(int v) const {
  if (roots_.size() == values.size()) return roots_.at(v);
  while (values.at(v).alias_of >= 0) v = values[v].alias_of;
  return v;
}

namespace {
// Last step index touching each value; graph outputs live to the end.
std::vector<int> last_uses(const Plan& p) {
  std::vector<int> last(p.values.size(), -1);
  for (size_t i = 0; i < p.steps.size(); ++i) {
    for (int v : p.steps[i]->reads) last[v] = std::max(last[v], static_cast<int>(i));
    for (int v : p.steps[i]->writes) last[v] = std::max(last[v], static_cast<int>(i));
  }
  for (int v : p.outputs) last[v] = static_cast<int>(p.steps.size());
  return last;
}

// Classes of values sharing bytes (union-find with path halving), each with its owner (the value
// that has no alias_of) and the last step touching any member: near O(1) per query, so that
// planning stays linear in the number of steps however long an in-place chain grows.
struct AliasClasses {
  std::vector<int> parent, owner, last;

  AliasClasses(const std::vector<PlanValue>& values, const std::vector<int>& last_use)
      : parent(values.size()), owner(values.size()), last(values.size(), -1) {
    std::iota(parent.begin(), parent.end(), 0);
    for (size_t v = 0; v < values.size(); ++v)
      if (values[v].alias_of >= 0) parent[find(static_cast<int>(v))] = find(values[v].alias_of);
    for (size_t v = 0; v < values.size(); ++v) {
      int c = find(static_cast<int>(v));
      if (values[v].alias_of < 0) owner[c] = static_cast<int>(v);
      last[c] = std::max(last[c], last_use[v]);
    }
  }
  int find(int v) {
    while (parent[v] != v) v = parent[v] = parent[parent[v]];
    return v;
  }
  // The class of `owned` (an owner) joins the class of `into`.
  void join(int owned, int into) {
    int a = find(owned), b = find(into);
    if (a == b) return;
    parent[a] = b;
    last[b] = std::max(last[b], last[a]);
  }
};
}  // namespace

void Plan::decide_inplace() {
  std::vector<int> last = last_uses(*this);
  AliasClasses classes(values, last);
  for (size_t i = 0; i < steps.size(); ++i) {
    Step& s = *steps[i];
    if (s.inplace_src < 0) continue;
    const int src = s.inplace_src, dst = s.inplace_dst, c = classes.find(src);
    const int r = classes.owner[c];
    if (values[r].kind != ValueKind::Arena || values[dst].kind != ValueKind::Arena) continue;
    if (values[dst].alias_of >= 0 || !(values[src].md == values[dst].md)) continue;
    // The source's bytes must die here, and no other operand of this step may read them.
    if (classes.last[c] != static_cast<int>(i) || classes.find(dst) == c) continue;
    int reads_of_src = 0;  // e.g. conv(x) + x reads x twice: not in place
    for (int v : s.reads)
      if (classes.find(v) == c) ++reads_of_src;
    if (reads_of_src != 1) continue;
    values[dst].alias_of = src;
    classes.join(dst, src);
  }
  roots_.resize(values.size());
  for (size_t v = 0; v < values.size(); ++v)
    roots_[v] = classes.owner[classes.find(static_cast<int>(v))];
}

void Plan::finalize(size_t scratchpad_bytes) {
  decide_inplace();
  // The step after which an observed value holds its numbers: the last one writing it or, for a
  // view, the value it views.
  std::vector<int> last_writer(values.size(), -1);
  for (size_t i = 0; i < steps.size(); ++i)
    for (int w : steps[i]->writes) last_writer[w] = static_cast<int>(i);
  for (Observation& o : observations) {
    o.step = -1;
    for (int v = o.value; v >= 0 && o.step < 0; v = values[v].alias_of) o.step = last_writer[v];
  }
  std::stable_sort(observations.begin(), observations.end(),
                   [](const Observation& a, const Observation& b) { return a.step < b.step; });
  std::vector<int> last = last_uses(*this);
  // One buffer per arena root, alive from its first write to the last use of any alias.
  std::vector<int> buffer_of(values.size(), -1);
  std::vector<BufferLifetime> buffers;
  for (size_t i = 0; i < steps.size(); ++i)
    for (int v : steps[i]->writes) {
      int r = root(v);
      if (values[r].kind != ValueKind::Arena || buffer_of[r] >= 0) continue;
      buffer_of[r] = static_cast<int>(buffers.size());
      BufferLifetime b;
      b.bytes = values[r].md.get_size();
      b.first = b.last = static_cast<int>(i);
      buffers.push_back(b);
    }
  for (size_t v = 0; v < values.size(); ++v) {
    int b = buffer_of[root(static_cast<int>(v))];
    if (b >= 0) buffers[b].last = std::max(buffers[b].last, last[v]);
  }
  arena_bytes_ = plan_arena(buffers);
  scratchpad_bytes_ = scratchpad_bytes;
  offsets_.assign(values.size(), 0);
  input_values_.clear();
  for (size_t v = 0; v < values.size(); ++v) {
    PlanValue& pv = values[v];
    const PlanValue& r = values[root(static_cast<int>(v))];
    if (r.kind == ValueKind::GraphInput) input_values_.push_back(static_cast<int>(v));
    if (r.kind == ValueKind::Arena && pv.md.data.ndims > 0) {
      int b = buffer_of[root(static_cast<int>(v))];
      if (b < 0) fail("runtime: value '{}' is never written by the plan", pv.name);
      offsets_[v] = buffers[b].offset;
    }
    pv.kind = r.kind == ValueKind::Arena ? ValueKind::Arena : pv.kind;
  }
  for (auto& s : steps) s->prepare(*this);
}

std::unique_ptr<ExecContext> Plan::make_context() const {
  auto alloc = [](size_t n) {
    void* p = std::aligned_alloc(64, (std::max<size_t>(n, 1) + 63) / 64 * 64);
    if (!p) fail("runtime: out of memory allocating {} bytes", n);
    return std::shared_ptr<uint8_t>(static_cast<uint8_t*>(p), [](uint8_t* q) { std::free(q); });
  };
  auto ctx = std::make_unique<ExecContext>();
  ctx->arena = alloc(arena_bytes_);
  ctx->scratchpad = alloc(scratchpad_bytes_);
  ctx->stream = dnnl::stream(engine);
  ctx->mem.resize(values.size());
  ctx->host.resize(values.size());
  for (size_t v = 0; v < values.size(); ++v) {
    const PlanValue& pv = values[v];
    if (pv.md.data.ndims == 0) continue;
    const PlanValue& r = values[root(static_cast<int>(v))];
    void* ptr = nullptr;  // a feed's pointer is set per run
    if (pv.kind == ValueKind::Arena) ptr = ctx->arena.get() + offsets_[v];
    if (r.kind == ValueKind::Constant) ptr = const_cast<void*>(r.host.raw());
    ctx->mem[v] = dnnl::memory(pv.md, engine, ptr);
  }
  ctx->args.resize(steps.size());
  for (size_t i = 0; i < steps.size(); ++i) steps[i]->bind(*this, *ctx, i);
  return ctx;
}

std::vector<ir::Tensor> Plan::run(ExecContext& ctx,
                                  const std::vector<const ir::Tensor*>& feeds) const {
  for (int v : input_values_) {
    const ir::Tensor* feed = feeds.at(values[root(v)].input_index);
    if (v == root(v)) ctx.host[v] = *feed;
    if (values[v].md.data.ndims > 0) ctx.mem[v].set_data_handle(const_cast<void*>(feed->raw()));
  }
  size_t next = 0;
  auto observe_through = [&](int step) {
    if (!observer) return;
    for (; next < observations.size() && observations[next].step <= step; ++next) {
      ctx.stream.wait();
      observer(observations[next].name, read_value(*this, ctx, observations[next].value));
    }
  };
  observe_through(-1);
  for (size_t i = 0; i < steps.size(); ++i) {
    steps[i]->execute(*this, ctx, i);
    observe_through(static_cast<int>(i));
  }
  ctx.stream.wait();
  std::vector<ir::Tensor> out;
  for (int v : outputs) {
    ir::Tensor t = read_value(*this, ctx, v);
    out.push_back(values[root(v)].kind == ValueKind::Arena ? t : t.clone());
  }
  // Drop references to the caller's feeds and reference results between runs.
  for (ir::Tensor& t : ctx.host) t = ir::Tensor();
  return out;
}

namespace {
std::string operand(const PlanValue& pv) {
  std::string s = pv.name + " " + ir::dtype_name(pv.dtype) + ir::shape_str(pv.shape);
  if (pv.md.data.ndims > 0 && pv.kind != ValueKind::Constant) s += " " + md_str(pv.md);
  return s;
}
}  // namespace

std::string Plan::describe() const {
  std::string s;
  for (size_t i = 0; i < steps.size(); ++i) {
    s += std::to_string(i) + ": " + steps[i]->label;
    std::string in;
    for (int v : steps[i]->reads)
      if (values[v].kind != ValueKind::Constant) in += (in.empty() ? "" : ", ") + operand(values[v]);
    if (!in.empty()) s += " <- " + in;
    for (int v : steps[i]->writes) {
      s += " -> " + operand(values[v]);
      if (root(v) != v) s += " (in place of " + values[root(v)].name + ")";
    }
    s += "\n";
  }
  return s;
}

std::vector<std::string> Plan::reference_steps() const {
  std::vector<std::string> out;
  for (const auto& s : steps) {
    bool reference = dynamic_cast<const RefStep*>(s.get()) != nullptr;
    // oneDNN's own reference implementations ("ref:any") are as slow as ours.
    if (auto* p = dynamic_cast<const PrimitiveStep*>(s.get()))
      for (const PrimitiveCall& c : p->calls) reference = reference || c.impl.rfind("ref", 0) == 0;
    if (reference) out.push_back(s->label);
  }
  return out;
}

}  // namespace qcv::runtime
