// qcv::train: training on the graph IR with LibTorch. This header is torch-free, so the CLI can
// include it; the backend itself (TorchGraph, torch_graph.h) is for code that works with torch
// tensors (QAT, calibration, tests).
//
//   TrainConfig cfg;                       // or load_config_yaml("configs/x.yaml", cfg)
//   set_config_value(cfg, "epochs", "3");  // any key, e.g. from a flag
//   TrainResult r = run_training(cfg);     // RUN_DIR: model.onnx, best.onnx, final.onnx, logs
#pragma once
#include <cstdint>
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "ir/ir.h"

namespace qcv::train {

// Every key is a YAML key of an experiment config and a flag (--key with '_' -> '-').
struct TrainConfig {
  // Model: a zoo model, or an ONNX file to fine-tune (init).
  std::string model = "mobilenet_v2";
  double width = 1.0;
  int resolution = 32;
  int channels = 1;
  std::string init;  // ONNX file; when set, model/width are ignored
  // Data
  std::string dataset = "fashion-mnist";
  bool augment = true;          // pad-crop + flip for small datasets, RandomResizedCrop else
  double random_erasing = 0.0;  // RandomErasing probability
  int64_t limit_train = 0;      // use the first N training images (0: all)
  int64_t limit_test = 0;
  int workers = 2;  // decode/augment threads
  // Optimization
  int batch_size = 64;
  int epochs = 10;
  std::string optimizer = "sgd";  // sgd | rmsprop | adam | adamw
  double momentum = 0.9;
  bool nesterov = false;
  double rmsprop_decay = 0.9;  // RMSprop's gradient discounting (seed: op_decay_rate)
  double lr = 0.1;
  std::string lr_schedule =
      "cosine";  // constant | step | exponential | cosine | onecycle | piecewise
  double lr_decay_rate = 0.1;
  double lr_decay_epochs = 1;
  double warmup_epochs = 0;
  std::string piecewise = "1.0:1,0.1:2,0.01:7";  // multiplier:epoch pairs (lr_schedule piecewise)
  double weight_decay = 4e-5;                    // on conv/linear weights only (not biases, not BN)
  double label_smoothing = 0.1;
  double dropout = 0.2;         // zoo models' classifier dropout
  double bn_momentum = 0.9;     // ONNX momentum: running = running * m + batch * (1 - m)
  double ema_decay = 0.0;       // 0: off
  double clip_grad_norm = 0.0;  // 0: off
  int64_t seed = 0;
  int threads = 0;            // torch intra-op threads (0: all cores)
  bool channels_last = true;  // NHWC activations and conv weights (NCHW is slower on CPU)
  // Run
  std::string run_dir = "runs/qcv";
  bool resume = false;
  int64_t stop_after_epochs = 0;  // stop (as if killed) after N epochs of this process; 0: off
  // Distributed data-parallel (distributed.h): torchrun's RANK, WORLD_SIZE, MASTER_ADDR and
  // MASTER_PORT. batch_size stays the global batch; each rank trains on batch_size / world_size.
  int world_size = 1;
  int rank = 0;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  double dist_timeout = 60;  // seconds: rendezvous and each collective
};

struct ConfigKey {
  const char* key;
  const char* help;
  const char* seed_flag;  // the seed trainer's flag this key maps to ("" if none)
  std::function<void(TrainConfig&, const std::string&)> set;
  std::function<std::string(const TrainConfig&)> get;
};
const std::vector<ConfigKey>& config_keys();
// Throws qcv::Error naming the key for an unknown key or a value of the wrong type.
void set_config_value(TrainConfig& cfg, const std::string& key, const std::string& value);
// Applies every key of a YAML mapping; errors name the file and key.
void load_config_yaml(const std::string& path, TrainConfig& cfg);
std::string config_to_yaml(const TrainConfig& cfg);  // without `rank` (one per process)
// Sets rank, world_size, master_addr and master_port from the launcher's environment variables
// (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) where they are set; flags applied later override.
void apply_launcher_env(TrainConfig& cfg);

struct TrainResult {
  int epochs_done = 0;
  double best_top1 = 0;   // percent
  double final_top1 = 0;  // percent, with EMA weights when EMA is on
  double seconds = 0;
  double images_per_s = 0;
  bool stopped_early = false;  // stop_after_epochs reached
};

// Trains as configured, writing checkpoints and logs into cfg.run_dir. Throws qcv::Error
// (a NaN/Inf loss included, naming the epoch and step; the last good checkpoint is kept).
TrainResult run_training(const TrainConfig& cfg);

class TorchGraph;
struct TorchGraphOptions;
// Extension points for fine-tuning variants (QAT, qat.h); plain training uses none.
struct TrainHooks {
  bool trainable_quant_scales = false;  // TorchGraphOptions::trainable_quant_scales
  // Before each epoch (0-based, also after a resume): e.g. freeze ranges after N epochs.
  std::function<void(TorchGraph&, int64_t epoch)> on_epoch_start;
  // Before the module is built from the (loaded or initial) graph: e.g. QAT range observers.
  std::function<void(TorchGraphOptions&, const ir::Graph&)> configure_module;
};
TrainResult run_training(const TrainConfig& cfg, const TrainHooks& hooks);

// Images per second of training steps (forward, loss, backward, optimizer step) on random data
// of the configured model, resolution, channels, batch and optimizer; no data loading.
double benchmark_training_steps(const TrainConfig& cfg, int classes, int steps);

// The torch backend as a plain classifier (eval mode, no gradients): for `qcv eval --backend
// torch` and comparisons with the runtime.
class TorchClassifier {
 public:
  explicit TorchClassifier(const ir::Graph& graph, int threads = 0);
  ~TorchClassifier();
  // images: float [N, C, H, W]; returns the first graph output (logits) as a host tensor.
  ir::Tensor run(const ir::Tensor& images);

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qcv::train
