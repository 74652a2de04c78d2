// qcv workflow: one YAML experiment -> FP32 baseline (trained, or given) -> PTQ per method -> QAT
// -> each evaluated in the training backend and the INT8 runtime, timed at batch 1 -> ONNX files,
// results.json, results.md, an accuracy-vs-latency chart (PNG, SVG) and report.html. Every phase writes its outputs
// atomically and records what produced them (phases/NAME.key.json, see workflow_phase.h): a rerun
// reuses a phase whose inputs are unchanged and reruns, saying why, one whose inputs changed.
#include <fmt/format.h>
#include <unistd.h>

#include <chrono>
#include <fstream>
#include <filesystem>

#include "cli/commands.h"
#include "cli/quant_flags.h"
#include "cli/quant_pipeline.h"
#include "cli/quant_reports.h"
#include "cli/runtime_eval.h"
#include "cli/workflow_phase.h"
#include "cli/workflow_report.h"
#include "config/workflow_config.h"
#include "ir/atomic_file.h"
#include "ir/input_file.h"
#include "onnx/onnx.h"

namespace qcv::cli {
namespace {
namespace fs = std::filesystem;

using config::WorkflowConfig;  // config/workflow_config.h: the checked YAML

class Workflow {
 public:
  Workflow(std::string config_file, std::string dir)
      : config_file_(std::move(config_file)),
        w_(config::load_workflow(config_file_)),
        dir_(std::move(dir)) {
    fs::create_directories(dir_ + "/phases");
  }

