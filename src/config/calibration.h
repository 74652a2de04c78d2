// The calibration settings a user can give (qcv ptq flags; qcv qat and the workflow use the
// defaults), checked before a pass over the data: a setting the method cannot use is an error,
// never a silent fall-back to max calibration.
#pragma once
#include "quant/quant.h"

namespace qcv::config {

// Throws qcv::Error naming the setting: num_bins < 1, or <= 256 for entropy (the symmetric and
// one-sided int8 candidates need more bins than levels); percentile outside (0, 100] or NaN.
void check_calibration(const quant::CalibrationOptions& options);

}  // namespace qcv::config
