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
                      {"ema_updates", ema ? ema->updates() : 0}};
  ir::write_file_atomically((tmp / "state.json").string(), j.dump(2) + "\n");
  folder.commit();
}

bool load_checkpoint(const std::string& run_dir, ir::Graph& graph,
                     torch::optim::Optimizer& optimizer, WeightEma* ema, TrainerState& state) {
  fs::path dir = fs::path(run_dir) / "checkpoint";
  if (!fs::exists(dir / "state.json")) dir = fs::path(run_dir) / "checkpoint.old";
  if (!fs::exists(dir / "state.json")) return false;
  std::ifstream in(dir / "state.json");
  nlohmann::json j;
  try {
    in >> j;
    state.epochs_done = j.at("epochs_done").get<int64_t>();
    state.step = j.at("step").get<int64_t>();
    state.best_top1 = j.at("best_top1").get<double>();
    state.ema_updates = j.at("ema_updates").get<int64_t>();
  } catch (const std::exception& e) {
    fail("checkpoint '{}': bad state.json: {}", (dir / "state.json").string(), e.what());
  }
  ir::Graph saved = onnx::load((dir / "model.onnx").string());
  for (auto& [name, t] : graph.initializers) {
    auto it = saved.initializers.find(name);
    if (it == saved.initializers.end())
      fail("checkpoint '{}': model.onnx lacks initializer '{}'", dir.string(), name);
    if (it->second.shape() != t.shape())
      fail("checkpoint '{}': initializer '{}' has shape {}, the model {}", dir.string(), name,
           ir::shape_str(it->second.shape()), ir::shape_str(t.shape()));
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
