// qcv shards: an ImageFolder into WebDataset-style tar shards (layout in src/data/data.h).
// Built only with the data layer (QCV_HAVE_DATA); otherwise this file is empty.
#ifdef QCV_HAVE_DATA
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <cstdio>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "data/data.h"

namespace qcv::cli {

void add_shards_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "shards", "Write an ImageFolder as tar shards (shard-NNNNNN.tar: <key>.jpg + <key>.cls)");
  static std::string root, out_dir;
  static size_t shard_size = 1000;
  static bool shuffle = false;
  static uint64_t seed = 0;
  static std::string verify = "none";
  cmd->add_option("root", root, "ImageFolder root (root/<class>/<image>)")->required();
  cmd->add_option("-o,--output", out_dir, "Output directory for the shards")->required();
  cmd->add_option("--shard-size", shard_size, "Samples per shard")
      ->default_val(1000)
      ->check(integer_in(1, INT64_MAX));
  cmd->add_flag("--shuffle", shuffle, "Write the samples in a random order (mixes classes)");
  cmd->add_option("--seed", seed, "Seed of --shuffle")->default_val(0)->check(integer_in(0, INT64_MAX));
  cmd->add_option("--verify", verify, "Check images before writing: none, header, full")
      ->default_val("none")
      ->check(CLI::IsMember({"none", "header", "full"}));
  cmd->callback([] {
    data::ImageFolderOptions folder_options;
    folder_options.verify = verify == "full"     ? data::ImageFolderOptions::Verify::Full
                            : verify == "header" ? data::ImageFolderOptions::Verify::Header
                                                 : data::ImageFolderOptions::Verify::None;
    data::ImageFolderDataset folder(root, folder_options);
    data::ShardWriterOptions options;
    options.samples_per_shard = shard_size;
    options.shuffle = shuffle;
    options.seed = seed;
    const bool tty = ::isatty(fileno(stderr));
    const auto start = std::chrono::steady_clock::now();
    options.progress = [&](size_t done, size_t total) {
      if (!tty || (done % 256 != 0 && done != total)) return;
      double seconds =
          std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
      double eta = done > 0 ? seconds * (total - done) / done : 0;
      std::fprintf(stderr, "\r%zu/%zu samples, ETA %.0f s   %s", done, total, eta,
                   done == total ? "\n" : "");
    };
    std::vector<std::string> shards = data::write_shards(folder, out_dir, options);
    double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    fmt::print("{}: {} samples, {} classes -> {} shards in {} ({:.1f} s)\n", root, folder.size(),
               folder.num_classes(), shards.size(), out_dir, seconds);
  });
}

}  // namespace qcv::cli
#endif  // QCV_HAVE_DATA
