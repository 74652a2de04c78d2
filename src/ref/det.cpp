// Det: the determinant of each trailing M x M matrix, by LU decomposition with partial pivoting.
#include <cmath>

#include "ref/kernel.h"

namespace qcv::ref::detail {

std::vector<ir::Tensor> det(const KernelArgs& a) {
  const ir::Tensor& x = a.in(0);
  ir::Tensor y = a.make_output(0);
  const int64_t m = x.dim(x.rank() - 1);
  const int64_t batch = y.numel();
  std::vector<double> lu(m * m);
  for (int64_t b = 0; b < batch; ++b) {
    for (int64_t i = 0; i < m * m; ++i) lu[i] = x.as_double(b * m * m + i);
    double d = 1;
    for (int64_t c = 0; c < m && d != 0; ++c) {
      int64_t pivot = c;
      for (int64_t r = c + 1; r < m; ++r)
        if (std::abs(lu[r * m + c]) > std::abs(lu[pivot * m + c])) pivot = r;
      if (lu[pivot * m + c] == 0) {
        d = 0;
        break;
      }
      if (pivot != c) {
        for (int64_t k = 0; k < m; ++k) std::swap(lu[c * m + k], lu[pivot * m + k]);
        d = -d;
      }
      d *= lu[c * m + c];
      for (int64_t r = c + 1; r < m; ++r) {
        const double f = lu[r * m + c] / lu[c * m + c];
        for (int64_t k = c; k < m; ++k) lu[r * m + k] -= f * lu[c * m + k];
      }
    }
    y.set_double(b, d);
  }
  return {y};
}

}  // namespace qcv::ref::detail
