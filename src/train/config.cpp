// The experiment configuration: one table of keys shared by YAML files, flags and config.yaml.
#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <sstream>

#include "train/train.h"

namespace qcv::train {
namespace {

double to_double(const std::string& key, const std::string& v) {
  try {
    size_t used = 0;
    double d = std::stod(v, &used);
    if (used == v.size()) return d;
  } catch (const std::exception&) {
  }
  fail("config key '{}': '{}' is not a number", key, v);
}

int64_t to_int(const std::string& key, const std::string& v) {
  try {
    size_t used = 0;
    long long i = std::stoll(v, &used);
    if (used == v.size()) return i;
  } catch (const std::exception&) {
  }
  fail("config key '{}': '{}' is not an integer", key, v);
}

bool to_bool(const std::string& key, const std::string& v) {
  if (v == "true" || v == "1" || v == "yes" || v == "on") return true;
  if (v == "false" || v == "0" || v == "no" || v == "off") return false;
  fail("config key '{}': '{}' is not a boolean", key, v);
}

std::string num(double v) { return fmt::format("{}", v); }

#define QCV_STRING(field, help, seed)                                                           \
  ConfigKey {                                                                                   \
#field, help, seed,                                                                         \
        [](TrainConfig & c,                                                                     \
           const std::string& v) { c.field = v; }, [](const TrainConfig& c) { return c.field; } \
  }
#define QCV_DOUBLE(field, help, seed)                                                     \
  ConfigKey {                                                                             \
#field, help, seed,                                                                   \
        [](TrainConfig & c,                                                               \
           const std::string&                                                             \
               v) { c.field = to_double(#field, v); }, [](const TrainConfig&              \
                                                              c) { return num(c.field); } \
  }
#define QCV_INT(field, help, seed)                                                               \
  ConfigKey {                                                                                    \
#field, help, seed,                                                                            \
        [](TrainConfig& c, const std::string& v) { c.field = static_cast<decltype(c.field)>(to_int(#field, v)); }, \
        [](const TrainConfig& c) { return std::to_string(c.field); } \
  }
#define QCV_BOOL(field, help, seed)                                                               \
  ConfigKey {                                                                                     \
#field, help, seed, [](TrainConfig& c, const std::string& v) { c.field = to_bool(#field, v); }, \
        [](const TrainConfig& c) { return std::string(c.field ? "true" : "false"); } \
  }

}  // namespace

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = {
      QCV_STRING(model, "zoo model (qcv models lists them)", "model_name"),
      QCV_DOUBLE(width, "width multiplier (MobileNets)", ""),
      QCV_INT(resolution, "input resolution", ""),
      QCV_INT(channels, "input channels, 1 or 3", ""),
      QCV_STRING(init, "ONNX model to fine-tune instead of a zoo model", ""),
      QCV_STRING(dataset, "fashion-mnist | cifar10:DIR | image folder", "dataset_name, data_dir"),
      QCV_BOOL(augment, "training augmentation (pad-crop + flip / random-resized-crop)", ""),
      QCV_DOUBLE(random_erasing, "RandomErasing probability", ""),
      QCV_INT(limit_train, "use only the first N training images (0: all)", ""),
      QCV_INT(limit_test, "use only the first N test images (0: all)", ""),
      QCV_INT(workers, "data loading threads", ""),
      QCV_INT(batch_size, "batch size", "batch_size"),
      QCV_INT(epochs, "training epochs", "epochs"),
      QCV_STRING(optimizer, "sgd | rmsprop | adam | adamw", "optimizer_name"),
      QCV_DOUBLE(momentum, "SGD/RMSprop momentum (Adam beta1)", "op_momentum"),
      QCV_BOOL(nesterov, "Nesterov momentum (SGD)", ""),
      QCV_DOUBLE(rmsprop_decay, "RMSprop gradient discounting (alpha)", "op_decay_rate"),
      QCV_DOUBLE(lr, "base learning rate", "lr"),
      QCV_STRING(lr_schedule, "constant | step | exponential | cosine | onecycle | piecewise",
                 "learning_scheduler_name"),
      QCV_DOUBLE(lr_decay_rate, "decay factor (step, exponential)", "lr_decay_rate"),
      QCV_DOUBLE(lr_decay_epochs, "epochs per decay (step, exponential)", "lr_decay_epochs"),
      QCV_DOUBLE(warmup_epochs, "linear warmup epochs", ""),
      QCV_STRING(piecewise, "multiplier:epoch pairs, e.g. 1.0:1,0.1:2,0.01:7", ""),
      QCV_DOUBLE(weight_decay, "L2 weight decay on conv/linear weights", "std_weight_decay"),
      QCV_DOUBLE(label_smoothing, "label smoothing", "label_smoothing"),
      QCV_DOUBLE(dropout, "classifier dropout of zoo models", "dropout_rate"),
      QCV_DOUBLE(bn_momentum, "BN running-average momentum (ONNX sense)", "batch_norm_decay"),
      QCV_DOUBLE(ema_decay, "EMA of weights decay (0: off)", "ma_decay_rate"),
      QCV_DOUBLE(clip_grad_norm, "clip the global gradient norm (0: off)", ""),
      QCV_INT(seed, "random seed", ""),
      QCV_INT(threads, "torch threads (0: all cores)", ""),
      QCV_BOOL(channels_last, "channels-last layout in the torch backend", ""),
      QCV_STRING(run_dir, "output directory", "model_dir"),
      QCV_BOOL(resume, "continue from the last checkpoint in run_dir", ""),
      QCV_INT(stop_after_epochs, "stop after N epochs of this process (testing resume)", ""),
      QCV_INT(world_size, "processes in a data-parallel job (env WORLD_SIZE)", ""),
      QCV_INT(rank, "this process's rank in the job, 0..world_size-1 (env RANK)", ""),
      QCV_STRING(master_addr, "host of rank 0, where ranks meet (env MASTER_ADDR)", ""),
      QCV_INT(master_port, "TCP port of the rendezvous on rank 0 (env MASTER_PORT)", ""),
      QCV_DOUBLE(dist_timeout, "seconds before a silent rank fails the job", ""),
  };
  return keys;
}

void set_config_value(TrainConfig& cfg, const std::string& key, const std::string& value) {
  for (const ConfigKey& k : config_keys()) {
    if (key == k.key) {
      k.set(cfg, value);
      return;
    }
  }
  fail("unknown config key '{}'", key);
}

void load_config_yaml(const std::string& path, TrainConfig& cfg) {
  YAML::Node root;
  try {
    root = YAML::LoadFile(path);
  } catch (const YAML::Exception& e) {
    fail("config '{}': {}", path, e.what());
  }
  if (root.IsNull()) return;
  if (!root.IsMap()) fail("config '{}': expected a mapping of keys to values", path);
  for (const auto& item : root) {
    const std::string key = item.first.as<std::string>();
    if (!item.second.IsScalar()) fail("config '{}': key '{}' must have a scalar value", path, key);
    try {
      set_config_value(cfg, key, item.second.as<std::string>());
    } catch (const Error& e) {
      fail("config '{}': {}", path, e.what());
    }
  }
}

std::string config_to_yaml(const TrainConfig& cfg) {
  YAML::Emitter out;
  out << YAML::BeginMap;
  for (const ConfigKey& k : config_keys())
    if (std::string(k.key) != "rank") out << YAML::Key << k.key << YAML::Value << k.get(cfg);
  out << YAML::EndMap;
  return std::string(out.c_str()) + "\n";
}

void apply_launcher_env(TrainConfig& cfg) {
  const std::pair<const char*, const char*> vars[] = {{"RANK", "rank"},
                                                      {"WORLD_SIZE", "world_size"},
                                                      {"MASTER_ADDR", "master_addr"},
                                                      {"MASTER_PORT", "master_port"}};
  for (const auto& [var, key] : vars) {
    const char* value = std::getenv(var);
    if (value == nullptr || *value == '\0') continue;
    try {
      set_config_value(cfg, key, value);
    } catch (const Error& e) {
      fail("environment variable {}: {}", var, e.what());
    }
  }
}

}  // namespace qcv::train
