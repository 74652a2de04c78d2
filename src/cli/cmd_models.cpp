// qcv models: the zoo table (MACs and params per variant, like the published tables).
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "models/zoo_table.h"

namespace qcv::cli {

void add_models_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("models", "List the model zoo with MACs and parameter counts");
  static bool json = false;
  static std::string family;
  cmd->add_flag("--json", json, "Print JSON (keys: model, width, resolution, classes, macs, params)");
  cmd->add_option("--family", family, "Only models whose name starts with this (e.g. mobilenet_v2)");
  cmd->callback([] {
    nlohmann::json rows = nlohmann::json::array();
    if (!json)
      fmt::print("{:<34} {:>6} {:>5} {:>8} {:>10} {:>10}\n", "model", "width", "res", "classes",
                 "MMACs", "Mparams");
    for (const models::ZooEntry& e : models::zoo_table()) {
      if (!family.empty() && e.spec.name.rfind(family, 0) != 0) continue;
      if (json) {
        rows.push_back({{"model", e.spec.name}, {"width", e.spec.width},
                        {"resolution", e.spec.resolution}, {"classes", e.spec.classes},
                        {"macs", e.cost.macs}, {"params", e.cost.params}});
      } else {
        fmt::print("{:<34} {:>6.2f} {:>5} {:>8} {:>10.1f} {:>10.2f}\n", e.spec.name, e.spec.width,
                   e.spec.resolution, e.spec.classes, e.cost.macs / 1e6, e.cost.params / 1e6);
      }
    }
    if (json) fmt::print("{}\n", rows.dump(2));
  });
}

}  // namespace qcv::cli
