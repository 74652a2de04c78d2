// qcv workflow: one YAML experiment -> FP32 baseline (trained, or given) -> PTQ per method -> QAT
// -> each evaluated in the training backend and the INT8 runtime, timed at batch 1 -> ONNX files,
// results.json, results.md and an accuracy-vs-latency PNG. Every phase writes its outputs
// atomically and a rerun skips the phases whose outputs exist.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <filesystem>

#include "cli/commands.h"
#include "cli/quant_pipeline.h"
#include "cli/workflow_report.h"
#include "config/workflow_config.h"
#include "onnx/onnx.h"

namespace qcv::cli {
namespace {
namespace fs = std::filesystem;

using config::WorkflowConfig;  // config/workflow_config.h: the checked YAML

class Workflow {
 public:
  Workflow(WorkflowConfig cfg, std::string dir) : w_(std::move(cfg)), dir_(std::move(dir)) {
    fs::create_directories(dir_ + "/phases");
  }

  void run() {
    const auto start = std::chrono::steady_clock::now();
    const std::string fp32 = phase_fp32();
    std::vector<ResultRow> rows = {evaluate(fp32, "Baseline (FP32)")};
    const ir::Graph fp32_graph = onnx::load(path(fp32));
    std::string best_method;
    double best_top1 = -1;
    for (const std::string& m : w_.ptq_methods) {
      const std::string file = phase_ptq(fp32_graph, m);
      rows.push_back(evaluate(file, "PTQ (" + m + ")"));
      if (rows.back().deployed_top1 > best_top1)
        best_top1 = rows.back().deployed_top1, best_method = m;
    }
    const std::string init = w_.qat_init == "best" && !best_method.empty() ? best_method
                             : w_.qat_init == "best"                       ? "max"
                                                                           : w_.qat_init;
    rows.push_back(evaluate(phase_qat(fp32, init), "QAT (" + init + " init)"));
    for (ResultRow& r : rows) r.model = model_name();

    nlohmann::json j = {{"title", title()},
                        {"dataset", w_.dataset},
                        {"test_images", w_.limit_test},
                        {"rows", nlohmann::json::array()}};
    for (const ResultRow& r : rows) j["rows"].push_back(row_to_json(r));
    ir::write_file_atomically(path("results.json"), j.dump(2) + "\n");
    ir::write_file_atomically(path("results.md"), results_markdown(rows, title()));
    ir::write_file_atomically(path("accuracy_latency.png"), accuracy_latency_png(rows, title()));
    const double minutes =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60;
    log(
        fmt::format("done in {:.1f} min (this run): {}/results.md, results.json, "
                    "accuracy_latency.png",
                    minutes, dir_));
    fmt::print("{}", results_markdown(rows, title()));
  }

 private:
  std::string path(const std::string& name) const { return dir_ + "/" + name; }
  void log(const std::string& s) const { fmt::print(stderr, "qcv workflow: {}\n", s); }

  std::string model_name() const {
    if (!w_.fp32_model.empty()) {  // e.g. runs/mnv2/best.onnx -> "mnv2/best"
      const fs::path p(w_.fp32_model);
      const std::string dir = p.parent_path().filename().string();
      return dir.empty() ? p.stem().string() : dir + "/" + p.stem().string();
    }
    return fmt::format("{} x{}", w_.train.model, w_.train.width);
  }
  std::string title() const {
    return w_.title.empty() ? model_name() + " on " + w_.dataset : w_.title;
  }

  std::string phase_fp32() {
    const std::string out = "baseline_fp32.onnx";
    if (fs::exists(path(out))) return log("fp32: done (" + out + ")"), out;
    if (!w_.fp32_model.empty()) {
      log("fp32: taking " + w_.fp32_model);
      onnx::save(onnx::load(w_.fp32_model), path(out));
      return out;
    }
    train::TrainConfig t = w_.train;
    t.run_dir = path("fp32.run");
    t.resume = fs::exists(t.run_dir + "/checkpoint/state.json") ||
               fs::exists(t.run_dir + "/checkpoint.old/state.json");
    log(fmt::format("fp32: training {} x{} for {} epochs in {}", t.model, t.width, t.epochs,
                    t.run_dir));
    const train::TrainResult r = train::run_training(t);
    if (r.stopped_early)
      fail("fp32 training stopped after epoch {}; rerun to resume", r.epochs_done);
    onnx::save(onnx::load(t.run_dir + "/final.onnx"), path(out));
    return out;
  }

