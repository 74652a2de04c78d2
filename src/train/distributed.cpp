// DataParallel over c10d::ProcessGroupGloo. The TCPStore server lives in rank 0; besides the
// rendezvous it holds one heartbeat counter per rank, which is how a failed collective learns
// which rank stopped (Gloo only reports a closed socket or a timeout).
#include "train/distributed.h"

#include <chrono>
#include <condition_variable>
#include <cstdlib>
#include <map>
#include <mutex>
#include <thread>
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>

#include "ir/error.h"

namespace qcv::train {
namespace {

using Ms = std::chrono::milliseconds;
constexpr Ms kBeatPeriod{250};
constexpr int64_t kBucketBytes = 8 << 20;  // like DDP's buckets: few collectives, bounded copies

std::string beat_key(int rank) { return "qcv/beat/" + std::to_string(rank); }

std::string message_of(const std::exception& e) {
  if (auto* c10_error = dynamic_cast<const c10::Error*>(&e))
    return c10_error->what_without_backtrace();
  return e.what();
}

bool is_loopback(const std::string& host) {
  return host == "localhost" || host.rfind("127.", 0) == 0 || host == "::1";
}

// Which network interface Gloo's pairs use: GLOO_SOCKET_IFNAME like torch, loopback for a local
// job, else the address this host's name resolves to.
std::shared_ptr<::gloo::transport::Device> make_device(const std::string& master_addr) {
  if (const char* ifname = std::getenv("GLOO_SOCKET_IFNAME"); ifname && *ifname)
    return c10d::ProcessGroupGloo::createDeviceForInterface(ifname);
  if (is_loopback(master_addr)) return c10d::ProcessGroupGloo::createDeviceForHostname("127.0.0.1");
  return c10d::ProcessGroupGloo::createDefaultDevice();
}

at::Tensor flatten(const std::vector<at::Tensor>& tensors) {
  std::vector<at::Tensor> pieces;
  pieces.reserve(tensors.size());
  for (const at::Tensor& t : tensors) pieces.push_back(t.contiguous().view(-1));
  return at::cat(pieces);
}

void copy_from_flat(const at::Tensor& flat, const std::vector<at::Tensor>& tensors) {
  at::NoGradGuard no_grad;
  int64_t offset = 0;
  for (const at::Tensor& t : tensors) {
    t.copy_(flat.narrow(0, offset, t.numel()).view(t.sizes()));
    offset += t.numel();
  }
}

// Consecutive runs of one dtype, at most kBucketBytes each (a larger tensor is a bucket alone).
std::vector<std::vector<at::Tensor>> buckets_of(const std::vector<at::Tensor>& tensors) {
  std::vector<std::vector<at::Tensor>> buckets;
  int64_t bytes = 0;
  for (const at::Tensor& t : tensors) {
    const int64_t size = t.numel() * static_cast<int64_t>(t.element_size());
    if (buckets.empty() || buckets.back().front().scalar_type() != t.scalar_type() ||
        bytes + size > kBucketBytes) {
      buckets.emplace_back();
      bytes = 0;
    }
    buckets.back().push_back(t);
    bytes += size;
  }
  return buckets;
}

}  // namespace

struct DataParallel::Impl {
  DistributedOptions options;
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroupGloo> group;
  // Heartbeat: its own store connection, so that it never waits behind a collective.
  c10::intrusive_ptr<c10d::TCPStore> beat_store;
  std::thread beat_thread;
  std::mutex beat_mutex;
  std::condition_variable beat_cv;
  bool beat_stop = false;

  Ms timeout() const { return Ms(static_cast<int64_t>(options.timeout_s * 1000)); }

  c10::intrusive_ptr<c10d::TCPStore> connect(bool server, bool wait_workers) const {
    c10d::TCPStoreOptions o;
    o.port = static_cast<uint16_t>(options.master_port);
    o.isServer = server;
    o.numWorkers = static_cast<size_t>(options.world_size);
    o.waitWorkers = wait_workers;
    o.timeout = timeout();
    return c10::make_intrusive<c10d::TCPStore>(options.master_addr, o);
  }

  void join() {
    const std::string where = fmt::format("{}:{}", options.master_addr, options.master_port);
    try {
      store = connect(options.rank == 0, true);
      auto group_options = c10d::ProcessGroupGloo::Options::create(timeout());
      group_options->devices.push_back(make_device(options.master_addr));
      group = c10::make_intrusive<c10d::ProcessGroupGloo>(
          c10::make_intrusive<c10d::PrefixStore>("qcv/gloo", store), options.rank,
          options.world_size, group_options);
      beat_store = connect(false, false);
    } catch (const std::exception& e) {
      fail("rank {} of {}: cannot join the job at {} within {} s: {}", options.rank,
           options.world_size, where, options.timeout_s, message_of(e));
    }
    beat_thread = std::thread([this] { beat(); });
  }

  void beat() {
    std::unique_lock<std::mutex> lock(beat_mutex);
    while (!beat_stop) {
      try {
        beat_store->add(beat_key(options.rank), 1);
      } catch (const std::exception&) {
        return;  // the store (rank 0) is gone: the next collective reports it
      }
      beat_cv.wait_for(lock, kBeatPeriod, [this] { return beat_stop; });
    }
  }

