// What eval and classify need to feed a trained model: preprocessing from flags, else from the
// model's metadata (qcv.resolution, qcv.channels, qcv.mean, qcv.std, qcv.dataset, qcv.labels,
// written by qcv train), else from its input shape; logits -> top-k, loss.
#pragma once
#include <algorithm>
#include <array>
#include <cmath>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <numeric>
#include <sstream>
#include <string>
#include <vector>

#include "data/data.h"
#include "cli/option_checks.h"
#include "ir/input_file.h"
#include "ir/ir.h"
#include "ir/parse_value.h"
#include "ir/top_k.h"
#include "passes/passes.h"

namespace qcv::cli::model_input {

inline std::string meta(const ir::Graph& g, const std::string& key) {
  auto it = g.metadata.find(key);
  return it == g.metadata.end() ? "" : it->second;
}

// "0.5,0.5,0.5", "[0.485, 0.456, 0.406]" or "0.5".

struct InputFlags {
  int resolution = 0, channels = 0;
  std::string mean, std;
  std::string preprocess;  // torch | tf | caffe: a preset that --mean/--std then refine
  std::string layout;      // nchw | nhwc: the model's image layout (default: from its input shape)
};

// The input flags of every command that feeds images: size, channels, normalization, preset
// and layout; each defaults to the model's metadata (qcv train writes it), else its input shape.
template <typename Command>
void add_input_options(Command* cmd, InputFlags& f) {
  cmd->add_option("--resolution", f.resolution,
                  "Input resolution (default: model metadata qcv.resolution, else the input shape, "
                  "else 224)")
      ->check(cli::integer_in(1, 65536));
  cmd->add_option("--channels", f.channels,
                  "Input channels (default: qcv.channels or the model input)")
      ->check(cli::integer_in(1, 3));
  cmd->add_option("--mean", f.mean,
                  "Normalization mean, e.g. 0.485,0.456,0.406 (default: qcv.mean)")
      ->check(cli::number_triple(false));
  cmd->add_option("--std", f.std, "Normalization std (default: qcv.std)")
      ->check(cli::number_triple(true));
  cmd->add_option("--preprocess", f.preprocess,
                  "Normalization preset: torch (ImageNet mean/std on [0,1]), tf ([-1,1]) or "
                  "caffe (BGR, 0-255 minus the ImageNet mean)")
      ->check(cli::one_of({"torch", "tf", "caffe"}));
  cmd->add_option("--layout", f.layout,
                  "The model's image layout, nchw or nhwc (default: from the input shape, "
                  "[N,H,W,C] with C in {1,3} is nhwc)")
      ->check(cli::one_of({"nchw", "nhwc"}));
}

// The layout the model's first input has: --layout, else from its shape.
inline passes::InputLayout input_layout(const ir::Graph& g, const std::string& flag) {
  if (flag == "nchw") return passes::InputLayout::NCHW;
  if (flag == "nhwc") return passes::InputLayout::NHWC;
  if (!flag.empty()) fail("--layout '{}': expected nchw or nhwc", flag);
  return g.inputs.empty() ? passes::InputLayout::NCHW : passes::detect_input_layout(g.inputs[0]);
}

// Commands feed NCHW batches: an NHWC model gets an NCHW interface (passes::make_input_nchw).
// Returns the file's layout, so that a model written from this graph can get it back.
inline passes::InputLayout adopt_nchw(ir::Graph& g, const std::string& layout_flag) {
  const passes::InputLayout layout = input_layout(g, layout_flag);
  if (layout == passes::InputLayout::NHWC) passes::make_input_nchw(g, 0);
  return layout;
}

// A [N,C,H,W] float batch laid out as [N,H,W,C].
inline ir::Tensor nchw_to_nhwc(const ir::Tensor& x) {
  const int64_t n = x.dim(0), c = x.dim(1), hw = x.dim(2) * x.dim(3);
  ir::Tensor y(ir::DType::Float32, {n, x.dim(2), x.dim(3), c});
  const float* src = x.data<float>();
  float* dst = y.data<float>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t k = 0; k < c; ++k)
      for (int64_t p = 0; p < hw; ++p) dst[(i * hw + p) * c + k] = src[(i * c + k) * hw + p];
  return y;
}

// Gives a graph made from an adopted one its file's input layout back.
inline void restore_layout(ir::Graph& g, passes::InputLayout layout) {
  if (layout == passes::InputLayout::NHWC) passes::make_input_nhwc(g, 0);
}

