// The trainer's flags (cli/config_flags.h): each seed trainer spelling sets the same key to the
// same value as qcv's own flag, and the new keys (bn_epsilon, optimizer_epsilon,
// truncated_normal_stddev) are checked like every other key.
#include <gtest/gtest.h>

#include <set>
#include <string>
#include <vector>

#include "cli/config_flags.h"

using namespace qcv;

namespace {

// Parses `args` as `qcv train ARGS` would and applies the flags over the defaults.
train::TrainConfig parse(std::vector<std::string> args) {
  CLI::App app("test");
  auto* cmd = app.add_subcommand("train");
  cli::TrainFlags flags(cmd, train::TrainConfig{}, true);
  args.insert(args.begin(), "train");
  std::reverse(args.begin(), args.end());  // CLI11 takes a reversed vector
  app.parse(args);
  train::TrainConfig cfg;
  flags.apply(cfg);
  return cfg;
}

std::string get(const train::TrainConfig& cfg, const std::string& key) {
  for (const train::ConfigKey& k : train::config_keys())
    if (key == k.key) return k.get(cfg);
  ADD_FAILURE() << "no key " << key;
  return "";
}

struct SeedFlag {
  const char* seed;   // the MobileNet TF2 trainer's flag (its README's table)
  const char* key;    // the qcv key it sets
  const char* value;  // a value that is not the default
};
// The seed README's flags, and the spelling --ma_decay of ma_decay_rate.
const SeedFlag kSeedFlags[] = {
    {"model_name", "model", "mobilenet_v3_small"},
    {"dataset_name", "dataset", "cifar10:/data/cifar"},
    {"model_dir", "run_dir", "runs/seed"},
    {"optimizer_name", "optimizer", "rmsprop"},
    {"learning_scheduler_name", "lr_schedule", "exponential"},
    {"op_momentum", "momentum", "0.8"},
    {"op_decay_rate", "rmsprop_decay", "0.95"},
    {"lr", "lr", "0.016"},
    {"lr_decay_rate", "lr_decay_rate", "0.94"},
    {"lr_decay_epochs", "lr_decay_epochs", "2.5"},
    {"label_smoothing", "label_smoothing", "0.2"},
    {"ma_decay", "ema_decay", "0.999"},
    {"ma_decay_rate", "ema_decay", "0.9999"},
    {"dropout_rate", "dropout", "0.3"},
    {"std_weight_decay", "weight_decay", "1e-05"},
    {"truncated_normal_stddev", "truncated_normal_stddev", "0.09"},
    {"batch_norm_decay", "bn_momentum", "0.997"},
    {"batch_size", "batch_size", "96"},
    {"epochs", "epochs", "3"},
};

TEST(TrainFlags, SeedSpellingSetsTheSameValueAsTheQcvFlag) {
  const train::TrainConfig defaults;
  for (const SeedFlag& f : kSeedFlags) {
    SCOPED_TRACE(f.seed);
    const train::TrainConfig by_seed = parse({std::string("--") + f.seed, f.value});
    const train::TrainConfig by_qcv = parse({cli::flag_name(f.key), f.value});
    EXPECT_EQ(get(by_qcv, f.key), f.value);
    EXPECT_NE(get(defaults, f.key), f.value);
    EXPECT_EQ(get(by_seed, f.key), get(by_qcv, f.key));
    // Nothing else changed: the whole configs agree.
    EXPECT_EQ(train::config_to_yaml(by_seed), train::config_to_yaml(by_qcv));
  }
}

TEST(TrainFlags, EverySeedSpellingOfTheTableIsTested) {
  std::set<std::string> tested;
  for (const SeedFlag& f : kSeedFlags) tested.insert(f.seed);
  for (const train::ConfigKey& k : train::config_keys())
    for (const std::string& seed : train::seed_flag_names(k)) {
      EXPECT_TRUE(tested.count(seed)) << seed;
      tested.erase(seed);
    }
  EXPECT_TRUE(tested.empty()) << "tested spellings the table lacks: " << *tested.begin();
}

TEST(TrainFlags, BadValueOfASeedSpellingIsAUsageError) {
  EXPECT_THROW(parse({"--op_momentum", "1.5"}), CLI::ValidationError);
  EXPECT_THROW(parse({"--optimizer_name", "lamb"}), CLI::ValidationError);
  EXPECT_THROW(parse({"--truncated_normal_stddev=-0.1"}), CLI::ValidationError);
}

TEST(TrainFlags, EpsilonsAndInitStddev) {
  const train::TrainConfig defaults;
  EXPECT_EQ(defaults.bn_epsilon, 1e-5);  // PyTorch's; TF's 1e-3 is a flag away
  EXPECT_EQ(defaults.optimizer_epsilon, 0.0);
  EXPECT_EQ(defaults.truncated_normal_stddev, 0.0);
  const train::TrainConfig c = parse({"--bn-epsilon", "0.001", "--optimizer-epsilon", "1e-7",
                                      "--truncated-normal-stddev", "0.09"});
  EXPECT_EQ(c.bn_epsilon, 1e-3);
  EXPECT_EQ(c.optimizer_epsilon, 1e-7);
  EXPECT_EQ(c.truncated_normal_stddev, 0.09);
  EXPECT_THROW(parse({"--bn-epsilon", "0"}), CLI::ValidationError);
  EXPECT_THROW(parse({"--optimizer-epsilon=-1"}), CLI::ValidationError);
  EXPECT_THROW(parse({"--bn-epsilon", "nan"}), CLI::ValidationError);
}

TEST(TrainFlags, SwitchesAndTheirNegation) {
  EXPECT_FALSE(parse({"--no-augment"}).augment);
  EXPECT_TRUE(parse({"--nesterov"}).nesterov);
  EXPECT_TRUE(parse({}).augment);
}

}  // namespace
