// libFuzzer target: YAML experiment configs (qcv train/qat, `qcv workflow`) through the loaders
// the commands use. Bad input must end in qcv::Error (or yaml-cpp's parse error), never a crash,
// and an accepted trainer config must survive config_to_yaml -> reload unchanged.
// fuzz-libs: qcv_config
#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <cstdlib>
#include <string>

#include "config/train_config.h"
#include "config/workflow_config.h"
#include "ir/error.h"

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  if (size > (1 << 16)) return 0;  // configs are small; deep YAML nesting is yaml-cpp's to bound
  const std::string text(reinterpret_cast<const char*>(data), size);
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception&) {
    return 0;
  }
  try {
    qcv::config::parse_workflow(root, "fuzz.yaml");
  } catch (const qcv::Error&) {
  }
  try {
    qcv::train::TrainConfig cfg;
    qcv::train::apply_config_node(root, cfg, "fuzz.yaml");
    const std::string written = qcv::train::config_to_yaml(cfg);
    qcv::train::TrainConfig again;
    qcv::train::apply_config_node(YAML::Load(written), again, "written");
    if (qcv::train::config_to_yaml(again) != written) std::abort();  // a value did not round-trip
  } catch (const qcv::Error&) {
  }
  return 0;
}
