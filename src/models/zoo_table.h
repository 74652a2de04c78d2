// The variants `qcv models` lists, with their MACs and params: the rows of the published tables
// (TF's MobileNet checkpoints with 1001 classes, torchvision's and keras.applications' ResNets
// with 1000).
#pragma once
#include <vector>

#include "models/models.h"

namespace qcv::models {

struct ZooEntry {
  ModelSpec spec;
  Cost cost;
};

// MobileNet V1: widths 1.0/0.75/0.5/0.25 x 224/192/160/128; V2: 1.4 and 1.3 at 224, then
// 1.0/0.75/0.5/0.35 x 224/192/160/128/96; V3 large/small at 1.0 and 0.75 and the minimalistic
// ones at 224; MobileNet EdgeTPU 1.0 and 0.75 at 224; ResNets at 224. Costs are computed by
// building each graph without weights.
std::vector<ZooEntry> zoo_table();

// The specs alone (no building).
std::vector<ModelSpec> zoo_specs();

}  // namespace qcv::models
