// The trainer's and QAT's configuration as plain data (no LibTorch): the keys shared by YAML
// experiment configs, `qcv train`/`qcv qat` flags, a run's config.yaml and the workflow's train
// sections. Values are checked as they are set (config/values.h): a wrong type, an out-of-range
// integer, a NaN or an unknown key is a qcv::Error naming the key.
#pragma once
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

namespace YAML {
class Node;
}

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
  // Added to the RMSprop/Adam denominator sqrt(v) + eps. 0: each optimizer's own default
  // (rmsprop 1e-3, adam/adamw 1e-8; Keras uses 1e-7 for both).
  double optimizer_epsilon = 0.0;
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
  // Zoo models' BatchNormalization epsilon: PyTorch's 1e-5 (TF/Keras use 1e-3; the MobileNet
  // seed states none). An --init model keeps the epsilons of its file.
  double bn_epsilon = 1e-5;
  // Zoo models' conv/linear weights drawn from N(0, stddev^2) truncated at 2 stddev (TF's
  // TruncatedNormal); 0: the zoo's own (PyTorch-style) initializers. Ignored with --init.
  double truncated_normal_stddev = 0.0;
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
  // The seed trainer's flag spellings of this key, comma-separated ("" if none): each is also
  // accepted as a flag (--model_name sets `model`).
  const char* seed_flags;
  std::function<void(TrainConfig&, const std::string&)> set;
  std::function<std::string(const TrainConfig&)> get;
};
const std::vector<ConfigKey>& config_keys();
// Throws qcv::Error naming the key for an unknown key or a value of the wrong type.
void set_config_value(TrainConfig& cfg, const std::string& key, const std::string& value);
// The key's seed spellings, split (config_keys()[i].seed_flags).
std::vector<std::string> seed_flag_names(const ConfigKey& k);
// Applies every key of a YAML mapping; errors name the file and key.
void load_config_yaml(const std::string& path, TrainConfig& cfg);
std::string config_to_yaml(const TrainConfig& cfg);  // without `rank` (one per process)
// Sets rank, world_size, master_addr and master_port from the launcher's environment variables
// (RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT) where they are set; flags applied later override.
void apply_launcher_env(TrainConfig& cfg);
// Applies every key of a YAML mapping (a whole config file or a workflow's train section);
// `where` names it in errors.
void apply_config_node(const YAML::Node& node, TrainConfig& cfg, const std::string& where);

struct QatOptions {
  std::string ranges = "fixed";  // fixed | lsq | ema
  // lsq: scales stop learning, ema: activation observers stop, after this many epochs (0: never)
  int freeze_ranges_after = 0;
  double range_decay = 0.99;  // ema: running = decay * running + (1 - decay) * batch min/max
  // BatchNormalization: "fold" (folded before QAT, quant::prepare_qat), "keep" (Conv -> BN
  // trained and exported with BN, weights fake-quantized unfolded), or "fold-after": BN trained
  // with the folded weights fake-quantized (qat_batch_norm.h), its statistics frozen after
  // bn_fold_after epochs, and folded into the convs at export (final.onnx has no BN).
  std::string batch_norm = "fold";
  int bn_fold_after = 2;
};

// The NVIDIA seed's QAT recipe as trainer defaults: SGD (momentum 0.9), piecewise lr 0.001 x
// (1.0 for 1 epoch, 0.1 for 2, 0.01 for 7), batch 64, 10 epochs, no label smoothing, no
// augmentation beyond the trainer's, no weight decay.
TrainConfig qat_defaults();
// Throws qcv::Error for an unknown ranges/batch_norm name or a negative epoch count.
void check_qat_options(const QatOptions& options);

}  // namespace qcv::train
