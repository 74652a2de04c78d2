// AdaRound's optimization (quant/adaround.h's RoundingSolver) with LibTorch. Torch-free header:
// the CLI hands it to PtqOptions::adaround.
#pragma once
#include "quant/adaround.h"

namespace qcv::train {

// Learns V (the weight's shape) with w~ = s * clamp(floor(w / s) + h(V), qmin, qmax),
// h(V) = clamp(sigmoid(V) (zeta - gamma) + gamma, 0, 1), zeta = 1.1, gamma = -0.1, V starting
// where h(V) = frac(w / s) (w~ = w): Adam on the squared output error of w~ on the rounded
// model's rows against w on the FP32 rows (summed over output channels, mean over a batch of
// rows) plus lambda * sum(1 - |2 h(V) - 1|^beta), the regularizer off during the warm-up and
// beta annealed linearly from beta_start to beta_end after it. Returns floor(w / s) + [h >= 0.5],
// saturated, as int32.
ir::Tensor solve_rounding(const quant::RoundingProblem& problem,
                          const quant::AdaRoundOptions& options);

}  // namespace qcv::train
