// The experiment configuration: one table of keys shared by YAML files, flags and config.yaml.
#include "config/train_config.h"

#include <yaml-cpp/yaml.h>

#include <cstdlib>
#include <limits>

#include "config/values.h"
#include "ir/parse_value.h"
#include "ir/error.h"

namespace qcv::train {
namespace {

constexpr double kBig = std::numeric_limits<double>::max();
constexpr int64_t kIntMax = std::numeric_limits<int>::max();
constexpr int64_t kI64Max = std::numeric_limits<int64_t>::max();

std::string num(double v) { return fmt::format("{}", v); }

// One table row per key: how a text value is checked and stored, and how it is printed back.
// Numbers carry their bounds: an int field never receives a value it cannot hold.
#define QCV_STRING(field, help, seed)                                                     \
  ConfigKey {                                                                             \
    #field, help, seed, [](TrainConfig& c, const std::string& v) { c.field = v; },        \
        [](const TrainConfig& c) { return c.field; }                                      \
  }
// A name from a fixed list; the list is the help text itself ("a | b | c"), so the two agree.
void check_choice(const char* key, const std::string& value, const std::string& choices) {
  std::string rest = choices;
  for (size_t bar; !rest.empty(); rest = bar == std::string::npos ? "" : rest.substr(bar + 1)) {
    bar = rest.find('|');
    std::string word = rest.substr(0, bar);
    word.erase(0, word.find_first_not_of(' '));
    word.erase(word.find_last_not_of(' ') + 1);
    if (word == value) return;
  }
  fail("'{}': '{}' is not one of {}", key, value, choices);
}
#define QCV_CHOICE(field, choices, seed)                                                  \
  ConfigKey {                                                                             \
    #field, choices, seed,                                                                \
        [](TrainConfig& c, const std::string& v) {                                        \
          check_choice(#field, v, choices);                                               \
          c.field = v;                                                                    \
        },                                                                                \
        [](const TrainConfig& c) { return c.field; }                                      \
  }
#define QCV_DOUBLE(field, help, seed, lo, hi)                                                 \
  ConfigKey {                                                                                 \
    #field, help, seed,                                                                       \
        [](TrainConfig& c, const std::string& v) { c.field = ir::parse_number(#field, v, lo, hi); }, \
        [](const TrainConfig& c) { return num(c.field); }                                     \
  }
#define QCV_INT(field, help, seed, lo, hi)                                                    \
  ConfigKey {                                                                                 \
    #field, help, seed,                                                                       \
        [](TrainConfig& c, const std::string& v) {                                            \
          c.field = static_cast<decltype(c.field)>(ir::parse_int(#field, v, lo, hi));     \
        },                                                                                    \
        [](const TrainConfig& c) { return std::to_string(c.field); }                         \
  }
#define QCV_BOOL(field, help, seed)                                                           \
  ConfigKey {                                                                                 \
    #field, help, seed,                                                                       \
        [](TrainConfig& c, const std::string& v) { c.field = ir::parse_bool(#field, v); }, \
        [](const TrainConfig& c) { return std::string(c.field ? "true" : "false"); }          \
  }

}  // namespace

const std::vector<ConfigKey>& config_keys() {
  static const std::vector<ConfigKey> keys = {
      QCV_STRING(model, "zoo model (qcv models lists them)", "model_name"),
      QCV_DOUBLE(width, "width multiplier (MobileNets)", "", 1e-3, 1e3),
      QCV_INT(resolution, "input resolution", "", 1, 65536),
      QCV_INT(channels, "input channels, 1 or 3", "", 1, 3),
      QCV_STRING(init, "ONNX model to fine-tune instead of a zoo model", ""),
      QCV_STRING(dataset, "fashion-mnist | cifar10:DIR | image folder", "dataset_name"),
      QCV_BOOL(augment, "training augmentation (pad-crop + flip / random-resized-crop)", ""),
      QCV_DOUBLE(random_erasing, "RandomErasing probability", "", 0, 1),
      QCV_INT(limit_train, "use only the first N training images (0: all)", "", 0, kI64Max),
      QCV_INT(limit_test, "use only the first N test images (0: all)", "", 0, kI64Max),
      QCV_INT(workers, "data loading threads", "", 0, 1024),
      QCV_INT(batch_size, "batch size", "batch_size", 1, 1 << 24),
      QCV_INT(epochs, "training epochs", "epochs", 1, 1000000),
      QCV_CHOICE(optimizer, "sgd | rmsprop | adam | adamw", "optimizer_name"),
      QCV_DOUBLE(momentum, "SGD/RMSprop momentum (Adam beta1)", "op_momentum", 0, 1),
      QCV_BOOL(nesterov, "Nesterov momentum (SGD)", ""),
      QCV_DOUBLE(rmsprop_decay, "RMSprop gradient discounting (alpha)", "op_decay_rate", 0, 1),
      QCV_DOUBLE(optimizer_epsilon,
                 "RMSprop/Adam epsilon in sqrt(v) + eps (0: rmsprop 1e-3, adam/adamw 1e-8)", "",
                 0, 1e3),
      QCV_DOUBLE(lr, "base learning rate", "lr", 0, kBig),
      QCV_CHOICE(lr_schedule, "constant | step | exponential | cosine | onecycle | piecewise",
                 "learning_scheduler_name"),
      QCV_DOUBLE(lr_decay_rate, "decay factor (step, exponential)", "lr_decay_rate", 0, kBig),
      QCV_DOUBLE(lr_decay_epochs, "epochs per decay (step, exponential)", "lr_decay_epochs", 1e-9, kBig),
      QCV_DOUBLE(warmup_epochs, "linear warmup epochs", "", 0, kBig),
      QCV_STRING(piecewise, "multiplier:epoch pairs, e.g. 1.0:1,0.1:2,0.01:7", ""),
      QCV_DOUBLE(weight_decay, "L2 weight decay on conv/linear weights", "std_weight_decay", 0, kBig),
      QCV_DOUBLE(label_smoothing, "label smoothing", "label_smoothing", 0, 1),
      QCV_DOUBLE(dropout, "classifier dropout of zoo models", "dropout_rate", 0, 1),
      QCV_DOUBLE(bn_momentum, "BN running-average momentum (ONNX sense)", "batch_norm_decay", 0, 1),
      QCV_DOUBLE(bn_epsilon, "BN epsilon of zoo models (TF/Keras: 1e-3)", "", 1e-12, 1),
      QCV_DOUBLE(truncated_normal_stddev,
                 "zoo conv/linear weights ~ N(0, s^2) truncated at 2s (0: zoo initializers)",
                 "truncated_normal_stddev", 0, 1e3),
      QCV_DOUBLE(ema_decay, "EMA of weights decay (0: off)", "ma_decay,ma_decay_rate", 0, 1),
      QCV_DOUBLE(clip_grad_norm, "clip the global gradient norm (0: off)", "", 0, kBig),
      QCV_INT(seed, "random seed", "", std::numeric_limits<int64_t>::min(), kI64Max),
      QCV_INT(threads, "torch threads (0: all cores)", "", 0, 4096),
      QCV_BOOL(channels_last, "channels-last layout in the torch backend", ""),
      QCV_STRING(run_dir, "output directory", "model_dir"),
      QCV_BOOL(resume, "continue from the last checkpoint in run_dir", ""),
      QCV_INT(stop_after_epochs, "stop after N epochs of this process (testing resume)", "", 0, kIntMax),
      QCV_INT(world_size, "processes in a data-parallel job (env WORLD_SIZE)", "", 1, 65536),
      QCV_INT(rank, "this process's rank in the job, 0..world_size-1 (env RANK)", "", 0, 65535),
      QCV_STRING(master_addr, "host of rank 0, where ranks meet (env MASTER_ADDR)", ""),
      QCV_INT(master_port, "TCP port of the rendezvous on rank 0 (env MASTER_PORT)", "", 0, 65535),
      QCV_DOUBLE(dist_timeout, "seconds before a silent rank fails the job", "", 1e-3, kBig),
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

std::vector<std::string> seed_flag_names(const ConfigKey& k) {
  std::vector<std::string> names;
  std::string rest = k.seed_flags;
  while (!rest.empty()) {
    const size_t comma = rest.find(',');
    names.push_back(rest.substr(0, comma));
    rest = comma == std::string::npos ? "" : rest.substr(comma + 1);
  }
  return names;
}

void apply_config_node(const YAML::Node& node, TrainConfig& cfg, const std::string& where) {
  std::vector<std::string> known;
  for (const ConfigKey& k : config_keys()) known.push_back(k.key);
  config::require_known_keys(node, known, where);
  if (!node || node.IsNull()) return;
  for (const auto& item : node) {
    const std::string key = item.first.Scalar();
    if (!item.second.IsScalar() && !item.second.IsNull())
      fail("{}: key '{}' must have a single value", where, key);
    try {
      const std::string value = item.second.IsNull() ? std::string() : item.second.Scalar();
      config::require_text(key, value);
      set_config_value(cfg, key, value);
    } catch (const Error& e) {
      fail("{}: {}", where, e.what());
    }
  }
}

void load_config_yaml(const std::string& path, TrainConfig& cfg) {
  const YAML::Node y = config::load_yaml_file(path);
  if (!y || y.IsNull()) fail("config '{}': empty (no keys)", path);  // a wrong or truncated file
  apply_config_node(y, cfg, "config '" + path + "'");
}

void check_qat_options(const QatOptions& options) {
  if (options.ranges != "fixed" && options.ranges != "lsq" && options.ranges != "ema")
    fail("QAT ranges '{}': expected fixed, lsq or ema", options.ranges);
  if (options.batch_norm != "fold" && options.batch_norm != "keep" &&
      options.batch_norm != "fold-after")
    fail("QAT batch_norm '{}': expected fold, keep or fold-after", options.batch_norm);
  if (options.freeze_ranges_after < 0)
    fail("QAT freeze_ranges_after must be >= 0, got {}", options.freeze_ranges_after);
  if (options.bn_fold_after < 0)
    fail("QAT bn_fold_after must be >= 0, got {}", options.bn_fold_after);
  if (!(options.range_decay >= 0 && options.range_decay <= 1))
    fail("QAT range_decay must be in [0, 1], got {}", options.range_decay);
}

TrainConfig qat_defaults() {
  TrainConfig c;
  c.optimizer = "sgd";
  c.momentum = 0.9;
  c.lr = 0.001;
  c.lr_schedule = "piecewise";
  c.piecewise = "1.0:1,0.1:2,0.01:7";
  c.batch_size = 64;
  c.epochs = 10;
  c.label_smoothing = 0.0;
  c.weight_decay = 0.0;
  c.run_dir = "runs/qat";
  return c;
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
