#include "train/checkpoint.h"

#include <ATen/CPUGeneratorImpl.h>
#include <torch/serialize.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <mutex>
#include <nlohmann/json.hpp>

#include "ir/atomic_file.h"
#include "onnx/onnx.h"

namespace qcv::train {
namespace fs = std::filesystem;

void save_checkpoint(const std::string& run_dir, const ir::Graph& graph,
                     torch::optim::Optimizer& optimizer, WeightEma* ema,
                     const TrainerState& state) {
  // The whole folder is written under a temporary name and swapped in: a kill at any point leaves
  // the previous checkpoint whole (and the temporary is removed by the signal handler or the next
  // run).
  ir::AtomicFolder folder((fs::path(run_dir) / "checkpoint").string());
  const fs::path tmp = folder.temp_path();
  try {
    onnx::save(graph, (tmp / "model.onnx").string());
    torch::save(optimizer, (tmp / "optimizer.pt").string());
    if (ema) torch::save(ema->shadow(), (tmp / "ema.pt").string());
    at::Tensor rng = at::detail::getDefaultCPUGenerator().get_state();
    torch::save(rng, (tmp / "rng.pt").string());
  } catch (const c10::Error& e) {
    fail("cannot write checkpoint in '{}': {}", tmp.string(), e.what_without_backtrace());
  }
  nlohmann::json j = {{"epochs_done", state.epochs_done},
                      {"step", state.step},
                      {"best_top1", state.best_top1},
                      {"best_epoch", state.best_epoch},
                      {"ema_updates", ema ? ema->updates() : 0}};
  ir::write_file_atomically((tmp / "state.json").string(), j.dump(2) + "\n");
  folder.commit();
}

TrainerState read_checkpoint_state(const std::string& path) {
  // state.json is a few lines; a larger one is not ours.
  std::error_code ec;
  const uintmax_t bytes = fs::file_size(path, ec);
  if (ec) fail("checkpoint '{}': cannot read: {}", path, ec.message());
  if (bytes > (1 << 20)) fail("checkpoint '{}': {} bytes, not a trainer state", path, bytes);
  std::ifstream in(path);
  nlohmann::json j;
  try {
    in >> j;
  } catch (const std::exception& e) {
    fail("checkpoint '{}': bad state.json: {}", path, e.what());
  }
  if (!j.is_object()) fail("checkpoint '{}': bad state.json: not an object", path);
  // get<int64_t>() would truncate 1.5 and make 1e30 undefined: integers must be integers.
  auto count = [&](const char* key) {
    if (!j.contains(key) || !j[key].is_number_integer() || j[key].get<int64_t>() < 0)
      fail("checkpoint '{}': bad state.json: '{}' must be a non-negative integer", path, key);
    return j[key].get<int64_t>();
  };
  TrainerState state;
  state.epochs_done = count("epochs_done");
  state.step = count("step");
  state.ema_updates = count("ema_updates");
  if (!j.contains("best_top1") || !j["best_top1"].is_number() ||
      !(j["best_top1"].get<double>() >= 0 && j["best_top1"].get<double>() <= 100))
    fail("checkpoint '{}': bad state.json: 'best_top1' must be a percentage from 0 to 100", path);
  state.best_top1 = j["best_top1"].get<double>();
  // Optional (checkpoints written before it was recorded): unknown, the next best replaces it.
  if (j.contains("best_epoch")) {
    if (!j["best_epoch"].is_number_integer() || j["best_epoch"].get<int64_t>() < -1 ||
        j["best_epoch"].get<int64_t>() > state.epochs_done)
      fail("checkpoint '{}': bad state.json: 'best_epoch' must be an integer from -1 to "
           "epochs_done",
           path);
    state.best_epoch = j["best_epoch"].get<int64_t>();
  }
  return state;
}

bool load_checkpoint(const std::string& run_dir, ir::Graph& graph,
                     torch::optim::Optimizer& optimizer, WeightEma* ema, TrainerState& state) {
  fs::path dir = fs::path(run_dir) / "checkpoint";
  if (!fs::exists(dir / "state.json")) dir = fs::path(run_dir) / "checkpoint.old";
  if (!fs::exists(dir / "state.json")) return false;
  state = read_checkpoint_state((dir / "state.json").string());
  ir::Graph saved = onnx::load((dir / "model.onnx").string());
  for (auto& [name, t] : graph.initializers) {
    auto it = saved.initializers.find(name);
    if (it == saved.initializers.end())
      fail("checkpoint '{}': model.onnx lacks initializer '{}'", dir.string(), name);
    if (it->second.shape() != t.shape())
      fail("checkpoint '{}': initializer '{}' has shape {}, the model {}", dir.string(), name,
           ir::shape_str(it->second.shape()), ir::shape_str(t.shape()));
    if (it->second.dtype() != t.dtype())
      fail("checkpoint '{}': initializer '{}' has type {}, the model {}", dir.string(), name,
           ir::dtype_name(it->second.dtype()), ir::dtype_name(t.dtype()));
    t = it->second;
  }
  try {
    torch::load(optimizer, (dir / "optimizer.pt").string());
    if (ema) {
      if (!fs::exists(dir / "ema.pt"))
        fail("checkpoint '{}' has no EMA weights but EMA is on", dir.string());
      std::vector<at::Tensor> shadow;
      torch::load(shadow, (dir / "ema.pt").string());
      if (shadow.size() != ema->shadow().size())
        fail("checkpoint '{}': EMA has {} tensors, expected {}", dir.string(), shadow.size(),
             ema->shadow().size());
      // copy_ would broadcast a smaller tensor silently: shapes and types must match exactly.
      for (size_t i = 0; i < shadow.size(); ++i)
        if (!shadow[i].sizes().equals(ema->shadow()[i].sizes()) ||
            shadow[i].scalar_type() != ema->shadow()[i].scalar_type())
          fail("checkpoint '{}': EMA tensor {} is {} [{}], expected {} [{}]", dir.string(), i,
               c10::toString(shadow[i].scalar_type()), fmt::join(shadow[i].sizes(), ", "),
               c10::toString(ema->shadow()[i].scalar_type()),
               fmt::join(ema->shadow()[i].sizes(), ", "));
      for (size_t i = 0; i < shadow.size(); ++i) ema->shadow()[i].copy_(shadow[i]);
      ema->set_updates(state.ema_updates);
    }
    at::Tensor rng;
    torch::load(rng, (dir / "rng.pt").string());
    at::Generator generator = at::detail::getDefaultCPUGenerator();  // a shared handle
    std::lock_guard<std::mutex> lock(generator.mutex());
    generator.set_state(rng);
  } catch (const c10::Error& e) {
    fail("checkpoint '{}': {}", dir.string(), e.what_without_backtrace());
  }
  return true;
}

}  // namespace qcv::train
