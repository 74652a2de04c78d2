#include "runtime/window.h"

#include <algorithm>

namespace qcv::runtime {

Window window_of(const ir::Node& n, const ir::Shape& in, const ir::Shape& out,
                 const std::vector<int64_t>& kernel) {
  size_t spatial = in.size() - 2;
  Window w;
  auto strides = n.attr_ints("strides", std::vector<int64_t>(spatial, 1));
  auto dilations = n.attr_ints("dilations", std::vector<int64_t>(spatial, 1));
  auto pads = n.attr_ints("pads", std::vector<int64_t>(2 * spatial, 0));
  std::string auto_pad = n.attr_string("auto_pad", "NOTSET");
  if (strides.size() != spatial || dilations.size() != spatial || pads.size() != 2 * spatial ||
      kernel.size() != spatial)
    fail("node '{}' ({}): window attributes do not match input rank {}", n.name, n.op, in.size());
  for (size_t i = 0; i < spatial; ++i) {
    int64_t effective = dilations[i] * (kernel[i] - 1) + 1;
    int64_t needed = (out[i + 2] - 1) * strides[i] + effective - in[i + 2];  // pad_l + pad_r
    int64_t l = pads[i], r = pads[i + spatial];
    if (auto_pad == "SAME_UPPER" || auto_pad == "SAME_LOWER") {
      int64_t total = std::max<int64_t>(needed, 0);
      l = auto_pad == "SAME_UPPER" ? total / 2 : total - total / 2;
      r = total - l;
    } else if (auto_pad == "VALID") {
      l = 0;
      r = 0;
    }
    // ceil_mode (and VALID/SAME rounding) may need another right pad for oneDNN's floor formula.
    if ((in[i + 2] + l + r - effective) / strides[i] + 1 != out[i + 2]) r = needed - l;
    w.strides.push_back(strides[i]);
    w.dilations.push_back(dilations[i] - 1);
    w.pad_l.push_back(l);
    w.pad_r.push_back(r);
  }
  return w;
}

bool average_divisor_matches(const ir::Node& n, const Window& w) {
  if (n.op != "AveragePool") return true;
  for (auto d : w.dilations)
    if (d != 0) return false;
  if (!n.attr_int("count_include_pad", 0)) return true;
  const size_t spatial = w.pad_r.size();
  auto pads = n.attr_ints("pads", std::vector<int64_t>(2 * spatial, 0));
  if (n.attr_string("auto_pad", "NOTSET") != "NOTSET") return n.attr_int("ceil_mode", 0) == 0;
  for (size_t i = 0; i < spatial; ++i)
    if (w.pad_r[i] != pads[i + spatial]) return false;
  return true;
}

}  // namespace qcv::runtime