  void stop_beating() {
    {
      std::lock_guard<std::mutex> lock(beat_mutex);
      beat_stop = true;
    }
    beat_cv.notify_all();
    if (beat_thread.joinable()) beat_thread.join();
  }

  // The other ranks whose heartbeat stands still; rank 0 when the store cannot be reached.
  std::vector<int> stopped_ranks() {
    stop_beating();
    std::vector<int> stopped;
    try {
      std::vector<int64_t> before(options.world_size);
      for (int r = 0; r < options.world_size; ++r) before[r] = beat_store->add(beat_key(r), 0);
      std::this_thread::sleep_for(kBeatPeriod * 6);
      for (int r = 0; r < options.world_size; ++r)
        if (r != options.rank && beat_store->add(beat_key(r), 0) == before[r]) stopped.push_back(r);
    } catch (const std::exception&) {
      if (options.rank != 0) stopped = {0};
    }
    return stopped;
  }

  [[noreturn]] void report_failure(const std::string& what, const std::string& error) {
    const std::vector<int> stopped = stopped_ranks();
    const std::string detail = fmt::format("{} failed on rank {}: {}", what, options.rank, error);
    if (stopped.empty())
      fail("{} of {} ranks: {} (no rank stopped: one may hang, or the network failed)", what,
           options.world_size, detail);
    fail("{} {} of {} stopped: {}", stopped.size() == 1 ? "rank" : "ranks",
         fmt::join(stopped, ", "), options.world_size, detail);
  }

  // Starts collectives with `start` and waits for all of them; any error is reported once.
  template <typename Start>
  void run(const std::string& what, Start&& start) {
    std::string error;
    std::vector<c10::intrusive_ptr<c10d::Work>> works;
    try {
      start(works);
    } catch (const std::exception& e) {
      error = message_of(e);
    }
    for (auto& work : works) {
      try {
        work->wait();
      } catch (const std::exception& e) {
        if (error.empty()) error = message_of(e);
      }
    }
    if (!error.empty()) report_failure(what, error);
  }

  // Sums each bucket over ranks, then writes bucket * scale back into its tensors.
  void all_reduce(const std::string& what, const std::vector<at::Tensor>& tensors, double scale) {
    std::vector<std::vector<at::Tensor>> buckets = buckets_of(tensors);
    std::vector<at::Tensor> flats;
    for (const auto& bucket : buckets) flats.push_back(flatten(bucket));
    run(what, [&](auto& works) {
      for (at::Tensor& flat : flats) {
        std::vector<at::Tensor> one = {flat};
        works.push_back(group->allreduce(one));
      }
    });
    for (size_t i = 0; i < buckets.size(); ++i) {
      if (scale != 1.0) flats[i].mul_(scale);
      copy_from_flat(flats[i], buckets[i]);
    }
  }
};

DataParallel::DataParallel(const DistributedOptions& options) : options_(options) {
  if (options.world_size < 1) fail("world_size must be at least 1, got {}", options.world_size);
  if (options.rank < 0 || options.rank >= options.world_size)
    fail("rank {} is not in [0, world_size={})", options.rank, options.world_size);
  if (options.timeout_s <= 0) fail("dist_timeout must be positive, got {}", options.timeout_s);
  if (!active()) return;
  if (options.master_port <= 0 || options.master_port > 65535)
    fail("master_port must be in 1..65535, got {}", options.master_port);
  impl_ = std::make_unique<Impl>();
  impl_->options = options;
  impl_->join();
}

DataParallel::~DataParallel() {
  if (impl_) impl_->stop_beating();
}

void DataParallel::broadcast(const std::vector<at::Tensor>& tensors) {
  if (!active() || tensors.empty()) return;
  std::vector<std::vector<at::Tensor>> buckets = buckets_of(tensors);
  std::vector<at::Tensor> flats;
  for (const auto& bucket : buckets) flats.push_back(flatten(bucket));
  impl_->run("broadcast", [&](auto& works) {
    for (at::Tensor& flat : flats) {
      std::vector<at::Tensor> one = {flat};
      works.push_back(impl_->group->broadcast(one));
    }
  });
  for (size_t i = 0; i < buckets.size(); ++i) copy_from_flat(flats[i], buckets[i]);
}

void DataParallel::average_gradients(const std::vector<at::Tensor>& params) {
  if (!active()) return;
  std::vector<at::Tensor> grads;
  for (auto it = params.rbegin(); it != params.rend(); ++it)  // the order backward fills them
    if (it->grad().defined()) grads.push_back(it->grad());
  if (!grads.empty()) impl_->all_reduce("gradient all-reduce", grads, 1.0 / world_size());
}

void DataParallel::average(const std::vector<at::Tensor>& tensors) {
  if (!active() || tensors.empty()) return;
  impl_->all_reduce("all-reduce", tensors, 1.0 / world_size());
}

void DataParallel::sum(std::vector<double>& values) {
  if (!active() || values.empty()) return;
  at::Tensor t = at::tensor(values, at::kDouble);
  impl_->all_reduce("metrics all-reduce", {t}, 1.0);
  for (size_t i = 0; i < values.size(); ++i) values[i] = t[static_cast<int64_t>(i)].item<double>();
}

void DataParallel::barrier() {
  if (!active()) return;
  impl_->run("barrier", [&](auto& works) { works.push_back(impl_->group->barrier()); });
}

}  // namespace qcv::train
