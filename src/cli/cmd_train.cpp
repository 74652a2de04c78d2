// qcv train: a YAML experiment config and/or flags -> RUN_DIR with checkpoints, logs, models.
#include <fmt/format.h>

#include <map>
#include <memory>

#include "cli/commands.h"
#include "cli/config_flags.h"
#include "cli/option_checks.h"
#include "cli/launch_local.h"
#include "ir/parse_value.h"
#include "train/train.h"

namespace qcv::cli {
namespace {

std::string flag_name(const std::string& key) {
  std::string f = key;
  for (char& c : f)
    if (c == '_') c = '-';
  return "--" + f;
}

std::string seed_flag_table() {
  std::string s = "\nSeed trainer flags (MobileNet TF2 trainer) and their qcv names:\n";
  for (const train::ConfigKey& k : train::config_keys())
    if (k.seed_flag[0]) s += fmt::format("  --{:<26} {}\n", k.seed_flag, flag_name(k.key));
  s += "  (learning_scheduler_name: cosine|exponential|... ; batch_norm_decay is --bn-momentum;\n"
       "   truncated_normal_stddev: zoo models use PyTorch's initializers, see models::build)\n";
  return s;
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "train", "Train a zoo model (or fine-tune an ONNX model) with the LibTorch backend");
  static std::string config_file;
  static std::map<std::string, std::string> values;  // key -> flag value as given
  static std::map<std::string, bool> bools;
  static std::map<std::string, CLI::Option*> options;
  cmd->add_option("--config", config_file,
                  "YAML experiment config (configs/*.yaml); flags override it");
  const train::TrainConfig defaults;
  for (const train::ConfigKey& k : train::config_keys()) {
    const std::string key = k.key;
    const std::string help = fmt::format("{} (default {})", k.help, k.get(defaults));
    std::string names = flag_name(key);
    if (key == "run_dir") names = "-o," + names;
    bool is_bool = k.get(defaults) == "true" || k.get(defaults) == "false";
    if (is_bool) {
      names += ",!--no-" + flag_name(key).substr(2);
      options[key] = cmd->add_flag(names, bools[key], help);
    } else {
      options[key] = cmd->add_option(names, values[key], help)->check(config_value(key));
    }
  }
  static int nproc = 0;
  cmd->add_option("--nproc", nproc,
                  "Data-parallel on this host: run N processes (ranks) of this command; "
                  "multi-host jobs set RANK, WORLD_SIZE, MASTER_ADDR, MASTER_PORT instead")
      ->check(integer_in(0, 1024));
  static int benchmark_steps = 0;
  cmd->add_option("--benchmark-steps", benchmark_steps,
                  "Only time N training steps on random data (10 classes) and print images/s")
      ->check(non_negative());
  cmd->footer(seed_flag_table());
  cmd->callback([] {
    if (nproc > 1) {
      if (options["rank"]->count() || options["world_size"]->count())
        fail("--nproc sets each process's rank and world size: drop --rank/--world-size");
      launch_local_ranks(nproc,
                         options["master_port"]->count() ? static_cast<int>(ir::parse_int("--master-port", values["master_port"], 0, 65535)) : 0);
      return;
    }
    train::TrainConfig cfg;
    if (!config_file.empty()) train::load_config_yaml(config_file, cfg);
    train::apply_launcher_env(cfg);  // torchrun-style variables; flags override them
    for (const auto& [key, option] : options) {
      if (option->count() == 0) continue;
      if (bools.count(key))
        train::set_config_value(cfg, key, bools[key] ? "true" : "false");
      else
        train::set_config_value(cfg, key, values[key]);
    }
    if (benchmark_steps > 0) {
      double rate = train::benchmark_training_steps(cfg, 10, benchmark_steps);
      fmt::print(
          "{{\"images_per_s\": {:.1f}, \"model\": \"{}\", \"width\": {}, \"resolution\": {}, "
          "\"batch_size\": {}, \"threads\": {}}}\n",
          rate, cfg.model, cfg.width, cfg.resolution, cfg.batch_size, cfg.threads);
      return;
    }
    train::TrainResult r = train::run_training(cfg);
    if (cfg.rank != 0) return;  // rank 0 reports for the job
    if (r.stopped_early) {
      fmt::print("stopped after epoch {} as asked (--stop-after-epochs); resume with --resume\n",
                 r.epochs_done);
      return;
    }
    fmt::print(
        "done: {} epochs, test top-1 {:.2f}% (best {:.2f}%), {:.1f} min, {:.0f} train images/s\n",
        r.epochs_done, r.final_top1, r.best_top1, r.seconds / 60, r.images_per_s);
    fmt::print("models: {}/final.onnx, best.onnx; logs: metrics.jsonl, TensorBoard events\n",
               cfg.run_dir);
  });
}

}  // namespace qcv::cli