// Applies a --preprocess preset to `pre` (mean and std on the [0,1] scale of qcv's pipeline).
inline void apply_preset(data::Preprocess& pre, const std::string& preset) {
  if (preset.empty()) return;
  if (preset == "torch") {
    pre.mean = {0.485f, 0.456f, 0.406f};
    pre.std = {0.229f, 0.224f, 0.225f};
  } else if (preset == "tf") {  // x / 127.5 - 1
    pre.mean = {0.5f, 0.5f, 0.5f};
    pre.std = {0.5f, 0.5f, 0.5f};
  } else if (preset == "caffe") {  // BGR, x - mean on 0..255 (Keras' imagenet_utils "caffe")
    pre.bgr = true;
    pre.mean = {103.939f / 255, 116.779f / 255, 123.68f / 255};
    pre.std = {1.0f / 255, 1.0f / 255, 1.0f / 255};
  } else {
    fail("--preprocess '{}': expected torch, tf or caffe", preset);
  }
}

// Eval-mode preprocessing for a dataset name (may be empty: ImageNet conventions).
inline data::Preprocess preprocessing(const ir::Graph& g, const std::string& dataset,
                                      const InputFlags& f) {
  auto input_dim = [&](size_t i) -> int {
    if (g.inputs.empty() || g.inputs[0].shape.size() != 4) return -1;
    const int64_t d = g.inputs[0].shape[i];
    return d > 0 && d <= 65536 ? static_cast<int>(d) : -1;  // never a truncated huge dim
  };
  auto meta_int = [&](const std::string& key, int fallback) {
    std::string v = meta(g, key);
    if (v.empty()) return fallback;
    return static_cast<int>(ir::parse_int("model metadata " + key, v, 1, 65536));
  };
  int res = f.resolution > 0 ? f.resolution : meta_int("qcv.resolution", input_dim(2));
  int ch = f.channels > 0 ? f.channels : meta_int("qcv.channels", input_dim(1));
  if (res <= 0) fail("the model's input resolution is unknown: pass --resolution");
  if (ch != 1 && ch != 3) fail("input channels must be 1 or 3 (got {}): pass --channels", ch);
  data::Preprocess pre = data::Preprocess::for_dataset(dataset, res, false, ch);
  apply_preset(pre, f.preprocess.empty() ? meta(g, "qcv.preprocess") : f.preprocess);
  if (!f.mean.empty() || !meta(g, "qcv.mean").empty())
    pre.mean = parse_triple(f.mean.empty() ? meta(g, "qcv.mean") : f.mean, "mean");
  if (!f.std.empty() || !meta(g, "qcv.std").empty())
    pre.std = parse_triple(f.std.empty() ? meta(g, "qcv.std") : f.std, "std", true);
  return pre;
}

// Class names: a labels file (one per line), else metadata qcv.labels (a JSON array).
inline std::vector<std::string> labels(const ir::Graph& g, const std::string& labels_file) {
  std::vector<std::string> names;
  if (!labels_file.empty()) {
    ir::require_input_file(labels_file, "labels file");
    std::ifstream in(labels_file);
    if (!in) fail("labels file '{}': cannot open for reading", labels_file);
    std::string line;
    while (std::getline(in, line)) names.push_back(line);
    return names;
  }
  const std::string m = meta(g, "qcv.labels");
  if (m.empty()) return names;
  try {
    return nlohmann::json::parse(m).get<std::vector<std::string>>();
  } catch (const std::exception&) {
    fail("model metadata qcv.labels is not a JSON array of strings");
  }
}

// Accumulates top-1/top-5 and mean cross-entropy over batches of logits.
struct Accuracy {
  int64_t count = 0, top1 = 0, top5 = 0;
  double loss_sum = 0;
  void add(const ir::Tensor& logits, const ir::Tensor& labels) {
    if (logits.rank() != 2 || logits.dim(0) != labels.numel())
      fail("model output {} does not match {} labels", ir::shape_str(logits.shape()),
           labels.numel());
    const int64_t n = logits.dim(0), k = logits.dim(1);
    const float* p = logits.data<float>();
    const int64_t* y = labels.data<int64_t>();
    for (int64_t i = 0; i < n; ++i) {
      const float* row = p + i * k;
      if (y[i] < 0 || y[i] >= k) fail("label {} is out of range for {} model outputs", y[i], k);
      const float target = row[y[i]];
      double mx = row[0];
      for (int64_t j = 0; j < k; ++j) mx = std::max(mx, double(row[j]));
      double sum = 0;
      for (int64_t j = 0; j < k; ++j) sum += std::exp(double(row[j]) - mx);
      loss_sum += std::log(sum) + mx - double(target);
      top1 += ir::in_top_k(row, k, y[i], 1);  // ir/top_k.h: the one ranking rule
      top5 += ir::in_top_k(row, k, y[i], 5);
      ++count;
    }
  }
  double top1_percent() const { return count ? 100.0 * double(top1) / double(count) : 0; }
  double top5_percent() const { return count ? 100.0 * double(top5) / double(count) : 0; }
  double loss() const { return count ? loss_sum / double(count) : 0; }
};

}  // namespace qcv::cli::model_input
