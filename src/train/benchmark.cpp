// Training-step throughput on synthetic data (no data loading): the number bench/ compares with
// PyTorch running torchvision's model with the same input size, batch and optimizer.
#include <ATen/Parallel.h>
#include <torch/csrc/autograd/profiler_legacy.h>

#include <chrono>
#include <cstdlib>
#include <memory>

#include "models/models.h"
#include "train/allocator.h"
#include "train/loss.h"
#include "train/optimizers.h"
#include "train/torch_graph.h"
#include "train/train.h"

namespace qcv::train {

double benchmark_training_steps(const TrainConfig& cfg, int classes, int steps) {
  keep_freed_memory();
  if (cfg.threads > 0) at::set_num_threads(cfg.threads);
  models::ModelSpec spec;
  spec.name = cfg.model;
  spec.width = static_cast<float>(cfg.width);
  spec.resolution = cfg.resolution;
  spec.classes = classes;
  spec.in_channels = cfg.channels;
  spec.dropout = static_cast<float>(cfg.dropout);
  TorchGraphOptions options;
  options.channels_last = cfg.channels_last;
  TorchGraph module(models::build(spec), options);
  module.train();
  auto optimizer = make_optimizer(cfg, module);
  at::manual_seed(0);
  at::Tensor x = at::randn({cfg.batch_size, cfg.channels, cfg.resolution, cfg.resolution});
  at::Tensor y = at::randint(classes, {cfg.batch_size}, at::TensorOptions().dtype(at::kLong));
  auto step = [&] {
    at::Tensor loss = smoothed_cross_entropy(module.forward(x), y, cfg.label_smoothing);
    optimizer->zero_grad();
    loss.backward();
    optimizer->step();
  };
  for (int i = 0; i < 3; ++i) step();  // warm-up: primitive creation, allocator
  // QCV_TORCH_PROFILE=trace.json: a chrome://tracing file of the timed steps, per ATen op.
  std::unique_ptr<torch::autograd::profiler::RecordProfile> profile;
  if (const char* path = std::getenv("QCV_TORCH_PROFILE"))
    profile = std::make_unique<torch::autograd::profiler::RecordProfile>(std::string(path));
  const auto start = std::chrono::steady_clock::now();
  for (int i = 0; i < steps; ++i) step();
  profile.reset();
  const double s = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  return double(steps) * cfg.batch_size / s;
}

}  // namespace qcv::train
