#include "config/calibration.h"

#include "ir/error.h"

namespace qcv::config {

void check_calibration(const quant::CalibrationOptions& o) {
  // entropy_threshold compares up to 256 quantized levels (one-sided uint8) against the bins;
  // with as few bins as levels it returns the max range.
  constexpr int kEntropyLevels = 256;
  if (o.num_bins < 1) fail("calibration: {} histogram bins, need at least 1", o.num_bins);
  if (o.method == quant::CalibrationMethod::Entropy && o.num_bins <= kEntropyLevels)
    fail("calibration: entropy needs more than {} histogram bins, got {}", kEntropyLevels,
         o.num_bins);
  if (!(o.percentile > 0 && o.percentile <= 100))
    fail("calibration: percentile {} is not in (0, 100]", o.percentile);
}

}  // namespace qcv::config
