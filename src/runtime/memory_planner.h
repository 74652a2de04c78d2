// Offsets of activation buffers in one arena: buffers whose lifetimes overlap never overlap in
// memory. Greedy by size (largest first, lowest fitting offset), which is near optimal on CNNs.
#pragma once
#include <cstddef>
#include <vector>

namespace qcv::runtime {

struct BufferLifetime {
  size_t bytes = 0;
  int first = 0, last = 0;  // step indices, inclusive
  size_t offset = 0;        // output
};

// Fills every offset (64-byte aligned); returns the arena size in bytes.
size_t plan_arena(std::vector<BufferLifetime>& buffers);

}  // namespace qcv::runtime
