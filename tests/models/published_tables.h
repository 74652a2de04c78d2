// The published MACs/params figures the zoo is checked against, transcribed by hand.
// TF rows: tensorflow/models research/mobilenet README (copied in shared/seeds/004_*.txt), 1001
// classes. ResNet rows: torchvision's model documentation ("GFLOPS" there are multiply-adds),
// 1000 classes; keras.applications' documented parameter counts (see keras_resnets()).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

namespace qcv::models::published {

struct Row {
  std::string name;
  float width;
  int resolution;
  double mmacs;    // million multiply-adds, as printed
  double mparams;  // million parameters, as printed
};

inline const std::vector<Row>& tf_mobilenet_v1() {
  static const std::vector<Row> rows = {
      {"mobilenet_v1", 1.0f, 224, 569, 4.24},  {"mobilenet_v1", 1.0f, 192, 418, 4.24},
      {"mobilenet_v1", 1.0f, 160, 291, 4.24},  {"mobilenet_v1", 1.0f, 128, 186, 4.24},
      {"mobilenet_v1", 0.75f, 224, 317, 2.59}, {"mobilenet_v1", 0.75f, 192, 233, 2.59},
      {"mobilenet_v1", 0.75f, 160, 162, 2.59}, {"mobilenet_v1", 0.75f, 128, 104, 2.59},
      {"mobilenet_v1", 0.5f, 224, 150, 1.34},  {"mobilenet_v1", 0.5f, 192, 110, 1.34},
      {"mobilenet_v1", 0.5f, 160, 77, 1.34},   {"mobilenet_v1", 0.5f, 128, 49, 1.34},
      {"mobilenet_v1", 0.25f, 224, 41, 0.47},  {"mobilenet_v1", 0.25f, 192, 34, 0.47},
      {"mobilenet_v1", 0.25f, 160, 21, 0.47},  {"mobilenet_v1", 0.25f, 128, 14, 0.47},
  };
  return rows;
}

inline const std::vector<Row>& tf_mobilenet_v2() {
  static const std::vector<Row> rows = {
      {"mobilenet_v2", 1.4f, 224, 582, 6.06},  {"mobilenet_v2", 1.3f, 224, 509, 5.34},
      {"mobilenet_v2", 1.0f, 224, 300, 3.47},  {"mobilenet_v2", 1.0f, 192, 221, 3.47},
      {"mobilenet_v2", 1.0f, 160, 154, 3.47},  {"mobilenet_v2", 1.0f, 128, 99, 3.47},
      {"mobilenet_v2", 1.0f, 96, 56, 3.47},    {"mobilenet_v2", 0.75f, 224, 209, 2.61},
      {"mobilenet_v2", 0.75f, 192, 153, 2.61}, {"mobilenet_v2", 0.75f, 160, 107, 2.61},
      {"mobilenet_v2", 0.75f, 128, 69, 2.61},  {"mobilenet_v2", 0.75f, 96, 39, 2.61},
      {"mobilenet_v2", 0.5f, 224, 97, 1.95},   {"mobilenet_v2", 0.5f, 192, 71, 1.95},
      {"mobilenet_v2", 0.5f, 160, 50, 1.95},   {"mobilenet_v2", 0.5f, 128, 32, 1.95},
      {"mobilenet_v2", 0.5f, 96, 18, 1.95},    {"mobilenet_v2", 0.35f, 224, 59, 1.66},
      {"mobilenet_v2", 0.35f, 192, 43, 1.66},  {"mobilenet_v2", 0.35f, 160, 30, 1.66},
      {"mobilenet_v2", 0.35f, 128, 20, 1.66},  {"mobilenet_v2", 0.35f, 96, 11, 1.66},
  };
  return rows;
}

inline const std::vector<Row>& tf_mobilenet_v3() {
  static const std::vector<Row> rows = {
      {"mobilenet_v3_large", 1.0f, 224, 217, 5.4},
      {"mobilenet_v3_large", 0.75f, 224, 155, 4.0},
      {"mobilenet_v3_small", 1.0f, 224, 66, 2.9},
      {"mobilenet_v3_small", 0.75f, 224, 44, 2.4},
      {"mobilenet_v3_large_minimalistic", 1.0f, 224, 209, 3.9},
      {"mobilenet_v3_small_minimalistic", 1.0f, 224, 65, 2.0},
  };
  return rows;
}

inline const std::vector<Row>& torchvision_resnets() {
  static const std::vector<Row> rows = {
      {"resnet18", 1.0f, 224, 1820, 11.69},   {"resnet34", 1.0f, 224, 3670, 21.80},
      {"resnet50", 1.0f, 224, 4090, 25.56},   {"resnet101", 1.0f, 224, 7830, 44.55},
      {"resnet152", 1.0f, 224, 11560, 60.19},
  };
  return rows;
}

// The MobileNet library's EdgeTPU rows (shared/seeds/004_*.txt, 1001 classes): MACs and params
// are truncated there, and the params count no BN parameters (see TfMobileNetEdgeTpuTableExactly).
inline const std::vector<Row>& tf_mobilenet_edgetpu() {
  static const std::vector<Row> rows = {
      {"mobilenet_edgetpu", 1.0f, 224, 990, 4.0},
      {"mobilenet_edgetpu", 0.75f, 224, 624, 2.9},
  };
  return rows;
}

// keras.applications' ResNets (ImageNet, 1000 classes, with top). Params: the documented totals
// (Keras' "Total params", which count the BN moving mean and variance too; exact figures in
// keras_total_params()). MACs: Keras publishes none; the v1 rows take He et al. 2016's Table 1
// (3.8, 7.6, 11.3 x 10^9 FLOPs, i.e. multiply-adds, of the original layout Keras ports, stride on
// the first 1x1 conv); the V2 rows have none (-1) and are checked by hand in
// KerasResNetsByHand.
inline const std::vector<Row>& keras_resnets() {
  static const std::vector<Row> rows = {
      {"resnet50_keras", 1.0f, 224, 3800, 25.64},   {"resnet101_keras", 1.0f, 224, 7600, 44.71},
      {"resnet152_keras", 1.0f, 224, 11300, 60.42}, {"resnet50_v2_keras", 1.0f, 224, -1, 25.61},
      {"resnet101_v2_keras", 1.0f, 224, -1, 44.68}, {"resnet152_v2_keras", 1.0f, 224, -1, 60.38},
  };
  return rows;
}

inline int64_t keras_total_params(const std::string& name) {
  if (name == "resnet50_keras") return 25636712;
  if (name == "resnet101_keras") return 44707176;
  if (name == "resnet152_keras") return 60419944;
  if (name == "resnet50_v2_keras") return 25613800;
  if (name == "resnet101_v2_keras") return 44675560;
  if (name == "resnet152_v2_keras") return 60380648;
  return -1;
}

}  // namespace qcv::models::published
