// Running a batch as independent slices: with T threads and a batch of N >= 2 images, the Session
// runs min(T, N) slices of the batch at once, each on its own thread with its own plan context,
// instead of every layer splitting its work over all T threads. Slices share no barrier, so a
// thread that loses its core delays only its own slice, and each slice keeps its activations in
// its own core's cache. Only for graphs where each image's outputs depend on that image alone.
#pragma once
#include <cstdint>
#include <vector>

#include "ir/ir.h"

namespace qcv::runtime {

// True when dimension 0 of every input is a batch that the graph never mixes: with every input's
// dimension 0 set to a test size, each computed value keeps that size in dimension 0 (so a
// row-major image stays one contiguous block) and every node is an op known to work per image
// (no reduction, softmax, concatenation, transpose, gather or slice along dimension 0).
// Conservative: an op outside the known list, or any shape that cannot be inferred, says no.
bool batch_is_independent(ir::Graph g);

// How many slices a batch of n runs as with `threads` threads: min(threads, n), 1 when either is 1.
int batch_slices(int64_t n, int threads);
// Rows [begin, begin + count) of dimension 0 of t, as a new tensor.
ir::Tensor batch_rows(const ir::Tensor& t, int64_t begin, int64_t count);
// The same rows without a copy, valid while t's bytes live (a copy when they would not be
// 16-byte aligned, as Tensor::adopt requires).
ir::Tensor batch_rows_view(const ir::Tensor& t, int64_t begin, int64_t count);
// The tensors joined along dimension 0 (same dtype and other dimensions).
ir::Tensor join_rows(const std::vector<ir::Tensor>& parts);

}  // namespace qcv::runtime
