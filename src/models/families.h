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

// depth: 18, 34, 50, 101 or 152. preactivation: ResNet v2 (BN-ReLU before each conv).
ir::Graph build_resnet(const ModelSpec& spec, int depth, bool preactivation);

}  // namespace qcv::models
