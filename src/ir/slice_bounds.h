// ONNX Slice's clamping of one axis, shared by shape inference and the reference kernel so that
// both agree on every start/end/step (negative steps, out-of-range and INT64_MAX ends).
#pragma once
#include <algorithm>
#include <cstdint>

namespace qcv::ir {

struct SliceAxis {
  int64_t start = 0;  // first index read
  int64_t count = 0;  // number of elements read
};

// dim >= 0, step != 0 (the caller checks).
inline SliceAxis slice_axis(int64_t dim, int64_t start, int64_t end, int64_t step) {
  if (start < 0) start += dim;  // no overflow: start < 0 <= dim
  if (end < 0) end += dim;
  SliceAxis r;
  if (step > 0) {
    start = std::clamp<int64_t>(start, 0, dim);
    end = std::clamp<int64_t>(end, 0, dim);
    r.start = start;
    r.count = end > start ? (end - start - 1) / step + 1 : 0;  // no overflow for huge steps
  } else {
    start = std::clamp<int64_t>(start, -1, dim - 1);
    end = std::clamp<int64_t>(end, -1, dim - 1);
    r.start = start;
    const int64_t back = step == INT64_MIN ? INT64_MAX : -step;
    r.count = start > end ? (start - end - 1) / back + 1 : 0;
  }
  return r;
}

}  // namespace qcv::ir
