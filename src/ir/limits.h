// Resource ceilings for everything read from a file, and checked arithmetic for sizes.
// Readers validate what a file claims against these before allocating, so a small hostile file
// cannot ask for gigabytes or wrap an offset. Each ceiling can be raised by an environment variable.
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace qcv::limits {

// Largest single tensor (initializer, .npy, .pb, folded constant, dataset array):
// QCV_MAX_TENSOR_BYTES, default 4 GiB.
uint64_t max_tensor_bytes();
// Largest output of decompressing one file (gzip): QCV_MAX_DECOMPRESSED_BYTES, default 8 GiB.
uint64_t max_decompressed_bytes();
// Most nodes in one graph: QCV_MAX_GRAPH_NODES, default 1,000,000.
uint64_t max_graph_nodes();

// a*b and a+b for sizes; false on overflow (the result is then unspecified).
bool mul_overflows(uint64_t a, uint64_t b, uint64_t* out);
bool add_overflows(uint64_t a, uint64_t b, uint64_t* out);

// Element count of a shape; throws qcv::Error with `what` as context if a dim is negative or the
// product overflows int64.
int64_t checked_numel(const std::vector<int64_t>& shape, const std::string& what);
// Bytes of a tensor of that shape and element size; throws (naming `what`) if the count overflows
// or the size exceeds max_tensor_bytes().
uint64_t checked_tensor_bytes(const std::vector<int64_t>& shape, uint64_t element_size,
                              const std::string& what);

}  // namespace qcv::limits