  void run() {
    const auto start = std::chrono::steady_clock::now();
    const std::string fp32 = phase_fp32();
    fp32_digest_ = file_digest(path(fp32));
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
    if (w_.tune) {
      int fp32_nodes = 0;
      const std::string file = phase_tune(fp32_graph, fp32_nodes);
      rows.push_back(evaluate(
          file, fmt::format("PTQ tuned ({} FP32 node{})", fp32_nodes, fp32_nodes == 1 ? "" : "s")));
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
    for (const ResultRow& r : rows) j["rows"].push_back(row_to_json(r, &rows.front()));
    ir::write_file_atomically(path("results.json"), j.dump(2) + "\n");
    ir::write_file_atomically(path("results.md"), results_markdown(rows, title()));
    const ChartImages chart = draw_scatter(accuracy_latency_chart(rows, title()));
    write_chart(chart, path("accuracy_latency"));
    ir::write_file_atomically(path("report.html"),
                              results_html(rows, title(), chart.svg, configs_used()));
    const double minutes =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count() / 60;
    log(
        fmt::format("done in {:.1f} min (this run): {}/report.html, results.md, results.json, "
                    "accuracy_latency.png/.svg",
                    minutes, dir_));
    fmt::print("{}", results_markdown(rows, title()));
  }

 private:
  std::string path(const std::string& name) const { return dir_ + "/" + name; }

  // For report.html: the workflow file as given and the trainer configs it resolved to.
  std::vector<std::pair<std::string, std::string>> configs_used() const {
    std::vector<std::pair<std::string, std::string>> c = {
        {"workflow: " + config_file_, ir::read_input_file(config_file_, 1 << 20)}};
    if (w_.fp32_model.empty()) c.push_back({"FP32 training (effective)", train::config_to_yaml(w_.train)});
    c.push_back({"QAT fine-tuning (effective)", train::config_to_yaml(w_.qat_train)});
    return c;
  }
  std::string key_file(const std::string& phase) const {
    return path("phases/" + phase + ".key.json");
  }

  // Whether phase `phase` (output `out`, relative) can be reused as it is. Otherwise says why it
  // runs, removes what a changed key made stale (the output, the phase's training folder) and
  // records the key as started; finish() records it as done once the output is written.
  bool reuse(const std::string& phase, const std::string& out, const nlohmann::json& key,
             const std::string& scratch = "") {
    const PhaseCheck c = check_phase(key_file(phase), key, fs::exists(path(out)));
    if (c.state == PhaseCheck::Reuse) {
      log(phase + ": unchanged, reusing " + out);
      return true;
    }
    if (c.state == PhaseCheck::Rerun) {
      log(phase + ": rerunning (" + c.reason + ")");
      std::error_code ec;
      fs::remove(path(out), ec);
      if (!scratch.empty()) fs::remove_all(path(scratch), ec);
    } else if (c.state == PhaseCheck::Resume) {
      log(phase +
          ": unfinished last time, running it again (training resumes from its checkpoint)");
    }
    record_phase(key_file(phase), key, false);
    return false;
  }
  void finish(const std::string& phase, const nlohmann::json& key) {
    record_phase(key_file(phase), key, true);
  }
  // A training configuration as a key: every trainer key except where and as which rank it runs.
  static nlohmann::json train_key(const train::TrainConfig& t) {
    nlohmann::json j = nlohmann::json::object();
    for (const train::ConfigKey& k : train::config_keys()) {
      const std::string key = k.key;
      if (key != "run_dir" && key != "resume" && key != "rank") j[key] = k.get(t);
    }
    return j;
  }
  nlohmann::json calibration_key() const {
    return {{"dataset", dataset_stamp(w_.dataset)}, {"images", w_.calib_images}};
  }
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
    nlohmann::json key = {{"phase", "fp32"}};
    if (!w_.fp32_model.empty()) {
      key["fp32_model"] = file_digest(w_.fp32_model);
    } else {
      key["dataset"] = dataset_stamp(w_.dataset);
      key["train"] = train_key(w_.train);
    }
    if (reuse("fp32", out, key, "fp32.run")) return out;
    if (!w_.fp32_model.empty()) {
      log("fp32: taking " + w_.fp32_model);
      onnx::save(onnx::load(w_.fp32_model), path(out));
      finish("fp32", key);
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
    finish("fp32", key);
    return out;
  }

  // The PTQ passes in a phase key (ptq and tune), each only when set, so that earlier runs'
  // phases stay reusable.
  void add_pass_keys(nlohmann::json& key) const {
    if (w_.per_tensor_weights) key["per_tensor_weights"] = true;
    if (w_.weight_bits != 8) key["weight_bits"] = w_.weight_bits;
    if (w_.cle) key["cle"] = w_.cle_relu6;
    if (w_.high_bias_absorption) key["high_bias_absorption"] = true;
    if (w_.bias_correction) key["bias_correction"] = true;
    if (w_.adaround) key["adaround"] = w_.adaround_iters;
  }

  // The ptq phases' and the tune phase's PTQ of the FP32 model: AdaRound and the other passes
  // no calibration method changes run once for all of them (cli/quant_pipeline.h).
  SharedPtq& shared_ptq(const ir::Graph& fp32) {
    if (!shared_ptq_)
      shared_ptq_ = std::make_unique<SharedPtq>(fp32, calibration(),
                                                ptq_options(ptq_passes(), "max"),
                                                [this](const std::string& line) { log(line); });
    return *shared_ptq_;
  }

  // The workflow's `ptq:` keys as the flags `qcv ptq` takes (one rule for the options).
  PtqPassFlags ptq_passes() const {
    PtqPassFlags p;
    p.scheme = w_.scheme;
    p.per_tensor_weights = w_.per_tensor_weights;
    p.weight_bits = w_.weight_bits;
    p.cle = w_.cle;
    p.cle_relu6 = w_.cle_relu6;
    p.high_bias_absorption = w_.high_bias_absorption;
    p.bias_correction = w_.bias_correction;
    p.adaround = w_.adaround;
    p.adaround_iters = w_.adaround_iters;
    return p;
  }

  std::string phase_ptq(const ir::Graph& fp32, const std::string& method) {
    const std::string out = "ptq_" + method + ".onnx";
    nlohmann::json key = {{"phase", "ptq"},
                          {"fp32", fp32_digest_},
                          {"scheme", w_.scheme},
                          {"method", method},
                          {"calibration", calibration_key()}};
    add_pass_keys(key);
    if (reuse("ptq_" + method, out, key)) return out;
    log("ptq " + method + ": calibrating on " + std::to_string(w_.calib_images) + " images");
    onnx::save(shared_ptq(fp32).quantize(quant::method_by_name(method)), path(out));
    finish("ptq_" + method, key);
    return out;
  }

  // qcv tune inside the workflow: ptq_tuned.onnx, and tune/ (tune.json, tune.md, sensitivity.*).
  // The number of FP32 nodes is read back from the report when the phase is reused.
  std::string phase_tune(const ir::Graph& fp32, int& fp32_nodes) {
    const std::string out = "ptq_tuned.onnx";
    nlohmann::json key = {{"phase", "tune"},
                          {"fp32", fp32_digest_},
                          {"scheme", w_.scheme},
                          {"methods", w_.ptq_methods},
                          {"calibration", calibration_key()},
                          {"max_drop", w_.tune_max_drop},
                          {"relative", w_.tune_relative},
                          {"max_trials", w_.tune_max_trials},
                          {"timeout", w_.tune_timeout},
                          {"fallback", w_.tune_fallback},
                          {"eval_images", w_.tune_eval_images}};
    add_pass_keys(key);
    const std::string report = path("tune/tune.json");
    if (reuse("tune", out, key) && fs::exists(report)) {
      std::ifstream in(report);
      const auto j = nlohmann::json::parse(in);
      fp32_nodes =
          static_cast<int>(j["trials"].at(j["best_trial"].get<int>() - 1)["fp32_nodes"].size());
      return out;
    }
    log(fmt::format("tune: methods, then FP32 fallback until the top-1 drop <= {}{}",
                    w_.tune_max_drop, w_.tune_relative ? "% of FP32" : " points"));
    SharedPtq& ptq = shared_ptq(fp32);
    const ir::Graph& g = ptq.fp32();
    // Default: the results table's images (the first eval.limit_test), so that the drop tune
    // meets is the one the table shows.
    const ImageSubset eval =
        w_.tune_eval_images > 0
            ? image_subset(g, w_.dataset, "test", w_.tune_eval_images, {})
            : image_subset(g, w_.dataset, "test",
                           w_.limit_test > 0
                               ? static_cast<int>(std::min<int64_t>(w_.limit_test, 1 << 30))
                               : 1 << 30,
                           {}, true);
    const EvalSet set(g, eval, 100, w_.threads);
    quant::TuneOptions t;
    t.max_drop = w_.tune_max_drop;
    t.relative = w_.tune_relative;
    t.max_trials = w_.tune_max_trials;
    t.timeout_s = w_.tune_timeout;
    t.fallback = quant::fallback_mode_by_name(w_.tune_fallback);
    t.methods.clear();
    for (const std::string& m : w_.ptq_methods) t.methods.push_back(quant::method_by_name(m));
    t.progress = [this](const std::string& line) { log(line); };
    quant::TuneResult r = quant::tune_quantization(
        g, ptq.preparation(), ptq.backend(), ptq.data(),
        [&](const ir::Graph& q) { return set.evaluate(q); },
        [&](const ir::Graph& q) { return batch1_latency_ms(q, w_.threads, 50); }, t);
    fp32_nodes = static_cast<int>(r.trials.at(r.best).fp32_nodes.size());
    if (!r.met) log("tune: criterion NOT met (" + r.ended + "); writing the best found");
    model_input::restore_layout(r.best_graph, ptq.file_layout());
    onnx::save(r.best_graph, path(out));
    write_tune(path("tune"), r, t,
               {model_name(), ptq.calib_description(), eval.images->description(), w_.scheme, ""},
               out);
    finish("tune", key);
    return out;
  }

  std::string phase_qat(const std::string& fp32, const std::string& init_method) {
    const std::string out = "qat.onnx";
    QatSetup s;
    s.calib = calibration();
    s.ptq.scheme = quant::scheme_by_name(w_.scheme);
    s.ptq.calibration.method = quant::method_by_name(init_method);
    s.train = w_.qat_train;
    s.train.run_dir = path("qat.run");
    s.train.threads = w_.train.threads;
    s.train.workers = w_.train.workers;
    s.qat = w_.qat;
    const nlohmann::json key = {{"phase", "qat"},
                                {"fp32", fp32_digest_},
                                {"scheme", w_.scheme},
                                {"init", init_method},
                                {"calibration", calibration_key()},
                                {"qat",
                                 {{"ranges", s.qat.ranges},
                                  {"freeze_ranges_after", s.qat.freeze_ranges_after},
                                  {"range_decay", s.qat.range_decay},
                                  {"batch_norm", s.qat.batch_norm},
                                  {"bn_fold_after", s.qat.bn_fold_after}}},
                                {"train", train_key(s.train)}};
    if (reuse("qat", out, key, "qat.run")) return out;
    log(fmt::format("qat: {} epochs, {} ranges from {} calibration, BN {}, in {}", s.train.epochs,
                    s.qat.ranges, init_method, s.qat.batch_norm, s.train.run_dir));
    onnx::save(quantization_aware_training(path(fp32), s), path(out));
    finish("qat", key);
    return out;
  }

  CalibrationSetup calibration() const {
    CalibrationSetup c;
    c.dataset = w_.dataset;
    c.images = w_.calib_images;
    c.threads = w_.threads;
    return c;
  }

  // Accuracy in both backends, latency and size of one file; cached in phases/eval_<file>.json,
  // keyed by the file's bytes and the evaluation settings.
  ResultRow evaluate(const std::string& file, const std::string& mode) {
    const std::string phase = "eval_" + fs::path(file).stem().string();
    const std::string cache = "phases/" + phase + ".json";
    const nlohmann::json key = {{"phase", "eval"},
                                {"model", file_digest(path(file))},
                                {"dataset", dataset_stamp(w_.dataset)},
                                {"limit_test", w_.limit_test},
                                {"threads", w_.threads},
                                {"latency_runs", w_.latency_runs},
                                {"metrics", "top1,top5"}};
    if (reuse(phase, cache, key)) {
      std::ifstream in(path(cache));
      ResultRow r = row_from_json(nlohmann::json::parse(in));
      r.mode = mode;
      return r;
    }
    const ir::Graph g = onnx::load(path(file));
    ResultRow r;
    r.mode = mode;
    r.file = file;
    r.size_mb = double(fs::file_size(path(file))) / 1e6;
    const TestAccuracy deployed = test_accuracy(g, w_.dataset, "runtime", w_.limit_test, w_.threads);
    r.deployed_top1 = deployed.top1;
    r.deployed_top5 = deployed.top5;
    r.train_top1 = test_top1(g, w_.dataset, "torch", w_.limit_test, w_.threads);
    r.latency_ms = batch1_latency_ms(g, w_.threads, w_.latency_runs);
    log(fmt::format("{}: train-backend {:.2f}%, deployed {:.2f}% (top-5 {:.2f}%), {:.3f} ms, "
                    "{:.2f} MB",
                    mode, r.train_top1, r.deployed_top1, r.deployed_top5, r.latency_ms, r.size_mb));
    ir::write_file_atomically(path(cache), row_to_json(r).dump(2) + "\n");
    finish(phase, key);
    return r;
  }

  std::string config_file_;
  WorkflowConfig w_;
  std::string dir_;
  nlohmann::json fp32_digest_;  // the baseline's bytes: every later phase depends on them
  std::unique_ptr<SharedPtq> shared_ptq_;  // made when a ptq or tune phase first runs
};

}  // namespace

void add_workflow_command(CLI::App& app) {
  auto* cmd = app.add_subcommand(
      "workflow", "Baseline -> PTQ -> QAT -> deploy -> results table, from one YAML experiment");
  static std::string config_file, run_dir;
  cmd->add_option("--config", config_file, "Workflow YAML (configs/workflow_default.yaml)")
      ->required();
  cmd->add_option("-o,--output", run_dir,
                  "Run directory (ONNX files, report.html, results.json, results.md, "
                  "accuracy_latency.png/.svg); "
                  "rerun to resume")
      ->required();
  cmd->callback([] { Workflow(config_file, run_dir).run(); });
}

}  // namespace qcv::cli
