// qcv train: a YAML experiment config and/or flags -> RUN_DIR with checkpoints, logs, models.
#include <fmt/format.h>

#include <memory>

#include "cli/commands.h"
#include "cli/config_flags.h"
#include "cli/option_checks.h"
#include "cli/launch_local.h"
#include "ir/parse_value.h"
#include "train/train.h"

namespace qcv::cli {
namespace {

std::string seed_flag_table() {
  std::string s = "\nSeed trainer flags (MobileNet TF2 trainer) and their qcv names:\n";
  for (const train::ConfigKey& k : train::config_keys())
    for (const std::string& seed : train::seed_flag_names(k))
      s += fmt::format("  --{:<26} {}\n", seed, flag_name(k.key));
  s += "  Each seed spelling is accepted as a flag. data_dir: give the folder as --dataset (an\n"
       "  image folder, or cifar10:DIR). batch_norm_decay is the ONNX momentum (same meaning).\n";
  return s;
}

}  // namespace

void add_train_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "train", "Train a zoo model (or fine-tune an ONNX model) with the LibTorch backend");
  static std::string config_file;
  cmd->add_option("--config", config_file,
                  "YAML experiment config (configs/*.yaml); flags override it");
  static std::unique_ptr<TrainFlags> flags;  // the callback reads it: static, renewed per call
  flags = std::make_unique<TrainFlags>(cmd, train::TrainConfig{}, true);
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
      if (flags->given("rank") || flags->given("world_size"))
        fail("--nproc sets each process's rank and world size: drop --rank/--world-size");
      launch_local_ranks(nproc, flags->given("master_port")
                                    ? static_cast<int>(ir::parse_int(
                                          "--master-port", flags->value("master_port"), 0, 65535))
                                    : 0);
      return;
    }
    train::TrainConfig cfg;
    if (!config_file.empty()) train::load_config_yaml(config_file, cfg);
    train::apply_launcher_env(cfg);  // torchrun-style variables; flags override them
    flags->apply(cfg);
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
