#include "train/weight_init.h"

#include <cmath>
#include <random>

namespace qcv::train {

int truncated_normal_init(ir::Graph& g, double stddev, uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::normal_distribution<double> normal(0.0, stddev);
  int drawn = 0;
  for (const ir::Node& n : g.nodes) {
    if ((n.op != "Conv" && n.op != "Gemm") || n.inputs.size() < 2) continue;
    auto it = g.initializers.find(n.inputs[1]);
    if (it == g.initializers.end() || it->second.dtype() != ir::DType::Float32) continue;
    ir::Tensor w = it->second.clone();  // buffers may be shared with other graphs
    float* p = w.data<float>();
    for (int64_t i = 0; i < w.numel(); ++i) {
      double v;
      do v = normal(rng);
      while (std::abs(v) > 2 * stddev);
      p[i] = static_cast<float>(v);
    }
    it->second = w;
    ++drawn;
  }
  return drawn;
}

void set_batch_norm_epsilon(ir::Graph& g, double epsilon) {
  for (ir::Node& n : g.nodes)
    if (n.op == "BatchNormalization") n.attrs["epsilon"] = static_cast<float>(epsilon);
}

}  // namespace qcv::train
