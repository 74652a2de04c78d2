// One builder per architecture family; models.cpp dispatches model names to them.
#pragma once
#include "ir/ir.h"
#include "models/models.h"

namespace qcv::models {

ir::Graph build_mobilenet_v1(const ModelSpec& spec);
ir::Graph build_mobilenet_v2(const ModelSpec& spec);

enum class V3Size { Large, Small };
// minimalistic: no squeeze-excite, no hard-swish, no 5x5 kernels (ReLU and 3x3 everywhere).
ir::Graph build_mobilenet_v3(const ModelSpec& spec, V3Size size, bool minimalistic);

// MobileNet EdgeTPU: fused inverted bottlenecks early, regular ones later (see the .cpp).
ir::Graph build_mobilenet_edgetpu(const ModelSpec& spec);

// Where the four ResNet layouts differ (resnet.cpp has the details).
enum class ResNetStyle {
  Torchvision,  // v1.5, post-activation: stride on the bottleneck's 3x3 conv, convs without bias
  TorchV2,      // pre-activation, the authors' Torch code: stride on a stage's first unit
  Keras,        // keras.applications ResNet50/101/152: stride on the first 1x1 conv, conv biases
  KerasV2,      // keras.applications ResNet50V2/...: stride on a stage's last unit, pooled shortcut
};
// depth: 18, 34, 50, 101 or 152 (the Keras styles: bottleneck depths 50, 101, 152).
ir::Graph build_resnet(const ModelSpec& spec, int depth, ResNetStyle style);

}  // namespace qcv::models
