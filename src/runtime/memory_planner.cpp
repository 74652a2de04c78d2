#include "runtime/memory_planner.h"

#include <algorithm>
#include <numeric>

namespace qcv::runtime {

static size_t align64(size_t n) { return (n + 63) / 64 * 64; }

size_t plan_arena(std::vector<BufferLifetime>& buffers) {
  std::vector<size_t> order(buffers.size());
  std::iota(order.begin(), order.end(), 0);
  std::stable_sort(order.begin(), order.end(),
                   [&](size_t a, size_t b) { return buffers[a].bytes > buffers[b].bytes; });
  std::vector<size_t> placed;
  size_t total = 0;
  for (size_t i : order) {
    BufferLifetime& b = buffers[i];
    // Placed buffers alive at the same time, by offset: take the first gap that fits.
    std::vector<const BufferLifetime*> live;
    for (size_t j : placed)
      if (buffers[j].first <= b.last && b.first <= buffers[j].last) live.push_back(&buffers[j]);
    std::sort(live.begin(), live.end(), [](const BufferLifetime* x, const BufferLifetime* y) {
      return x->offset < y->offset;
    });
    size_t offset = 0, need = align64(b.bytes);
    for (const BufferLifetime* o : live) {
      if (o->offset >= offset + need) break;
      offset = std::max(offset, o->offset + align64(o->bytes));
    }
    b.offset = offset;
    total = std::max(total, offset + need);
    placed.push_back(i);
  }
  return total;
}

}  // namespace qcv::runtime
