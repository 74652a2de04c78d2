// Local multi-process launcher (torchrun's --nproc-per-node on one host): re-runs this very
// command line (less --nproc) as N processes with RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR and
// MASTER_PORT set, and watches them.
#pragma once

namespace qcv::cli {

// Returns when every rank exited with status 0. When one fails, it says which rank ended how,
// leaves the others a few seconds to stop by themselves (they name the failed rank too), then
// terminates them, and throws qcv::Error naming the first failed rank. master_port 0: a free
// port. Each rank gets OMP_NUM_THREADS = cores / nproc unless the variable is set.
void launch_local_ranks(int nproc, int master_port);

}  // namespace qcv::cli
