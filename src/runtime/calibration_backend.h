// The runtime as quantization's calibration backend (quant::Backend): each observed tensor is
// handed over as soon as it is computed. Header-only: the runtime library does not link the
// quantization library; `qcv ptq`/`tune`/the workflow, bench/qcv_qdq and the tests use this one.
#pragma once
#include <memory>
#include <utility>

#include "quant/quant.h"
#include "runtime/session.h"

namespace qcv::runtime {

// `threads`: the session's team (0: all cores). The graphs quantization runs are already
// optimized (quantize_ptq's preparation), so the session does not optimize them again.
inline quant::Backend calibration_backend(int threads) {
  return [threads](const ir::Graph& g, const std::vector<std::string>& observed,
                   quant::Observer observer) -> quant::Runner {
    SessionOptions o;
    o.threads = threads;
    o.optimize = false;
    o.observe = observed;
    o.observer = std::move(observer);
    auto session = std::make_shared<Session>(g, o);
    return [session](const std::map<std::string, ir::Tensor>& feeds) { session->run(feeds); };
  };
}

}  // namespace qcv::runtime
