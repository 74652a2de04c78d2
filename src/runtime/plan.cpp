#include "runtime/plan.h"

#include <algorithm>
#include <cstdlib>

#include "runtime/dnnl_util.h"
#include "runtime/memory_planner.h"
#include "runtime/steps.h"

namespace qcv::runtime {

int Plan::root(int v) const {
  while (values.at(v).alias_of >= 0) v = values[v].alias_of;
  return v;
}

// Last step index touching each value; graph outputs live to the end.
static std::vector<int> last_uses(const Plan& p) {
  std::vector<int> last(p.values.size(), -1);
  for (size_t i = 0; i < p.steps.size(); ++i) {
    for (int v : p.steps[i]->reads) last[v] = std::max(last[v], static_cast<int>(i));
    for (int v : p.steps[i]->writes) last[v] = std::max(last[v], static_cast<int>(i));
  }
  for (int v : p.outputs) last[v] = static_cast<int>(p.steps.size());
  return last;
}

void Plan::decide_inplace() {
  std::vector<int> last = last_uses(*this);
  for (size_t i = 0; i < steps.size(); ++i) {
    Step& s = *steps[i];
    if (s.inplace_src < 0) continue;
    int src = s.inplace_src, dst = s.inplace_dst, r = root(src);
    if (values[r].kind != ValueKind::Arena || values[dst].kind != ValueKind::Arena) continue;
    if (values[dst].alias_of >= 0 || !(values[src].md == values[dst].md)) continue;
    // The source's bytes must die here, and no other operand of this step may read them.
    int class_last = -1;
    for (size_t v = 0; v < values.size(); ++v)
      if (root(static_cast<int>(v)) == r) class_last = std::max(class_last, last[v]);
    if (class_last != static_cast<int>(i)) continue;
    int reads_of_src = 0;  // e.g. conv(x) + x reads x twice: not in place
    for (int v : s.reads)
      if (root(v) == r) ++reads_of_src;
    if (reads_of_src != 1) continue;
    values[dst].alias_of = src;
  }
}

// The step after which an observed value holds its numbers: the last one writing it or, for a
// view, the value it views.
static int observation_step(const Plan& p, int v) {
  for (; v >= 0; v = p.values[v].alias_of)
    for (int i = static_cast<int>(p.steps.size()) - 1; i >= 0; --i)
      for (int w : p.steps[i]->writes)
        if (w == v) return i;
  return -1;
}

void Plan::finalize(size_t scratchpad_bytes) {
  decide_inplace();
  for (Observation& o : observations) o.step = observation_step(*this, o.value);
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
  auto alloc = [](size_t n) {
    void* p = std::aligned_alloc(64, (std::max<size_t>(n, 1) + 63) / 64 * 64);
    if (!p) fail("runtime: out of memory allocating {} bytes", n);
    return std::shared_ptr<uint8_t>(static_cast<uint8_t*>(p), [](uint8_t* q) { std::free(q); });
  };
  arena_ = alloc(arena_bytes_);
  scratchpad_ = alloc(scratchpad_bytes_);

  for (size_t v = 0; v < values.size(); ++v) {
    PlanValue& pv = values[v];
    const PlanValue& r = values[root(static_cast<int>(v))];
    if (pv.md.data.ndims == 0) continue;
    void* ptr = nullptr;
    if (r.kind == ValueKind::Arena) {
      int b = buffer_of[root(static_cast<int>(v))];
      if (b < 0) fail("runtime: value '{}' is never written by the plan", pv.name);
      ptr = arena_.get() + buffers[b].offset;
    } else if (r.kind == ValueKind::Constant) {
      ptr = const_cast<void*>(r.host.raw());
    }
    pv.kind = r.kind == ValueKind::Arena ? ValueKind::Arena : pv.kind;
    pv.mem = dnnl::memory(pv.md, engine, ptr);
  }
  dnnl::memory scratch(plain_md({static_cast<int64_t>(std::max<size_t>(scratchpad_bytes_, 1))},
                                memory::data_type::u8),
                       engine, scratchpad_.get());
  for (auto& s : steps) s->bind(*this, scratch);
}

std::vector<ir::Tensor> Plan::run(const std::vector<const ir::Tensor*>& feeds,
                                  dnnl::stream& stream) {
  for (size_t v = 0; v < values.size(); ++v) {
    PlanValue& r = values[root(static_cast<int>(v))];
    if (r.kind != ValueKind::GraphInput) continue;
    const ir::Tensor* feed = feeds.at(r.input_index);
    if (static_cast<int>(v) == root(static_cast<int>(v))) r.host = *feed;
    if (values[v].md.data.ndims > 0) values[v].mem.set_data_handle(const_cast<void*>(feed->raw()));
  }
  size_t next = 0;
  auto observe_through = [&](int step) {
    if (!observer) return;
    for (; next < observations.size() && observations[next].step <= step; ++next) {
      stream.wait();
      observer(observations[next].name, read_value(*this, observations[next].value, stream));
    }
  };
  observe_through(-1);
  for (size_t i = 0; i < steps.size(); ++i) {
    steps[i]->execute(*this, stream);
    observe_through(static_cast<int>(i));
  }
  stream.wait();
  std::vector<ir::Tensor> out;
  for (int v : outputs) {
    ir::Tensor t = read_value(*this, v, stream);
    out.push_back(values[root(v)].kind == ValueKind::Arena ? t : t.clone());
  }
  // Drop references to the caller's feeds and reference results between runs.
  for (PlanValue& pv : values)
    if (pv.kind == ValueKind::GraphInput || pv.kind == ValueKind::Host) pv.host = ir::Tensor();
  return out;
}

std::string Plan::describe() const {
  std::string s;
  for (size_t i = 0; i < steps.size(); ++i) {
    s += std::to_string(i) + ": " + steps[i]->label;
    for (int v : steps[i]->writes) {
      const PlanValue& pv = values[v];
      s += " -> " + pv.name + " " + ir::shape_str(pv.shape);
      if (pv.md.data.ndims > 0) s += " " + md_str(pv.md);
      if (root(v) != v) s += " (in place of " + values[root(v)].name + ")";
    }
    s += "\n";
  }
  return s;
}

}  // namespace qcv::runtime
