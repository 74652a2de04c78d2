// qcv models: the zoo table (MACs and params per variant, like the published tables).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include <cmath>

#include "cli/commands.h"
#include "cli/models_chart.h"
#include "ir/atomic_file.h"
#include "ir/input_file.h"
#include "models/zoo_table.h"

namespace qcv::cli {

void add_models_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("models", "List the model zoo with MACs and parameter counts");
  static bool json = false;
  static std::string family;
  cmd->add_flag("--json", json, "Print JSON (keys: model, width, resolution, classes, macs, params)");
  cmd->add_option("--family", family, "Only models whose name starts with this (e.g. mobilenet_v2)");
  static std::string accuracy, plot;
  cmd->add_option("--accuracy", accuracy,
                  "CSV of measured top-1: header model,width,resolution,top1 (e.g. "
                  "configs/mobilenet_published_top1.csv); adds a top1 column");
  cmd->add_option("--plot", plot,
                  "With --accuracy: write MACs vs top-1 as PLOT.png and PLOT.svg");
  cmd->callback([] {
    if (!plot.empty() && accuracy.empty()) fail("--plot needs --accuracy FILE (the top-1 to plot)");
    std::vector<MeasuredAccuracy> measured;
    if (!accuracy.empty()) measured = read_accuracy_csv(accuracy);
    if (!plot.empty()) ir::require_output_folder(plot + ".png");
    const std::vector<models::ZooEntry> zoo = models::zoo_table();
    if (!plot.empty()) {
      const ChartImages chart =
          draw_scatter(macs_top1_chart(zoo, measured, "MACs vs top-1 (" + accuracy + ")"), 1000, 700);
      write_chart(chart, plot);
      fmt::print(stderr, "wrote {}.png and {}.svg ({} variants)\n", plot, plot, measured.size());
    }
    auto top1_of = [&](const models::ModelSpec& s) -> const MeasuredAccuracy* {
      for (const MeasuredAccuracy& a : measured)
        if (a.model == s.name && std::abs(a.width - s.width) < 1e-3 && a.resolution == s.resolution)
          return &a;
      return nullptr;
    };
    nlohmann::json rows = nlohmann::json::array();
    if (!json)
      fmt::print("{:<34} {:>6} {:>5} {:>8} {:>10} {:>10}{}\n", "model", "width", "res", "classes",
                 "MMACs", "Mparams", measured.empty() ? "" : "   top1");
    for (const models::ZooEntry& e : zoo) {
      if (!family.empty() && e.spec.name.rfind(family, 0) != 0) continue;
      if (json) {
        rows.push_back({{"model", e.spec.name}, {"width", e.spec.width},
                        {"resolution", e.spec.resolution}, {"classes", e.spec.classes},
                        {"macs", e.cost.macs}, {"params", e.cost.params}});
        if (const MeasuredAccuracy* a = top1_of(e.spec)) rows.back()["top1"] = a->top1;
      } else {
        const MeasuredAccuracy* a = top1_of(e.spec);
        fmt::print("{:<34} {:>6.2f} {:>5} {:>8} {:>10.1f} {:>10.2f}{}\n", e.spec.name, e.spec.width,
                   e.spec.resolution, e.spec.classes, e.cost.macs / 1e6, e.cost.params / 1e6,
                   a ? fmt::format(" {:>6.1f}", a->top1) : "");
      }
    }
    if (json) fmt::print("{}\n", rows.dump(2));
  });
}

}  // namespace qcv::cli
