// The training loop: data, model, optimizer, schedule, EMA, evaluation, checkpoints and logs.
#include <ATen/Parallel.h>
#include <unistd.h>

#include <chrono>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <nlohmann/json.hpp>

#include "data/data.h"
#include "ir/atomic_file.h"
#include "models/models.h"
#include "onnx/onnx.h"
#include "train/allocator.h"
#include "train/best_epoch.h"
#include "train/checkpoint.h"
#include "train/distributed.h"
#include "train/logging.h"
#include "train/loss.h"
#include "train/optimizers.h"
#include "train/schedules.h"
#include "train/tensor_convert.h"
#include "train/train.h"
#include "train/weight_init.h"

namespace qcv::train {
namespace fs = std::filesystem;
namespace {

using Clock = std::chrono::steady_clock;

double seconds_since(Clock::time_point t) {
  return std::chrono::duration<double>(Clock::now() - t).count();
}

// Scales all gradients so that their global L2 norm is at most max_norm (torch's clip_grad_norm_).
void clip_gradients(const std::vector<at::Tensor>& params, double max_norm) {
  at::NoGradGuard no_grad;
  double sum = 0;
  for (const at::Tensor& p : params)
    if (p.grad().defined()) sum += p.grad().pow(2).sum().item<double>();
  const double norm = std::sqrt(sum);
  if (norm <= max_norm) return;
  for (const at::Tensor& p : params)
    if (p.grad().defined()) p.grad().mul_(max_norm / (norm + 1e-6));
}

// After a resume: metrics.jsonl keeps only the epochs the checkpoint holds (a killed run may have
// logged one more), so every epoch appears once.
void keep_metrics_up_to(const std::string& path, int64_t epochs_done) {
  std::ifstream in(path);
  if (!in) return;
  std::string line, kept;
  while (std::getline(in, line)) {
    try {
      if (nlohmann::json::parse(line).at("epoch").get<int64_t>() <= epochs_done)
        kept += line + "\n";
    } catch (const std::exception&) {
      // a torn last line from the kill: dropped
    }
  }
  ir::write_file_atomically(path, kept);
}

// The first n examples of a dataset (quick runs and tests).
class FirstN : public data::Dataset {
 public:
  FirstN(std::shared_ptr<data::Dataset> base, size_t n) : base_(std::move(base)), n_(n) {}
  size_t size() const override { return std::min(n_, base_->size()); }
  data::Example get(size_t i) const override { return base_->get(i); }
  const std::vector<std::string>& class_names() const override { return base_->class_names(); }
  std::string description() const override {
    return fmt::format("first {} of {}", size(), base_->description());
  }

