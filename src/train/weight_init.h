// TF-style weight initialization for zoo models (the MobileNet seed's truncated_normal_stddev).
#pragma once
#include <cstdint>

#include "ir/ir.h"

namespace qcv::train {

// Redraws the weight (input 1) of every Conv and Gemm from N(0, stddev^2), a draw beyond two
// standard deviations drawn again (TF's TruncatedNormal), from a generator seeded with `seed`.
// Biases and BatchNormalization parameters are left alone. Returns how many tensors it drew.
int truncated_normal_init(ir::Graph& g, double stddev, uint64_t seed);

// Sets the epsilon of every BatchNormalization node.
void set_batch_norm_epsilon(ir::Graph& g, double epsilon);

}  // namespace qcv::train
