// Checkpoints: RUN_DIR/checkpoint/ holds the graph with its trained weights (model.onnx) and the
// trainer state beside it: optimizer.pt (torch::save), ema.pt (EMA weights), rng.pt (torch's
// CPU generator) and state.json (epoch, step, best accuracy and epoch). The directory is written as
// checkpoint.tmp and swapped in with renames, so a kill -9 at any moment leaves a complete
// checkpoint (checkpoint/, or checkpoint.old/ during the swap).
#pragma once
#include <torch/optim/optimizer.h>

#include <string>

#include "ir/ir.h"
#include "train/ema.h"

namespace qcv::train {

struct TrainerState {
  int64_t epochs_done = 0;  // completed epochs
  int64_t step = 0;         // optimizer steps so far
  double best_top1 = 0;
  int64_t best_epoch = -1;  // the epoch best.onnx holds (0: the initialization); -1: none yet
  int64_t ema_updates = 0;
};

void save_checkpoint(const std::string& run_dir, const ir::Graph& graph,
                     torch::optim::Optimizer& optimizer, WeightEma* ema, const TrainerState& state);

// Loads the last complete checkpoint into graph (initializers replaced), optimizer, ema and state;
// false when run_dir has none.
bool load_checkpoint(const std::string& run_dir, ir::Graph& graph,
                     torch::optim::Optimizer& optimizer, WeightEma* ema, TrainerState& state);

// Reads and validates a checkpoint's state.json (counts non-negative integers, best_top1 a
// percentage); throws qcv::Error naming the file.
TrainerState read_checkpoint_state(const std::string& path);

}  // namespace qcv::train
