// Model names -> family builders, and validation of the spec.
#include "models/models.h"

#include <cmath>
#include <functional>
#include <map>

#include "models/families.h"

namespace qcv::models {

namespace {

using Builder = std::function<ir::Graph(const ModelSpec&)>;

const std::map<std::string, Builder>& builders() {
  static const std::map<std::string, Builder> m = {
      {"mobilenet_v1", build_mobilenet_v1},
      {"mobilenet_v2", build_mobilenet_v2},
      {"mobilenet_v3_large", [](auto& s) { return build_mobilenet_v3(s, V3Size::Large, false); }},
      {"mobilenet_v3_small", [](auto& s) { return build_mobilenet_v3(s, V3Size::Small, false); }},
      {"mobilenet_v3_large_minimalistic",
       [](auto& s) { return build_mobilenet_v3(s, V3Size::Large, true); }},
      {"mobilenet_v3_small_minimalistic",
       [](auto& s) { return build_mobilenet_v3(s, V3Size::Small, true); }},
      {"mobilenet_edgetpu", build_mobilenet_edgetpu},
      {"resnet18", [](auto& s) { return build_resnet(s, 18, ResNetStyle::Torchvision); }},
      {"resnet34", [](auto& s) { return build_resnet(s, 34, ResNetStyle::Torchvision); }},
      {"resnet50", [](auto& s) { return build_resnet(s, 50, ResNetStyle::Torchvision); }},
      {"resnet101", [](auto& s) { return build_resnet(s, 101, ResNetStyle::Torchvision); }},
      {"resnet152", [](auto& s) { return build_resnet(s, 152, ResNetStyle::Torchvision); }},
      {"resnet50_v2", [](auto& s) { return build_resnet(s, 50, ResNetStyle::TorchV2); }},
      {"resnet101_v2", [](auto& s) { return build_resnet(s, 101, ResNetStyle::TorchV2); }},
      {"resnet152_v2", [](auto& s) { return build_resnet(s, 152, ResNetStyle::TorchV2); }},
      {"resnet50_keras", [](auto& s) { return build_resnet(s, 50, ResNetStyle::Keras); }},
      {"resnet101_keras", [](auto& s) { return build_resnet(s, 101, ResNetStyle::Keras); }},
      {"resnet152_keras", [](auto& s) { return build_resnet(s, 152, ResNetStyle::Keras); }},
      {"resnet50_v2_keras", [](auto& s) { return build_resnet(s, 50, ResNetStyle::KerasV2); }},
      {"resnet101_v2_keras", [](auto& s) { return build_resnet(s, 101, ResNetStyle::KerasV2); }},
      {"resnet152_v2_keras", [](auto& s) { return build_resnet(s, 152, ResNetStyle::KerasV2); }},
  };
  return m;
}

}  // namespace

std::vector<std::string> model_names() {
  std::vector<std::string> names;
  for (const auto& [name, builder] : builders()) names.push_back(name);
  return names;
}

ir::Graph build(const ModelSpec& spec) {
  auto it = builders().find(spec.name);
  if (it == builders().end()) {
    std::string known;
    for (const std::string& n : model_names()) known += (known.empty() ? "" : ", ") + n;
    fail("models: unknown model '{}' (known: {})", spec.name, known);
  }
  if (!(spec.width > 0.0f) || !std::isfinite(spec.width) || spec.width > 16.0f)
    fail("models: {}: width multiplier must be in (0, 16], got {}", spec.name, spec.width);
  if (spec.resolution < 8 || spec.resolution > 4096)
    fail("models: {}: resolution must be in [8, 4096], got {}", spec.name, spec.resolution);
  if (spec.classes < 1) fail("models: {}: classes must be >= 1, got {}", spec.name, spec.classes);
  if (spec.in_channels < 1)
    fail("models: {}: in_channels must be >= 1, got {}", spec.name, spec.in_channels);
  if (!(spec.dropout >= 0.0f && spec.dropout < 1.0f))
    fail("models: {}: dropout must be in [0, 1), got {}", spec.name, spec.dropout);
  return it->second(spec);
}

}  // namespace qcv::models
