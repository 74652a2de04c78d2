// The pieces `qcv qat` and `qcv workflow` share: calibration data from a dataset, PTQ and QAT of
// an FP32 model, accuracy in either backend and batch-1 latency in the runtime.
#pragma once
#include <functional>
#include <memory>
#include <string>
#include <vector>

#include "cli/runtime_eval.h"
#include "data/data.h"
#include "ir/ir.h"
#include "quant/fallback.h"
#include "quant/quant.h"
#include "train/qat.h"

namespace qcv::cli {

struct CalibrationSetup {
  std::string dataset;  // dataset name (fashion-mnist, cifar10:DIR, folder)
  int images = 512;     // spread over the train split
  int batch = 16;
  int threads = 0;
};

// PTQ of one FP32 model by several calibration methods (the workflow's ptq phases and its tune
// phase): the passes no method changes (quant::prepare_ptq: optimization, CLE, AdaRound, ...)
// run once, on first use, with calib.images images spread over the train split (seed 0); `say`
// gets a line with AdaRound's time when it ran.
class SharedPtq {
 public:
  SharedPtq(const ir::Graph& file_graph, const CalibrationSetup& calib, quant::PtqOptions options,
            std::function<void(const std::string&)> say);
  // The QDQ graph by `method` with the file's input layout: quantize_ptq's with that method.
  ir::Graph quantize(quant::CalibrationMethod method);
  const quant::PtqPreparation& preparation();
  const ir::Graph& fp32() const { return fp32_; }  // NCHW interface
  quant::CalibrationData& data() { return *data_; }
  const quant::Backend& backend() const { return backend_; }
  passes::InputLayout file_layout() const { return layout_; }
  std::string calib_description() const { return calib_.images->description(); }

 private:
  ir::Graph fp32_;
  passes::InputLayout layout_;
  CalibrationSetup setup_;
  ImageSubset calib_;
  std::unique_ptr<quant::CalibrationData> data_;
  quant::Backend backend_;
  quant::PtqOptions options_;
  std::function<void(const std::string&)> say_;
  std::unique_ptr<quant::PtqPreparation> prepared_;
};

struct QatSetup {
  CalibrationSetup calib;
  quant::PtqOptions ptq;     // scheme, exclusions, calibration method of the initial ranges
  train::TrainConfig train;  // qat_defaults() plus overrides; init and run_dir set here
  train::QatOptions qat;
  bool fold_weights = true;  // export int8 weights (else float weights behind Q->DQ)
  bool export_last = false;  // write the last epoch, not the best of init and epochs
};

// What quantization_aware_training wrote.
struct QatOutcome {
  double top1 = 0;        // test top-1 (torch backend, percent) of the model written
  int64_t epoch = -1;     // its epoch: 0 is the PTQ initialization
  double init_top1 = -1;  // the PTQ initialization's test top-1; -1: not known in this process
  double last_top1 = -1;  // the last epoch's
};

// FP32 model file -> QAT init (run_dir/qat_init.onnx, reused when present) -> fine-tuning
// (resumed when run_dir holds a checkpoint) -> exported QDQ graph: the best by test top-1 of the
// PTQ initialization (evaluated first) and the epochs, or with export_last the last epoch. Says
// on stderr which it wrote, with a warning when QAT ended below its initialization.
ir::Graph quantization_aware_training(const std::string& fp32_path, QatSetup setup,
                                      QatOutcome* outcome = nullptr);

// Top-1 and top-5 (percent) on the test split in the runtime ("runtime") or the training backend
// ("torch"); test_top1 is the first of them.
struct TestAccuracy {
  double top1 = 0, top5 = 0;
};
TestAccuracy test_accuracy(const ir::Graph& graph, const std::string& dataset,
                           const std::string& backend, int64_t limit = 0, int threads = 0);
double test_top1(const ir::Graph& graph, const std::string& dataset, const std::string& backend,
                 int64_t limit = 0, int threads = 0);

}  // namespace qcv::cli
