#include "cli/quant_pipeline.h"

#include <algorithm>
#include <chrono>
#include <filesystem>
#include <memory>

#include "cli/model_input.h"
#include "ir/parse_value.h"
#include "ir/top_k.h"
#include "onnx/onnx.h"
#include "quant/calibration_guard.h"
#include "runtime/calibration_backend.h"
#include "runtime/session.h"

namespace qcv::cli {
namespace fs = std::filesystem;

namespace {

std::unique_ptr<quant::CalibrationData> calibration_data(const ir::Graph& g,
                                                         const CalibrationSetup& c) {
  if (g.inputs.size() != 1)
    fail("calibration: the model has {} inputs, expected 1", g.inputs.size());
  if (c.images <= 0 || c.batch <= 0) fail("calibration images and batch must be positive");
  const data::Preprocess pre = model_input::preprocessing(g, c.dataset, {});
  data::ImageFolderOptions folder;
  folder.channels = pre.channels;
  auto subset = data::random_subset(data::open_dataset(c.dataset, "train", folder),
                                    static_cast<size_t>(c.images), /*seed=*/0);
  data::LoaderOptions lo;
  lo.batch_size = c.batch;
  lo.shuffle = false;
  auto loader = std::make_shared<data::DataLoader>(subset, pre, lo);
  return quant::loader_data(loader, g.inputs[0].name);
}

// The calibration guards' warnings (default limits) and auto's choices, on stderr.
void print_calibration_notes(const quant::PtqResult& r, const std::string& who) {
  for (const std::string& line : quant::calibration_notes(r, quant::ClipLimits{}))
    fmt::print(stderr, "{}: {}\n", who, line);
}

}  // namespace

SharedPtq::SharedPtq(const ir::Graph& file_graph, const CalibrationSetup& calib,
                     quant::PtqOptions options, std::function<void(const std::string&)> say)
    : fp32_(file_graph),
      layout_(model_input::adopt_nchw(fp32_, "")),
      setup_(calib),
      calib_(image_subset(fp32_, calib.dataset, "train", calib.images, {})),
      data_(calibration_batches(fp32_, calib_, calib.batch)),
      backend_(runtime::calibration_backend(calib.threads)),
      options_(std::move(options)),
      say_(std::move(say)) {
  options_.calibration.show_progress = false;
}

const quant::PtqPreparation& SharedPtq::preparation() {
  if (prepared_) return *prepared_;
  prepared_ = std::make_unique<quant::PtqPreparation>(
      quant::prepare_ptq(fp32_, backend_, *data_, options_));
  if (prepared_->adaround && say_)
    say_(fmt::format("ptq: AdaRound: {} layers in {:.1f} s, shared by every calibration method",
                     prepared_->adaround->layers.size(), prepared_->adaround->seconds));
  return *prepared_;
}

ir::Graph SharedPtq::quantize(quant::CalibrationMethod method) {
  quant::CalibrationOptions calibration = options_.calibration;
  calibration.method = method;
  quant::PtqResult r = quant::quantize_calibrated(
      quant::calibrate_prepared(preparation(), backend_, *data_, calibration));
  print_calibration_notes(r, fmt::format("qcv: ptq {}", quant::method_name(method)));
  r.graph.metadata["qcv.quantization"] =
      fmt::format("ptq scheme={} method={} images={}", options_.scheme.name,
                  quant::method_name(method), setup_.images);
  model_input::restore_layout(r.graph, layout_);
  return r.graph;
}

namespace {

double meta_top1(const ir::Graph& g) {
  const std::string v = model_input::meta(g, "qcv.test_top1");
  return v.empty() ? -1 : ir::parse_number("model metadata qcv.test_top1", v, 0, 100);
}

// Which of the run's models to write, and the line that says so.
QatOutcome choose_qat_output(const std::string& run_dir, bool export_last, double init_top1,
                             std::string& path) {
  QatOutcome o;
  o.init_top1 = init_top1;
  const ir::Graph last = onnx::load(run_dir + "/final.onnx");
  o.last_top1 = meta_top1(last);
  const bool has_best = fs::exists(run_dir + "/best.onnx");
  path = run_dir + (export_last || !has_best ? "/final.onnx" : "/best.onnx");
  const ir::Graph chosen = path == run_dir + "/final.onnx" ? last : onnx::load(path);
  o.top1 = meta_top1(chosen);
  const std::string epoch = model_input::meta(chosen, "qcv.epoch");
  o.epoch = epoch.empty() ? -1 : ir::parse_int("model metadata qcv.epoch", epoch, 0, 1 << 30);
  if (o.epoch == 0) o.init_top1 = o.top1;
  const std::string init =
      o.init_top1 >= 0 ? fmt::format("PTQ init {:.2f}%", o.init_top1) : "PTQ init not rerun";
  if (export_last) {
    if (o.init_top1 >= 0 && o.top1 < o.init_top1)
      fmt::print(stderr,
                 "qcv qat: warning: writing the last epoch (ep{}, test top-1 {:.2f}%), which is "
                 "BELOW its {}; without --export last qcv writes the best of the init and the "
                 "epochs (run_dir/best.onnx)\n",
                 o.epoch, o.top1, init);
  } else if (o.epoch == 0) {
    fmt::print(stderr,
               "qcv qat: warning: no QAT epoch beat the PTQ initialization on the test split "
               "({:.2f}%; last epoch {:.2f}%): writing the PTQ initialization\n",
               o.top1, o.last_top1);
  } else {
    fmt::print(stderr, "qcv qat: best epoch (ep{}): test top-1 {:.2f}% ({}, last epoch {:.2f}%)\n",
               o.epoch, o.top1, init, o.last_top1);
  }
  return o;
}

}  // namespace

ir::Graph quantization_aware_training(const std::string& fp32_path, QatSetup s,
                                      QatOutcome* outcome) {
  const std::string run_dir = s.train.run_dir;
  fs::create_directories(run_dir);
  const std::string init = run_dir + "/qat_init.onnx";
  // An NHWC model trains with an NCHW interface and is written back with its own.
  ir::Graph fp32 = onnx::load(fp32_path);
  const passes::InputLayout file_layout = model_input::adopt_nchw(fp32, "");
  if (!fs::exists(init)) {
    auto data = calibration_data(fp32, s.calib);
    quant::PtqOptions o = s.ptq;
    o.calibration.show_progress = false;
    quant::PtqResult r = quant::prepare_qat(fp32, runtime::calibration_backend(s.calib.threads),
                                            *data, o, s.qat.batch_norm);
    print_calibration_notes(r, "qcv qat: initial ranges");
    onnx::save(r.graph, init);  // atomic: a rerun finds a whole file or none
  }
  const ir::Graph init_graph = onnx::load(init);
  auto meta_int = [&](const char* key, int fallback) {
    const std::string v = model_input::meta(init_graph, key);
    return v.empty() ? fallback : static_cast<int>(ir::parse_int(key, v, 1, 65536));
  };
  s.train.init = init;
  s.train.dataset = s.calib.dataset;
  // Metadata from qcv train, else the input shape (imported models), else the config.
  const ir::Value& input = init_graph.inputs.at(0);
  const bool nchw = input.has_shape && input.shape.size() == 4;
  const int shape_res =
      nchw && input.shape[2] > 0 ? static_cast<int>(input.shape[2]) : s.train.resolution;
  const int shape_ch =
      nchw && input.shape[1] > 0 ? static_cast<int>(input.shape[1]) : s.train.channels;
  s.train.resolution = meta_int("qcv.resolution", shape_res);
  s.train.channels = meta_int("qcv.channels", shape_ch);
  s.train.resume = fs::exists(run_dir + "/checkpoint/state.json") ||
                   fs::exists(run_dir + "/checkpoint.old/state.json");
  double init_top1 = -1;
  if (!fs::exists(run_dir + "/final.onnx")) {
    const train::TrainResult r = train::run_qat(s.train, s.qat);
    if (r.stopped_early)
      fail("QAT stopped after epoch {} as asked; rerun to resume", r.epochs_done);
    init_top1 = r.init_top1;
  }
  std::string chosen;
  QatOutcome o = choose_qat_output(run_dir, s.export_last, init_top1, chosen);
  ir::Graph g = onnx::load(chosen);
  if (o.top1 < 0) o.top1 = test_top1(g, s.calib.dataset, "torch", s.train.limit_test);
  if (outcome) *outcome = o;
  if (s.fold_weights) quant::fold_weight_quantization(g);
  model_input::restore_layout(g, file_layout);
  g.metadata["qcv.quantization"] = fmt::format(
      "qat scheme={} init={} ranges={} epochs={} written=ep{}", s.ptq.scheme.name,
      quant::method_name(s.ptq.calibration.method), s.qat.ranges, s.train.epochs, o.epoch);
  return g;
}

double test_top1(const ir::Graph& graph, const std::string& dataset, const std::string& backend,
                 int64_t limit, int threads) {
  return test_accuracy(graph, dataset, backend, limit, threads).top1;
}

TestAccuracy test_accuracy(const ir::Graph& file_graph, const std::string& dataset,
                           const std::string& backend, int64_t limit, int threads) {
  ir::Graph graph = file_graph;
  model_input::adopt_nchw(graph, "");
  const data::Preprocess pre = model_input::preprocessing(graph, dataset, {});
  data::ImageFolderOptions folder;
  folder.channels = pre.channels;
  auto set = data::open_dataset(dataset, "test", folder);
  data::LoaderOptions lo;
  lo.batch_size = 100;
  lo.shuffle = false;
  data::DataLoader loader(set, pre, lo);
  std::function<ir::Tensor(const ir::Tensor&)> run;
  std::unique_ptr<runtime::Session> session;
  std::unique_ptr<train::TorchClassifier> torch_model;
  const std::string input = graph.inputs.at(0).name;
  if (backend == "runtime") {
    runtime::SessionOptions so;
    so.threads = threads;
    session = std::make_unique<runtime::Session>(graph, so);
    run = [&](const ir::Tensor& x) { return session->run({{input, x}}).at(0); };
  } else if (backend == "torch") {
    torch_model = std::make_unique<train::TorchClassifier>(graph, threads);
    run = [&](const ir::Tensor& x) { return torch_model->run(x); };
  } else {
    fail("backend '{}': expected runtime or torch", backend);
  }
  int64_t correct = 0, correct5 = 0, count = 0;
  loader.start_epoch(0);
  data::Batch b;
  while ((limit <= 0 || count < limit) && loader.next(b)) {
    const ir::Tensor logits = run(b.images);
    const int64_t n = b.labels.numel(), classes = logits.numel() / std::max<int64_t>(n, 1);
    const float* l = logits.data<float>();
    for (int64_t i = 0; i < n && (limit <= 0 || count < limit); ++i, ++count) {
      const float* row = l + i * classes;
      const int64_t label = b.labels.data<int64_t>()[i];
      correct += ir::top1_index(row, classes) == label;
      correct5 += ir::in_top_k(row, classes, label, 5);
    }
  }
  if (count == 0) return {};
  return {100.0 * double(correct) / double(count), 100.0 * double(correct5) / double(count)};
}

}  // namespace qcv::cli
