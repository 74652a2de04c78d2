// DataLoader: per-epoch shuffled, sharded index order; batches built by worker threads into a
// bounded window ahead of the consumer and handed out strictly in order. A batch's content is a
// function of (dataset, preprocessing, options, epoch, batch number) only, so the number of
// threads and their timing never change the output.
#include <algorithm>
#include <condition_variable>
#include <exception>
#include <map>
#include <mutex>
#include <thread>

#include "data/data.h"

namespace qcv::data {

struct DataLoader::Epoch {
  int64_t number = 0;
  std::vector<int64_t> indices;
  size_t num_batches = 0;
  size_t window = 1;  // batches claimed but not yet consumed, at most

  std::mutex mutex;
  std::condition_variable work_available;
  std::condition_variable batch_ready;
  size_t next_to_claim = 0;
  size_t next_to_yield = 0;
  std::map<size_t, Batch> ready;
  std::exception_ptr error;
  bool stop = false;
  std::vector<std::thread> threads;

  ~Epoch() {
    {
      std::lock_guard<std::mutex> lock(mutex);
      stop = true;
    }
    work_available.notify_all();
    for (std::thread& thread : threads) thread.join();
  }
};

namespace {

Batch build_batch(const Dataset& dataset, const Preprocess& preprocess_config,
                  const LoaderOptions& options, int64_t epoch, const int64_t* indices,
                  size_t count) {
  Batch batch;
  const int r = preprocess_config.resolution;
  batch.images = ir::Tensor(ir::DType::Float32,
                            {static_cast<int64_t>(count), preprocess_config.channels, r, r});
  batch.labels = ir::Tensor(ir::DType::Int64, {static_cast<int64_t>(count)});
  batch.indices.assign(indices, indices + count);
  float* images = batch.images.data<float>();
  int64_t* labels = batch.labels.data<int64_t>();
  const size_t sample_floats = preprocess_config.output_size();
  const bool downscale = preprocess_config.downscales_decode();
  for (size_t i = 0; i < count; ++i) {
    // The sample's randomness depends on its dataset index, not its position or thread.
    std::mt19937_64 rng(sample_seed(options.seed, epoch, indices[i]));
    // With DCT downscale, the decoder asks for the scale once it knows the stored size; the
    // choice draws the crop box from a copy of rng, so preprocess() draws the same one.
    Example example =
        downscale ? dataset.get_scaled(static_cast<size_t>(indices[i]),
                                       [&](int height, int width) {
                                         return preprocess_config.decode_scale(height, width, rng);
                                       })
                  : dataset.get(static_cast<size_t>(indices[i]));
    preprocess(example, preprocess_config, rng, images + i * sample_floats);
    labels[i] = example.label;
  }
  return batch;
}

}  // namespace

DataLoader::DataLoader(std::shared_ptr<const Dataset> dataset, Preprocess preprocess,
                       LoaderOptions options)
    : dataset_(std::move(dataset)), preprocess_(preprocess), options_(options) {
  if (!dataset_) fail("DataLoader: no dataset");
  if (dataset_->size() == 0) fail("DataLoader: dataset {} is empty", dataset_->description());
  if (options_.batch_size <= 0)
    fail("DataLoader: batch_size must be positive, got {}", options_.batch_size);
  if (options_.workers < 0) fail("DataLoader: workers must be >= 0, got {}", options_.workers);
  if (options_.prefetch_batches < 1)
    fail("DataLoader: prefetch_batches must be >= 1, got {}", options_.prefetch_batches);
  if (options_.world_size < 1 || options_.rank < 0 || options_.rank >= options_.world_size)
    fail("DataLoader: rank {} is not in [0, world_size={})", options_.rank, options_.world_size);
  // Validates the preprocessing once, here, rather than in a worker.
  preprocess_.validate();
  if (samples_per_epoch() == 0)
    fail("DataLoader: no batch in an epoch ({} samples for this rank, batch {} with drop_last)",
         epoch_indices(0).size(), options_.batch_size);
}

DataLoader::~DataLoader() = default;

std::vector<int64_t> DataLoader::epoch_indices(int64_t epoch) const {
  const int64_t n = static_cast<int64_t>(dataset_->size());
  std::vector<int64_t> order(n);
  for (int64_t i = 0; i < n; ++i) order[i] = i;
  if (options_.shuffle) {
    // Fisher-Yates on the portable generator: the same order on every platform.
    std::mt19937_64 rng(sample_seed(options_.seed ^ 0x5348554646'4c45ull, epoch, -1));
    for (int64_t i = n - 1; i > 0; --i) std::swap(order[i], order[uniform_int(rng, 0, i)]);
  }
  const int64_t world = options_.world_size;
  if (options_.pad_shards && n % world != 0) {
    int64_t padded = (n + world - 1) / world * world;
    for (int64_t i = n; i < padded; ++i) order.push_back(order[i % n]);
  }
  std::vector<int64_t> shard;
  for (size_t i = options_.rank; i < order.size(); i += world) shard.push_back(order[i]);
  if (options_.drop_last) shard.resize(shard.size() / options_.batch_size * options_.batch_size);
  return shard;
}

size_t DataLoader::samples_per_epoch() const {
  const size_t n = dataset_->size(), world = options_.world_size, rank = options_.rank;
  size_t count = options_.pad_shards ? (n + world - 1) / world : (n + world - 1 - rank) / world;
  if (options_.drop_last) count = count / options_.batch_size * options_.batch_size;
  return count;
}

size_t DataLoader::batches_per_epoch() const {
  return (samples_per_epoch() + options_.batch_size - 1) / options_.batch_size;
}

void DataLoader::start_epoch(int64_t epoch) {
  epoch_.reset();  // stops and joins the previous epoch's workers
  auto state = std::make_unique<Epoch>();
  state->number = epoch;
  state->indices = epoch_indices(epoch);
  state->num_batches = (state->indices.size() + options_.batch_size - 1) / options_.batch_size;
  state->window = static_cast<size_t>(std::max(options_.prefetch_batches, options_.workers));
  Epoch* e = state.get();
  for (int w = 0; w < options_.workers; ++w) {
    e->threads.emplace_back([this, e] {
      std::unique_lock<std::mutex> lock(e->mutex);
      for (;;) {
        e->work_available.wait(lock, [e] {
          return e->stop || e->error || e->next_to_claim >= e->num_batches ||
                 e->next_to_claim < e->next_to_yield + e->window;
        });
        if (e->stop || e->error || e->next_to_claim >= e->num_batches) return;
        size_t k = e->next_to_claim++;
        lock.unlock();
        Batch batch;
        std::exception_ptr error;
        try {
          size_t first = k * options_.batch_size;
          size_t count = std::min<size_t>(options_.batch_size, e->indices.size() - first);
          batch = build_batch(*dataset_, preprocess_, options_, e->number,
                              e->indices.data() + first, count);
        } catch (const Error&) {
          error = std::current_exception();
        } catch (const std::exception& ex) {
          error = std::make_exception_ptr(Error(fmt::format("DataLoader worker: {}", ex.what())));
        }
        lock.lock();
        if (error && !e->error) e->error = error;
        if (!error) e->ready.emplace(k, std::move(batch));
        e->batch_ready.notify_all();
      }
    });
  }
  epoch_ = std::move(state);
}

bool DataLoader::next(Batch& batch) {
  if (!epoch_) start_epoch(0);
  Epoch& e = *epoch_;
  if (e.next_to_yield >= e.num_batches) return false;
  if (options_.workers == 0) {
    size_t first = e.next_to_yield * options_.batch_size;
    size_t count = std::min<size_t>(options_.batch_size, e.indices.size() - first);
    batch =
        build_batch(*dataset_, preprocess_, options_, e.number, e.indices.data() + first, count);
    ++e.next_to_yield;
    return true;
  }
  std::unique_lock<std::mutex> lock(e.mutex);
  e.batch_ready.wait(lock, [&] { return e.error || e.ready.count(e.next_to_yield) > 0; });
  if (e.error) std::rethrow_exception(e.error);
  auto it = e.ready.find(e.next_to_yield);
  batch = std::move(it->second);
  e.ready.erase(it);
  ++e.next_to_yield;
  lock.unlock();
  e.work_available.notify_all();
  return true;
}

}  // namespace qcv::data
