// The runtime as the quantization commands' engine, without LibTorch: calibration backend,
// calibration batches and an evaluation set held in memory (one decode, many graphs evaluated:
// `qcv sensitivity`, `qcv tune`), and batch-1 latency.
#pragma once
#include <memory>
#include <string>
#include <vector>

#include "cli/model_input.h"
#include "data/data.h"
#include "ir/ir.h"
#include "quant/quant.h"
#include "quant/sensitivity.h"

namespace qcv::cli {

// Median latency (ms) of one image through the runtime.
double batch1_latency_ms(const ir::Graph& graph, int threads, int runs = 200);

// `images` images spread over a split (seed 0), or with `first` its first `images` (the
// workflow's table), preprocessed for `graph` (NCHW interface) from the flags, its metadata and
// its input shape.
struct ImageSubset {
  data::Preprocess preprocess;
  std::shared_ptr<data::Dataset> images;
};
ImageSubset image_subset(const ir::Graph& graph, const std::string& dataset,
                         const std::string& split, int images, const model_input::InputFlags& flags,
                         bool first = false);

// Calibration batches of a subset for the graph's single input.
std::unique_ptr<quant::CalibrationData> calibration_batches(const ir::Graph& graph,
                                                            const ImageSubset& subset, int batch);

// An evaluation subset decoded once; evaluate() runs a graph (NCHW interface) over it in the
// runtime: top-1 by ir/top_k.h's rule and the logits.
class EvalSet {
 public:
  EvalSet(const ir::Graph& graph, const ImageSubset& subset, int batch, int threads);
  quant::EvalOutcome evaluate(const ir::Graph& graph) const;
  size_t size() const { return labels_.size(); }

 private:
  std::string input_;
  std::vector<ir::Tensor> batches_;
  std::vector<int64_t> labels_;
  int threads_ = 0;
};

}  // namespace qcv::cli
