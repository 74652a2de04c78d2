// Trainer-config keys as flags (qcv train / qat): one flag per key of config_keys(), named
// --key-with-dashes plus the seed trainer's spellings of the same key (--model_name,
// --op_decay_rate, ...). A value is checked by the same rule as the YAML key, at parse time, so a
// bad value is a usage error (exit 2) naming the flag.
#pragma once
#include <fmt/format.h>

#include <CLI/CLI.hpp>
#include <map>
#include <set>
#include <string>

#include "config/train_config.h"
#include "ir/error.h"

namespace qcv::cli {

inline CLI::Validator config_value(const std::string& key) {
  return CLI::Validator(
      [key](std::string& text) -> std::string {
        try {
          train::TrainConfig scratch;
          train::set_config_value(scratch, key, text);
          return "";
        } catch (const Error& e) {
          return e.what();
        }
      },
      "VALUE");
}

// "--lr-decay-rate" for "lr_decay_rate".
inline std::string flag_name(const std::string& key) {
  std::string f = key;
  for (char& c : f)
    if (c == '_') c = '-';
  return "--" + f;
}

// CLI11's name list of a key: the qcv flag, then each seed spelling that differs from it
// (--lr is both; --lr_decay_rate is added beside --lr-decay-rate).
inline std::string flag_names(const train::ConfigKey& k) {
  std::string names = flag_name(k.key);
  for (const std::string& seed : train::seed_flag_names(k))
    if ("--" + seed != flag_name(k.key)) names += ",--" + seed;
  return names;
}

// Registers the keys (except `skip`) on a command; apply() sets the ones given, in table order,
// over a config (defaults, then a YAML file, then these flags).
class TrainFlags {
 public:
  // bool_flags: a bool key is a switch (--augment / --no-augment); else it takes true/false.
  TrainFlags(CLI::App* cmd, const train::TrainConfig& defaults, bool bool_flags,
             const std::set<std::string>& skip = {}) {
    for (const train::ConfigKey& k : train::config_keys()) {
      const std::string key = k.key;
      if (skip.count(key)) continue;
      const std::string help = fmt::format("{} (default {})", k.help, k.get(defaults));
      std::string names = flag_names(k);
      if (key == "run_dir") names = "-o," + names;
      const std::string d = k.get(defaults);
      if (bool_flags && (d == "true" || d == "false")) {
        names += ",!--no-" + flag_name(key).substr(2);
        options_[key] = cmd->add_flag(names, bools_[key], help);
      } else {
        options_[key] = cmd->add_option(names, values_[key], help)->check(config_value(key));
      }
    }
  }
  TrainFlags(const TrainFlags&) = delete;
  TrainFlags& operator=(const TrainFlags&) = delete;

  bool given(const std::string& key) const {
    auto it = options_.find(key);
    return it != options_.end() && it->second->count() > 0;
  }
  const std::string& value(const std::string& key) const { return values_.at(key); }

  void apply(train::TrainConfig& cfg) const {
    for (const train::ConfigKey& k : train::config_keys()) {
      if (!given(k.key)) continue;
      auto b = bools_.find(k.key);
      train::set_config_value(cfg, k.key,
                              b != bools_.end() ? (b->second ? "true" : "false") : values_.at(k.key));
    }
  }

 private:
  std::map<std::string, std::string> values_;  // key -> flag value as given
  std::map<std::string, bool> bools_;
  std::map<std::string, CLI::Option*> options_;
};

}  // namespace qcv::cli
