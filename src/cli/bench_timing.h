// The measurements behind `qcv bench`: one batch size of a Session timed on random inputs.
#pragma once
#include <functional>
#include <map>
#include <string>
#include <vector>

#include "runtime/session.h"

namespace qcv::cli {

// Random N(0, 1) float inputs with the model's shapes, the symbolic or batch dimension 0 set to
// `batch` (fixed or not, as Session::run treats it). Fails naming the input for any other unknown
// dimension or a non-float input.
std::map<std::string, ir::Tensor> random_feeds(const std::vector<ir::Value>& inputs, int batch);

struct BatchTiming {
  int batch = 0;
  double first_run_ms = 0;  // includes compiling and planning this batch size
  double median_ms = 0, p90_ms = 0, min_ms = 0;
  double images_per_s = 0;     // batch * iterations / wall time of the timed iterations
  double cpu_ms_per_image = 0; // process CPU time (user + system) of the timed iterations
  double peak_activation_mb = 0;
};

// Runs `warmup` untimed then `iters` timed inferences of one batch. `on_first_run` is called
// after the first (untimed) run, e.g. to print its plan.
BatchTiming time_batch(runtime::Session& session, int batch, int warmup, int iters,
                       const std::function<void()>& on_first_run = {});

}  // namespace qcv::cli
