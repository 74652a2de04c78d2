// The placement report: every quantized tensor with its parameters and the rule that placed it.
#include <algorithm>
#include <nlohmann/json.hpp>

#include "quant/quant.h"

namespace qcv::quant {

namespace {

std::string scale_summary(const QuantParams& p) {
  if (p.scale.size() == 1) return fmt::format("{:.6g}", p.scale[0]);
  auto [lo, hi] = std::minmax_element(p.scale.begin(), p.scale.end());
  return fmt::format("[{:.3g}..{:.3g}] x{}", *lo, *hi, p.scale.size());
}

std::string zero_point_summary(const QuantParams& p) {
  if (p.zero_point.size() == 1) return std::to_string(p.zero_point[0]);
  auto [lo, hi] = std::minmax_element(p.zero_point.begin(), p.zero_point.end());
  return *lo == *hi ? fmt::format("{} x{}", *lo, p.zero_point.size())
                    : fmt::format("[{}..{}]", *lo, *hi);
}

}  // namespace

std::string QuantReport::to_text() const {
  std::string out = fmt::format("QDQ placement: scheme {}, method {}, {} tensors\n", scheme, method,
                                entries.size());
  out += fmt::format("{:<40} {:<10} {:<6} {:>4} {:>24} {:>10} {:>23}  {}\n", "tensor", "role",
                     "dtype", "axis", "scale", "zero_pt", "range", "rule");
  for (const auto& e : entries) {
    const std::string range =
        e.role == TensorRole::Activation
            ? fmt::format("[{:.4g}, {:.4g}]", e.params.range_min, e.params.range_max)
            : "";
    out += fmt::format("{:<40} {:<10} {:<6} {:>4} {:>24} {:>10} {:>23}  {}\n", e.tensor,
                       role_name(e.role), ir::dtype_name(e.params.dtype), e.params.axis,
                       scale_summary(e.params), zero_point_summary(e.params), range,
                       method == "auto" && !e.method.empty() ? e.rule + " (auto: " + e.method + ")"
                                                             : e.rule);
  }
  return out;
}

std::string QuantReport::to_json() const {
  nlohmann::json j;
  j["scheme"] = scheme;
  j["method"] = method;
  j["tensors"] = nlohmann::json::array();
  for (const auto& e : entries) {
    nlohmann::json t;
    t["tensor"] = e.tensor;
    t["role"] = role_name(e.role);
    t["rule"] = e.rule;
    t["consumers"] = e.consumers;
    t["dtype"] = ir::dtype_name(e.params.dtype);
    t["axis"] = e.params.axis;
    if (e.role == TensorRole::Weight) t["bits"] = e.params.bits;
    t["scale"] = e.params.scale;
    t["zero_point"] = e.params.zero_point;
    if (e.role == TensorRole::Activation) {
      t["range"] = {e.params.range_min, e.params.range_max};
      t["method"] = e.method;
      if (!e.method_mse.empty()) t["method_mse"] = e.method_mse;
    }
    j["tensors"].push_back(t);
  }
  return j.dump(2) + "\n";
}

}  // namespace qcv::quant
