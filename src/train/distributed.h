// Data-parallel training across processes with LibTorch's c10d: a Gloo process group (CPU)
// rendezvoused through a TCPStore on rank 0, the way torchrun does it (RANK, WORLD_SIZE,
// MASTER_ADDR, MASTER_PORT). This file's one job is communication: broadcast from rank 0,
// averaging gradients in a few flat buckets, sums of metrics, barriers. With world_size 1 there is
// no process group and every call returns at once, so the trainer calls them unconditionally.
//
// Failures: every collective runs under the process-group timeout; a c10d/Gloo error becomes a
// qcv::Error naming the rank(s) that stopped ("rank 1 of 2 stopped: ..."), found from heartbeats
// each rank keeps in the store.
#pragma once
#include <ATen/ATen.h>

#include <memory>
#include <string>
#include <vector>

namespace qcv::train {

struct DistributedOptions {
  int rank = 0;
  int world_size = 1;
  std::string master_addr = "127.0.0.1";
  int master_port = 29500;
  double timeout_s = 60;  // rendezvous and each collective
};

class DataParallel {
 public:
  // Joins the job (blocks until all ranks have joined, or throws after the timeout).
  explicit DataParallel(const DistributedOptions& options);
  ~DataParallel();
  DataParallel(const DataParallel&) = delete;
  DataParallel& operator=(const DataParallel&) = delete;

  int rank() const { return options_.rank; }
  int world_size() const { return options_.world_size; }
  bool is_main() const { return options_.rank == 0; }
  bool active() const { return options_.world_size > 1; }

  // Overwrites the tensors with rank 0's values (one flat buffer per dtype).
  void broadcast(const std::vector<at::Tensor>& tensors);
  // Replaces each defined .grad() with the mean over ranks; buckets of at most ~8 MB, all in
  // flight at once.
  void average_gradients(const std::vector<at::Tensor>& params);
  // Replaces the tensors with their mean over ranks (e.g. BatchNorm running statistics).
  void average(const std::vector<at::Tensor>& tensors);
  // Sums the values over ranks, in place (metrics: loss sums, counts).
  void sum(std::vector<double>& values);
  void barrier();

 private:
  struct Impl;
  DistributedOptions options_;
  std::unique_ptr<Impl> impl_;
};

}  // namespace qcv::train
