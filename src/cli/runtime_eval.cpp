#include "cli/runtime_eval.h"

#include <algorithm>
#include <chrono>

#include "ir/top_k.h"
#include "runtime/session.h"

namespace qcv::cli {

double batch1_latency_ms(const ir::Graph& graph, int threads, int runs) {
  if (runs < 1) fail("latency: {} timed runs, need at least 1 for a median", runs);
  runtime::SessionOptions so;
  so.threads = threads;
  runtime::Session session(graph, so);
  const ir::Value& in = session.inputs().at(0);
  ir::Shape shape = in.shape;
  for (int64_t& d : shape) d = d < 0 ? 1 : d;
  shape[0] = 1;
  ir::Tensor x(ir::DType::Float32, shape);
  std::fill_n(x.data<float>(), x.numel(), 0.5f);
  const std::map<std::string, ir::Tensor> feeds = {{in.name, x}};
  for (int i = 0; i < 10; ++i) session.run(feeds);
  std::vector<double> ms;
  for (int i = 0; i < runs; ++i) {
    const auto t0 = std::chrono::steady_clock::now();
    session.run(feeds);
    ms.push_back(
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
  }
  std::nth_element(ms.begin(), ms.begin() + ms.size() / 2, ms.end());
  return ms[ms.size() / 2];
}

ImageSubset image_subset(const ir::Graph& graph, const std::string& dataset,
                         const std::string& split, int images, const model_input::InputFlags& flags,
                         bool first) {
  if (graph.inputs.size() != 1)
    fail("the model has {} inputs; only single-input classifiers are supported",
         graph.inputs.size());
  if (images <= 0) fail("image count {} must be positive", images);
  const std::string meta_dataset = model_input::meta(graph, "qcv.dataset");
  ImageSubset s;
  s.preprocess =
      model_input::preprocessing(graph, meta_dataset.empty() ? dataset : meta_dataset, flags);
  data::ImageFolderOptions folder;
  folder.channels = s.preprocess.channels;
  auto all = data::open_dataset(dataset, split, folder);
  if (first) {
    std::vector<int64_t> indices(std::min(all->size(), static_cast<size_t>(images)));
    for (size_t i = 0; i < indices.size(); ++i) indices[i] = static_cast<int64_t>(i);
    s.images = std::make_shared<data::SubsetDataset>(all, std::move(indices));
  } else {
    s.images = data::random_subset(all, static_cast<size_t>(images), /*seed=*/0);
  }
  return s;
}

std::unique_ptr<quant::CalibrationData> calibration_batches(const ir::Graph& graph,
                                                            const ImageSubset& subset, int batch) {
  data::LoaderOptions lo;
  lo.batch_size = batch;
  lo.shuffle = false;
  auto loader = std::make_shared<data::DataLoader>(subset.images, subset.preprocess, lo);
  return quant::loader_data(loader, graph.inputs.at(0).name);
}

EvalSet::EvalSet(const ir::Graph& graph, const ImageSubset& subset, int batch, int threads)
    : input_(graph.inputs.at(0).name), threads_(threads) {
  data::LoaderOptions lo;
  lo.batch_size = batch;
  lo.shuffle = false;
  data::DataLoader loader(subset.images, subset.preprocess, lo);
  loader.start_epoch(0);
  data::Batch b;
  while (loader.next(b)) {
    batches_.push_back(b.images);
    const int64_t* y = b.labels.data<int64_t>();
    labels_.insert(labels_.end(), y, y + b.labels.numel());
  }
  if (labels_.empty()) fail("evaluation: {} has no images", subset.images->description());
}

quant::EvalOutcome EvalSet::evaluate(const ir::Graph& graph) const {
  runtime::SessionOptions so;
  so.threads = threads_;
  runtime::Session session(graph, so);
  quant::EvalOutcome o;
  int64_t correct = 0, k = 0;
  for (const ir::Tensor& x : batches_) {
    const ir::Tensor logits = session.run({{input_, x}}).at(0);
    const int64_t n = x.dim(0);
    if (logits.numel() % std::max<int64_t>(n, 1) != 0)
      fail("evaluation: model output {} does not split into {} rows", ir::shape_str(logits.shape()),
           n);
    const int64_t classes = logits.numel() / n;
    const float* l = logits.data<float>();
    for (int64_t i = 0; i < n; ++i, ++k)
      correct += ir::top1_index(l + i * classes, classes) == labels_[k];
    o.logits.insert(o.logits.end(), l, l + logits.numel());
  }
  o.top1 = 100.0 * double(correct) / double(k);
  return o;
}

}  // namespace qcv::cli
