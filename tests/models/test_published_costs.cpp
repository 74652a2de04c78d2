// MACs and params of the zoo against the published tables: TF's MobileNet V1/V2/V3 checkpoint
// tables (1001 classes; /work/shared/seeds/004_*.txt, the tensorflow/models mobilenet README) and
// torchvision's ResNet figures (1000 classes). Tolerance 3%.
#include <gtest/gtest.h>

#include <cmath>
#include <string>
#include <vector>

#include "models/zoo_table.h"

namespace qcv::models {
namespace {

struct Published {
  std::string name;
  float width;
  int resolution;
  double mmacs;     // million multiply-adds
  double mparams;   // million parameters
};

// Transcribed from the tables (MACs (M), Params (M)).
const std::vector<Published>& published() {
  static const std::vector<Published> rows = {
      // Mobilenet V1 Imagenet TF1 Checkpoints
      {"mobilenet_v1", 1.0f, 224, 569, 4.24}, {"mobilenet_v1", 1.0f, 192, 418, 4.24},
      {"mobilenet_v1", 1.0f, 160, 291, 4.24}, {"mobilenet_v1", 1.0f, 128, 186, 4.24},
      {"mobilenet_v1", 0.75f, 224, 317, 2.59}, {"mobilenet_v1", 0.75f, 192, 233, 2.59},
      {"mobilenet_v1", 0.75f, 160, 162, 2.59}, {"mobilenet_v1", 0.75f, 128, 104, 2.59},
      {"mobilenet_v1", 0.5f, 224, 150, 1.34}, {"mobilenet_v1", 0.5f, 192, 110, 1.34},
      {"mobilenet_v1", 0.5f, 160, 77, 1.34}, {"mobilenet_v1", 0.5f, 128, 49, 1.34},
      {"mobilenet_v1", 0.25f, 224, 41, 0.47}, {"mobilenet_v1", 0.25f, 192, 34, 0.47},
      {"mobilenet_v1", 0.25f, 160, 21, 0.47}, {"mobilenet_v1", 0.25f, 128, 14, 0.47},
      // Mobilenet V2 Imagenet TensorFlow 1 checkpoints
      {"mobilenet_v2", 1.4f, 224, 582, 6.06}, {"mobilenet_v2", 1.3f, 224, 509, 5.34},
      {"mobilenet_v2", 1.0f, 224, 300, 3.47}, {"mobilenet_v2", 1.0f, 192, 221, 3.47},
      {"mobilenet_v2", 1.0f, 160, 154, 3.47}, {"mobilenet_v2", 1.0f, 128, 99, 3.47},
      {"mobilenet_v2", 1.0f, 96, 56, 3.47},   {"mobilenet_v2", 0.75f, 224, 209, 2.61},
      {"mobilenet_v2", 0.75f, 192, 153, 2.61}, {"mobilenet_v2", 0.75f, 160, 107, 2.61},
      {"mobilenet_v2", 0.75f, 128, 69, 2.61}, {"mobilenet_v2", 0.75f, 96, 39, 2.61},
      {"mobilenet_v2", 0.5f, 224, 97, 1.95},  {"mobilenet_v2", 0.5f, 192, 71, 1.95},
      {"mobilenet_v2", 0.5f, 160, 50, 1.95},  {"mobilenet_v2", 0.5f, 128, 32, 1.95},
      {"mobilenet_v2", 0.5f, 96, 18, 1.95},   {"mobilenet_v2", 0.35f, 224, 59, 1.66},
      {"mobilenet_v2", 0.35f, 192, 43, 1.66}, {"mobilenet_v2", 0.35f, 160, 30, 1.66},
      {"mobilenet_v2", 0.35f, 128, 20, 1.66}, {"mobilenet_v2", 0.35f, 96, 11, 1.66},
      // MobileNetV3 Imagenet TensorFlow 1 Checkpoints
      {"mobilenet_v3_large", 1.0f, 224, 217, 5.4}, {"mobilenet_v3_large", 0.75f, 224, 155, 4.0},
      {"mobilenet_v3_small", 1.0f, 224, 66, 2.9}, {"mobilenet_v3_small", 0.75f, 224, 44, 2.4},
      {"mobilenet_v3_large_minimalistic", 1.0f, 224, 209, 3.9},
      {"mobilenet_v3_small_minimalistic", 1.0f, 224, 65, 2.0},
      // torchvision (1000 classes): GFLOPS column (multiply-adds) and params
      {"resnet18", 1.0f, 224, 1820, 11.69}, {"resnet34", 1.0f, 224, 3670, 21.80},
      {"resnet50", 1.0f, 224, 4090, 25.56}, {"resnet101", 1.0f, 224, 7830, 44.55},
      {"resnet152", 1.0f, 224, 11560, 60.19},
  };
  return rows;
}

TEST(PublishedCosts, EveryPublishedRowWithin3Percent) {
  std::vector<ZooEntry> zoo = zoo_table();
  int failures = 0;
  for (const Published& p : published()) {
    const ZooEntry* row = nullptr;
    for (const ZooEntry& e : zoo)
      if (e.spec.name == p.name && e.spec.width == p.width && e.spec.resolution == p.resolution)
        row = &e;
    ASSERT_NE(row, nullptr) << p.name << " " << p.width << " " << p.resolution << " not in zoo";
    double macs = row->cost.macs / 1e6, params = row->cost.params / 1e6;
    double macs_ratio = macs / p.mmacs, params_ratio = params / p.mparams;
    bool ok = std::abs(macs_ratio - 1) <= 0.03 && std::abs(params_ratio - 1) <= 0.03;
    failures += !ok;
    std::printf("%-34s %4.2f %3d  MACs %9.2f M (published %6.0f, x%.3f)  params %7.3f M "
                "(published %6.2f, x%.3f)%s\n",
                p.name.c_str(), p.width, p.resolution, macs, p.mmacs, macs_ratio, params,
                p.mparams, params_ratio, ok ? "" : "  <-- off");
  }
  EXPECT_EQ(failures, 0);
}

}  // namespace
}  // namespace qcv::models
