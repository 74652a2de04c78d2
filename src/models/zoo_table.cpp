#include "models/zoo_table.h"

namespace qcv::models {

namespace {

ModelSpec make_spec(const std::string& name, float width, int resolution, int classes) {
  ModelSpec s;
  s.name = name;
  s.width = width;
  s.resolution = resolution;
  s.classes = classes;
  s.init_weights = false;
  return s;
}

}  // namespace

std::vector<ModelSpec> zoo_specs() {
  constexpr int kTfClasses = 1001;  // TF checkpoints have a background class
  std::vector<ModelSpec> specs;
  for (float w : {1.0f, 0.75f, 0.5f, 0.25f})
    for (int r : {224, 192, 160, 128}) specs.push_back(make_spec("mobilenet_v1", w, r, kTfClasses));
  for (float w : {1.4f, 1.3f}) specs.push_back(make_spec("mobilenet_v2", w, 224, kTfClasses));
  for (float w : {1.0f, 0.75f, 0.5f, 0.35f})
    for (int r : {224, 192, 160, 128, 96})
      specs.push_back(make_spec("mobilenet_v2", w, r, kTfClasses));
  for (const char* name : {"mobilenet_v3_large", "mobilenet_v3_small"})
    for (float w : {1.0f, 0.75f}) specs.push_back(make_spec(name, w, 224, kTfClasses));
  for (const char* name : {"mobilenet_v3_large_minimalistic", "mobilenet_v3_small_minimalistic"})
    specs.push_back(make_spec(name, 1.0f, 224, kTfClasses));
  for (float w : {1.0f, 0.75f}) specs.push_back(make_spec("mobilenet_edgetpu", w, 224, kTfClasses));
  for (const char* name :
       {"resnet18", "resnet34", "resnet50", "resnet101", "resnet152", "resnet50_v2", "resnet101_v2",
        "resnet152_v2", "resnet50_keras", "resnet101_keras", "resnet152_keras", "resnet50_v2_keras",
        "resnet101_v2_keras", "resnet152_v2_keras"})
    specs.push_back(make_spec(name, 1.0f, 224, 1000));
  return specs;
}

std::vector<ZooEntry> zoo_table() {
  std::vector<ZooEntry> rows;
  for (const ModelSpec& spec : zoo_specs()) rows.push_back({spec, count_cost(build(spec))});
  return rows;
}

}  // namespace qcv::models