 private:
  std::shared_ptr<data::Dataset> base_;
  size_t n_;
};

std::shared_ptr<data::Dataset> open_split(const TrainConfig& cfg, const std::string& split,
                                          int64_t limit) {
  data::ImageFolderOptions folder;
  folder.channels = cfg.channels;
  std::shared_ptr<data::Dataset> d = data::open_dataset(cfg.dataset, split, folder);
  if (limit > 0) d = std::make_shared<FirstN>(d, static_cast<size_t>(limit));
  return d;
}

void check_config(const TrainConfig& cfg) {
  if (cfg.channels != 1 && cfg.channels != 3) fail("channels must be 1 or 3, got {}", cfg.channels);
  if (cfg.batch_size <= 0) fail("batch_size must be positive, got {}", cfg.batch_size);
  if (cfg.epochs <= 0) fail("epochs must be positive, got {}", cfg.epochs);
  if (cfg.resolution <= 0) fail("resolution must be positive, got {}", cfg.resolution);
  if (cfg.label_smoothing < 0 || cfg.label_smoothing >= 1)
    fail("label_smoothing must be in [0, 1), got {}", cfg.label_smoothing);
  if (cfg.ema_decay < 0 || cfg.ema_decay >= 1)
    fail("ema_decay must be in [0, 1), got {}", cfg.ema_decay);
  if (cfg.bn_momentum < 0 || cfg.bn_momentum > 1)
    fail("bn_momentum must be in [0, 1], got {}", cfg.bn_momentum);
  if (cfg.world_size > 0 && cfg.batch_size % cfg.world_size != 0)
    fail("batch_size {} (the global batch) must be a multiple of world_size {}", cfg.batch_size,
         cfg.world_size);
}

// ---- Data-parallel hooks (distributed.h); with one process each is a no-op. ----
DistributedOptions distributed_options(const TrainConfig& cfg) {
  DistributedOptions o;
  o.rank = cfg.rank;
  o.world_size = cfg.world_size;
  o.master_addr = cfg.master_addr;
  o.master_port = cfg.master_port;
  o.timeout_s = cfg.dist_timeout;
  return o;
}

// Each rank reads its own shard of the epoch's permutation (same seed everywhere), the training
// shards padded to equal length so that all ranks run the same number of steps.
void shard_loaders(const DataParallel& dist, data::LoaderOptions& train_opts,
                   data::LoaderOptions& test_opts) {
  train_opts.batch_size /= dist.world_size();
  for (data::LoaderOptions* o : {&train_opts, &test_opts}) {
    o->rank = dist.rank();
    o->world_size = dist.world_size();
  }
  train_opts.pad_shards = dist.active();
  test_opts.pad_shards = false;  // each test image counted once
}

// All ranks start from rank 0's weights and BN statistics and agree on where the run stands;
// dropout then draws differently on each rank.
void start_in_step(DataParallel& dist, TorchGraph& module, const TrainerState& state,
                   int64_t seed) {
  if (!dist.active()) return;
  std::vector<at::Tensor> tensors;
  for (const NamedTensor& t : module.state()) tensors.push_back(t.tensor);
  dist.broadcast(tensors);
  at::Tensor where = at::tensor({double(state.epochs_done), double(state.step)}, at::kDouble);
  at::Tensor mine = where.clone();
  dist.broadcast({where});
  if (!at::equal(where, mine))
    fail(
        "rank {}: its checkpoint (epoch {}) differs from rank 0's (epoch {}): with --resume all "
        "ranks must see the same run directory",
        dist.rank(), state.epochs_done, where[0].item<double>());
  at::manual_seed(static_cast<uint64_t>(seed) * 1000003u + static_cast<uint64_t>(dist.rank()) +
                  static_cast<uint64_t>(state.step) * 7919u);
}

// Per-rank BN running statistics (no SyncBN) are averaged after each step, so that every rank
// holds the same state: for the running means this is exactly the global batch's mean.
void average_buffers(DataParallel& dist, TorchGraph& module) {
  std::vector<at::Tensor> tensors;
  for (const NamedTensor& t : module.buffers()) tensors.push_back(t.tensor);
  dist.average(tensors);
}

void sum_over_ranks(DataParallel& dist, double& loss_sum, int64_t& correct, int64_t& seen) {
  std::vector<double> v = {loss_sum, double(correct), double(seen)};
  dist.sum(v);
  loss_sum = v[0];
  correct = static_cast<int64_t>(v[1]);
  seen = static_cast<int64_t>(v[2]);
}

std::string triple(const std::array<float, 3>& v) {
  return fmt::format("{},{},{}", v[0], v[1], v[2]);
}

ir::Graph make_model(const TrainConfig& cfg, const data::Dataset& train_set,
                     const data::Preprocess& eval_pre) {
  ir::Graph g;
  if (!cfg.init.empty()) {
    g = onnx::load(cfg.init);
  } else {
    models::ModelSpec spec;
    spec.name = cfg.model;
    spec.width = static_cast<float>(cfg.width);
    spec.resolution = cfg.resolution;
    spec.classes = train_set.num_classes();
    spec.in_channels = cfg.channels;
    spec.dropout = static_cast<float>(cfg.dropout);
    spec.seed = static_cast<uint64_t>(cfg.seed);
    g = models::build(spec);
    set_batch_norm_epsilon(g, cfg.bn_epsilon);
    if (cfg.truncated_normal_stddev > 0)
      truncated_normal_init(g, cfg.truncated_normal_stddev, static_cast<uint64_t>(cfg.seed));
  }
  for (ir::Node& n : g.nodes)
    if (n.op == "BatchNormalization") n.attrs["momentum"] = static_cast<float>(cfg.bn_momentum);
  // Preprocessing travels with the model, so that eval/classify need no flags.
  g.metadata["qcv.resolution"] = std::to_string(cfg.resolution);
  g.metadata["qcv.channels"] = std::to_string(cfg.channels);
  g.metadata["qcv.mean"] = triple(eval_pre.mean);
  g.metadata["qcv.std"] = triple(eval_pre.std);
  g.metadata["qcv.dataset"] = cfg.dataset;
  g.metadata["qcv.labels"] = nlohmann::json(train_set.class_names()).dump();
  return g;
}

struct EvalStats {
  double loss = 0, top1 = 0, top5 = 0;
  int64_t count = 0;
};

EvalStats evaluate(TorchGraph& module, data::DataLoader& loader, DataParallel& dist) {
  at::NoGradGuard no_grad;
  module.eval();
  loader.start_epoch(0);
  data::Batch batch;
  EvalStats s;
  double loss_sum = 0;
  int64_t top1 = 0, top5 = 0;
  while (loader.next(batch)) {
    at::Tensor logits = module.forward(to_torch(batch.images));
    at::Tensor labels = to_torch(batch.labels);
    const int64_t n = labels.size(0);
    loss_sum += smoothed_cross_entropy(logits, labels, 0).item<double>() * double(n);
    top1 += count_top_k(logits, labels, 1);
    top5 += count_top_k(logits, labels, 5);
    s.count += n;
  }
  std::vector<double> totals = {loss_sum, double(top1), double(top5), double(s.count)};
  dist.sum(totals);  // each rank evaluated its own shard
  loss_sum = totals[0];
  top1 = static_cast<int64_t>(totals[1]);
  top5 = static_cast<int64_t>(totals[2]);
  s.count = static_cast<int64_t>(totals[3]);
  if (s.count > 0) {
    s.loss = loss_sum / double(s.count);
    s.top1 = 100.0 * double(top1) / double(s.count);
    s.top5 = 100.0 * double(top5) / double(s.count);
  }
  return s;
}

// The weights to evaluate and export: the EMA when it is on.
template <typename F>
void with_eval_weights(TorchGraph& module, WeightEma* ema, F&& f) {
  if (ema) ema->swap_into(module);
  try {
    f();
  } catch (...) {
    if (ema) ema->swap_into(module);
    throw;
  }
  if (ema) ema->swap_into(module);
}

}  // namespace

TrainResult run_training(const TrainConfig& cfg) { return run_training(cfg, TrainHooks{}); }

TrainResult run_training(const TrainConfig& cfg, const TrainHooks& hooks) {
  check_config(cfg);
  keep_freed_memory();
  if (cfg.threads > 0) at::set_num_threads(cfg.threads);
  DataParallel dist(distributed_options(cfg));  // joins the job; only rank 0 writes files
  const std::string& run_dir = cfg.run_dir;
  const bool has_checkpoint = fs::exists(fs::path(run_dir) / "checkpoint" / "state.json") ||
                              fs::exists(fs::path(run_dir) / "checkpoint.old" / "state.json");
  if (has_checkpoint && !cfg.resume)
    fail(
        "run directory '{}' already holds a checkpoint: pass --resume to continue it, or choose "
        "another -o",
        run_dir);

  // Data.
  auto train_set = open_split(cfg, "train", cfg.limit_train);
  auto test_set = open_split(cfg, "test", cfg.limit_test);
  data::Preprocess train_pre =
      data::Preprocess::for_dataset(cfg.dataset, cfg.resolution, true, cfg.channels);
  data::Preprocess eval_pre =
      data::Preprocess::for_dataset(cfg.dataset, cfg.resolution, false, cfg.channels);
  if (!cfg.augment) {
    train_pre.train_crop = data::Preprocess::TrainCrop::None;
    train_pre.horizontal_flip = false;
  }
  train_pre.erasing_probability = cfg.random_erasing;
  data::LoaderOptions train_opts;
  train_opts.batch_size = cfg.batch_size;
  train_opts.shuffle = true;
  train_opts.drop_last = train_set->size() > static_cast<size_t>(cfg.batch_size);
  train_opts.workers = cfg.workers;
  train_opts.seed = static_cast<uint64_t>(cfg.seed);
  data::LoaderOptions test_opts = train_opts;
  test_opts.shuffle = false;
  test_opts.drop_last = false;
  test_opts.batch_size = std::max(cfg.batch_size, 256);
  shard_loaders(dist, train_opts, test_opts);
  data::DataLoader train_loader(train_set, train_pre, train_opts);
  data::DataLoader test_loader(test_set, eval_pre, test_opts);
  const int64_t steps = static_cast<int64_t>(train_loader.batches_per_epoch());
  if (steps == 0) fail("the training set '{}' gives no batch", train_set->description());

  // Model, optimizer, schedule.
  at::manual_seed(static_cast<uint64_t>(cfg.seed));
  ir::Graph graph = make_model(cfg, *train_set, eval_pre);
  TorchGraphOptions module_options;
  module_options.channels_last = cfg.channels_last;
  module_options.trainable_quant_scales = hooks.trainable_quant_scales;
  if (hooks.configure_module) hooks.configure_module(module_options, graph);
  TorchGraph module(graph, module_options);
  auto optimizer = make_optimizer(cfg, module);
  std::unique_ptr<WeightEma> ema;
  if (cfg.ema_decay > 0) ema = std::make_unique<WeightEma>(module, cfg.ema_decay);
  ScheduleConfig sc;
  sc.kind = cfg.lr_schedule;
  sc.base_lr = cfg.lr;
  sc.epochs = cfg.epochs;
  sc.warmup_epochs = cfg.warmup_epochs;
  sc.decay_rate = cfg.lr_decay_rate;
  sc.decay_epochs = cfg.lr_decay_epochs;
  if (cfg.lr_schedule == "piecewise") sc.piecewise = parse_piecewise(cfg.piecewise);
  LrSchedule schedule(sc);

  // Every setting has been checked by now (data, model, optimizer, schedule): the run folder is
  // written only for a run that can start.
  fs::create_directories(run_dir);
  if (dist.is_main()) ir::write_file_atomically(run_dir + "/config.yaml", config_to_yaml(cfg));
  if (!has_checkpoint && dist.is_main()) {  // a fresh run starts a fresh metrics file
    std::error_code ec;
    fs::remove(run_dir + "/metrics.jsonl", ec);
  }

  TrainLogger log(run_dir, cfg.epochs, isatty(fileno(stderr)) != 0, dist.is_main());
  const std::string warning = schedule.unreached_phase_warning(steps);
  if (!warning.empty()) log.message("qcv: warning: " + warning);

  TrainerState state;
  if (cfg.resume && load_checkpoint(run_dir, graph, *optimizer, ema.get(), state)) {
    module.load_from(graph);
    if (dist.is_main()) keep_metrics_up_to(run_dir + "/metrics.jsonl", state.epochs_done);
    log.message(fmt::format("resuming '{}' after epoch {} (step {})", run_dir, state.epochs_done,
                            state.step));
  }
  start_in_step(dist, module, state, cfg.seed);
  log.message(fmt::format("training {} on {} ({} steps of {} per epoch), testing on {}",
                          cfg.init.empty() ? cfg.model : cfg.init, train_set->description(), steps,
                          cfg.batch_size, test_set->description()));

  TrainResult result;
  BestEpoch best{state.best_epoch, state.best_top1};
  // Evaluates the module's eval weights; writes best.onnx when they are the best so far.
  auto evaluate_epoch = [&](int64_t epoch_number) {
    EvalStats e;
    with_eval_weights(module, ema.get(), [&] {
      e = evaluate(module, test_loader, dist);
      if (!best.offer(epoch_number, e.top1)) return;
      ir::Graph best_graph = graph;
      module.write_back(best_graph);
      best_graph.metadata["qcv.epoch"] = std::to_string(epoch_number);
      best_graph.metadata["qcv.test_top1"] = fmt::format("{:.2f}", e.top1);
      if (dist.is_main()) onnx::save(best_graph, run_dir + "/best.onnx");
    });
    state.best_epoch = best.epoch;
    state.best_top1 = best.top1;
    return e;
  };
  if (hooks.evaluate_init && state.epochs_done == 0) {
    // The module as its first epoch will see it (QAT's BN folding binds to it here).
    if (hooks.on_epoch_start) hooks.on_epoch_start(module, 0);
    result.init_top1 = evaluate_epoch(0).top1;
    log.message(fmt::format("epoch 0 (the initial model): test top-1 {:.2f}%", result.init_top1));
  }
  const auto run_start = Clock::now();
  int64_t images_total = 0;
  double train_seconds_total = 0;
  int64_t epochs_this_run = 0;
  const std::vector<at::Tensor> params = module.parameter_tensors();
  for (int64_t epoch = state.epochs_done; epoch < cfg.epochs; ++epoch) {
    const auto epoch_start = Clock::now();
    if (hooks.on_epoch_start) hooks.on_epoch_start(module, epoch);
    module.train();
    train_loader.start_epoch(epoch);
    data::Batch batch;
    double loss_sum = 0, lr = 0;
    int64_t correct = 0, seen = 0, step = 0;
    while (train_loader.next(batch)) {
      lr = schedule.at(double(epoch) + double(step) / double(steps));
      set_learning_rate(*optimizer, lr);
      at::Tensor labels = to_torch(batch.labels);
      at::Tensor logits = module.forward(to_torch(batch.images));
      at::Tensor loss = smoothed_cross_entropy(logits, labels, cfg.label_smoothing);
      const double loss_value = loss.item<double>();
      if (!std::isfinite(loss_value)) {
        const std::string kept =
            state.epochs_done > 0
                ? fmt::format("the last good checkpoint (epoch {}) in '{}' is kept", state.epochs_done,
                              run_dir)
                : std::string("no epoch had completed, so there is no checkpoint");
        fail("training diverged: loss is {} at epoch {} step {} (lr {:.6g}); {}", loss_value,
             epoch + 1, step + 1, lr, kept);
      }
      optimizer->zero_grad();
      loss.backward();
      dist.average_gradients(params);
      if (cfg.clip_grad_norm > 0) clip_gradients(params, cfg.clip_grad_norm);
      optimizer->step();
      average_buffers(dist, module);
      if (ema) ema->update(module);
      const int64_t n = labels.size(0);
      loss_sum += loss_value * double(n);
      correct += count_top_k(logits.detach(), labels, 1);
      seen += n;
      ++step;
      ++state.step;
      const double elapsed = seconds_since(epoch_start);
      const double rate = double(seen * dist.world_size()) / std::max(elapsed, 1e-9);
      const double eta = double(steps - step) * elapsed / double(step) +
                         double(cfg.epochs - epoch - 1) * elapsed * double(steps) / double(step);
      log.progress(epoch + 1, step, steps, loss_sum / double(seen),
                   100.0 * double(correct) / double(seen), rate, eta);
    }
    const double train_seconds = seconds_since(epoch_start);
    sum_over_ranks(dist, loss_sum, correct, seen);
    images_total += seen;
    train_seconds_total += train_seconds;

    EpochMetrics m;
    m.epoch = epoch + 1;
    m.lr = lr;
    m.train_loss = seen ? loss_sum / double(seen) : 0;
    m.train_top1 = seen ? 100.0 * double(correct) / double(seen) : 0;
    m.images_per_s = double(seen) / std::max(train_seconds, 1e-9);
    const EvalStats e = evaluate_epoch(epoch + 1);
    m.test_loss = e.loss;
    m.test_top1 = e.top1;
    m.test_top5 = e.top5;
    state.epochs_done = epoch + 1;
    module.write_back(graph);
    graph.metadata["qcv.epoch"] = std::to_string(epoch + 1);
    // This epoch's accuracy (with EMA weights when EMA is on, as final.onnx is written): the
    // metadata otherwise keeps the value of the model training started from.
    graph.metadata["qcv.test_top1"] = fmt::format("{:.2f}", m.test_top1);
    m.seconds = seconds_since(epoch_start);
    log.epoch_done(m, state.step);  // before the checkpoint: a resume drops lines after it
    if (dist.is_main()) {
      save_checkpoint(run_dir, graph, *optimizer, ema.get(), state);
      onnx::save(graph, run_dir + "/model.onnx");
    }
    dist.barrier();  // the epoch's checkpoint is complete before any rank goes on
    result.final_top1 = m.test_top1;
    ++epochs_this_run;
    if (cfg.stop_after_epochs > 0 && epochs_this_run >= cfg.stop_after_epochs &&
        epoch + 1 < cfg.epochs) {
      result.stopped_early = true;
      break;
    }
  }
  result.epochs_done = static_cast<int>(state.epochs_done);
  result.best_top1 = state.best_top1;
  result.best_epoch = state.best_epoch;
  result.seconds = seconds_since(run_start);
  result.images_per_s = train_seconds_total > 0 ? double(images_total) / train_seconds_total : 0;
  if (!result.stopped_early && dist.is_main()) {
    ir::Graph final_graph = graph;
    with_eval_weights(module, ema.get(), [&] { module.write_back(final_graph); });
    onnx::save(final_graph, run_dir + "/final.onnx");
  }
  return result;
}

}  // namespace qcv::train