  std::string phase_ptq(const ir::Graph& fp32, const std::string& method) {
    const std::string out = "ptq_" + method + ".onnx";
    if (fs::exists(path(out))) return log("ptq " + method + ": done"), out;
    log("ptq " + method + ": calibrating on " + std::to_string(w_.calib_images) + " images");
    quant::PtqOptions o;
    o.scheme = quant::scheme_by_name(w_.scheme);
    o.calibration.method = quant::method_by_name(method);
    onnx::save(quantize_with_calibration(fp32, calibration(), o), path(out));
    return out;
  }

  std::string phase_qat(const std::string& fp32, const std::string& init_method) {
    const std::string out = "qat.onnx";
    if (fs::exists(path(out))) return log("qat: done"), out;
    QatSetup s;
    s.calib = calibration();
    s.ptq.scheme = quant::scheme_by_name(w_.scheme);
    s.ptq.calibration.method = quant::method_by_name(init_method);
    s.train = w_.qat_train;
    s.train.run_dir = path("qat.run");
    s.train.threads = w_.train.threads;
    s.train.workers = w_.train.workers;
    s.qat = w_.qat;
    log(fmt::format("qat: {} epochs, {} ranges from {} calibration, BN {}, in {}", s.train.epochs,
                    s.qat.ranges, init_method, s.qat.batch_norm, s.train.run_dir));
    onnx::save(quantization_aware_training(path(fp32), s), path(out));
    return out;
  }

  CalibrationSetup calibration() const {
    CalibrationSetup c;
    c.dataset = w_.dataset;
    c.images = w_.calib_images;
    c.threads = w_.threads;
    return c;
  }

  // Accuracy in both backends, latency and size of one file; cached in phases/eval_<file>.json.
  ResultRow evaluate(const std::string& file, const std::string& mode) {
    const std::string cache = path("phases/eval_" + fs::path(file).stem().string() + ".json");
    if (fs::exists(cache)) {
      std::ifstream in(cache);
      ResultRow r = row_from_json(nlohmann::json::parse(in));
      r.mode = mode;
      return r;
    }
    const ir::Graph g = onnx::load(path(file));
    ResultRow r;
    r.mode = mode;
    r.file = file;
    r.size_mb = double(fs::file_size(path(file))) / 1e6;
    r.deployed_top1 = test_top1(g, w_.dataset, "runtime", w_.limit_test, w_.threads);
    r.train_top1 = test_top1(g, w_.dataset, "torch", w_.limit_test, w_.threads);
    r.latency_ms = batch1_latency_ms(g, w_.threads, w_.latency_runs);
    log(fmt::format("{}: train-backend {:.2f}%, deployed {:.2f}%, {:.3f} ms, {:.2f} MB", mode,
                    r.train_top1, r.deployed_top1, r.latency_ms, r.size_mb));
    ir::write_file_atomically(cache, row_to_json(r).dump(2) + "\n");
    return r;
  }

  WorkflowConfig w_;
  std::string dir_;
};

}  // namespace

void add_workflow_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "workflow", "Baseline -> PTQ -> QAT -> deploy -> results table, from one YAML experiment");
  static std::string config_file, run_dir;
  cmd->add_option("--config", config_file, "Workflow YAML (configs/workflow_default.yaml)")
      ->required();
  cmd->add_option("-o,--output", run_dir,
                  "Run directory (ONNX files, results.json, results.md, accuracy_latency.png); "
                  "rerun to resume")
      ->required();
  cmd->callback([] { Workflow(config::load_workflow(config_file), run_dir).run(); });
}

}  // namespace qcv::cli
