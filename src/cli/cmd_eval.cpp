// qcv eval: top-1, top-5, loss and count of a classifier on a dataset, run by the oneDNN runtime
// or (when built with LibTorch) the training backend.
#include <fmt/format.h>

#include <chrono>
#include <cstring>
#include <filesystem>
#include <memory>
#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "cli/model_input.h"
#include "ir/npy.h"
#include "onnx/onnx.h"
#include "runtime/session.h"
#ifdef QCV_HAVE_TORCH
#include "train/train.h"
#endif

namespace qcv::cli {

namespace {

// Batches stacked along dimension 0, for --dump.
class Stack {
 public:
  void add(const ir::Tensor& t) {
    if (!parts_.empty() && t.dtype() != parts_[0].dtype()) fail("--dump: batches change dtype");
    parts_.push_back(t.clone());
  }
  ir::Tensor join() const {
    if (parts_.empty()) return ir::Tensor();
    ir::Shape shape = parts_[0].shape();
    shape[0] = 0;
    for (const ir::Tensor& p : parts_) shape[0] += p.dim(0);
    ir::Tensor all(parts_[0].dtype(), shape);
    size_t offset = 0;
    for (const ir::Tensor& p : parts_) {
      std::memcpy(static_cast<uint8_t*>(all.raw()) + offset, p.raw(), p.nbytes());
      offset += p.nbytes();
    }
    return all;
  }

 private:
  std::vector<ir::Tensor> parts_;
};

}  // namespace

void add_eval_command(CLI::App& app) {
  auto* cmd =
      app.add_subcommand("eval", "Accuracy of a classifier on a dataset (top-1, top-5, loss)");
  static std::string model, dataset, split = "test", backend = "runtime";
  static model_input::InputFlags flags;
  static int batch_size = 100, threads = 0, workers = 2;
  static int64_t limit = 0;
  static bool json = false;
  static std::string dump;
  cmd->add_option("model", model, "Model .onnx file")->required();
  cmd->add_option("--data", dataset,
                  "Dataset: fashion-mnist, cifar10:DIR, image folder (default: model metadata "
                  "qcv.dataset)");
  cmd->add_option("--split", split, "Split")->capture_default_str();
  cmd->add_option("--backend", backend, "runtime (oneDNN) or torch (LibTorch training backend)")
      ->capture_default_str()
      ->check(one_of({"runtime", "torch"}));
  model_input::add_input_options(cmd, flags);
  cmd->add_option("--batch-size", batch_size, "Batch size")->capture_default_str()->check(positive());
  cmd->add_option("--limit", limit, "Evaluate only the first N images (0: all)")
      ->check(integer_in(0, INT64_MAX));
  cmd->add_option("--threads", threads, "Threads (0: all cores)")->check(non_negative());
  cmd->add_option("--workers", workers, "Data loading threads")
      ->capture_default_str()
      ->check(integer_in(0, 1024));
  cmd->add_flag("--json", json, "Print the result as JSON");
  cmd->add_option("--dump", dump,
                  "Write the preprocessed inputs, labels and outputs of the evaluated images to "
                  "DIR/inputs.npy, labels.npy, logits.npy (to run a peer on the same tensors)");
  cmd->callback([] {
    ir::Graph graph = onnx::load(model);
    const passes::InputLayout file_layout = model_input::adopt_nchw(graph, flags.layout);
    std::string data_name = dataset.empty() ? model_input::meta(graph, "qcv.dataset") : dataset;
    if (data_name.empty()) fail("the model has no qcv.dataset metadata: pass --data");
    data::Preprocess pre = model_input::preprocessing(graph, data_name, flags);
    data::ImageFolderOptions folder;
    folder.channels = pre.channels;
    std::shared_ptr<data::Dataset> set = data::open_dataset(data_name, split, folder);
    data::LoaderOptions lo;
    lo.batch_size = batch_size;
    lo.shuffle = false;
    lo.workers = workers;
    data::DataLoader loader(set, pre, lo);

    std::function<ir::Tensor(const ir::Tensor&)> run;
    std::unique_ptr<runtime::Session> session;
    const std::string input_name = graph.inputs.at(0).name;
    if (backend == "runtime") {
      runtime::SessionOptions so;
      so.threads = threads;
      session = std::make_unique<runtime::Session>(graph, so);
      run = [&](const ir::Tensor& x) { return session->run({{input_name, x}}).at(0); };
    } else if (backend == "torch") {
#ifdef QCV_HAVE_TORCH
      auto classifier = std::make_shared<train::TorchClassifier>(graph, threads);
      run = [classifier](const ir::Tensor& x) { return classifier->run(x); };
#else
      fail("--backend torch: this qcv was built without LibTorch (QCV_WITH_TORCH=OFF)");
#endif
    } else {
      fail("--backend '{}': expected runtime or torch", backend);
    }
    const auto start = std::chrono::steady_clock::now();
    model_input::Accuracy acc;
    loader.start_epoch(0);
    data::Batch batch;
    Stack inputs, labels, logits;
    while ((limit <= 0 || acc.count < limit) && loader.next(batch)) {
      if (limit > 0 && acc.count + batch.labels.numel() > limit) {
        const int64_t keep = limit - acc.count;
        ir::Shape s = batch.images.shape();
        const int64_t per = batch.images.numel() / s[0];
        s[0] = keep;
        ir::Tensor images(ir::DType::Float32, s);
        std::copy_n(batch.images.data<float>(), keep * per, images.data<float>());
        ir::Tensor labels(ir::DType::Int64, {keep});
        std::copy_n(batch.labels.data<int64_t>(), keep, labels.data<int64_t>());
        batch.images = images;
        batch.labels = labels;
      }
      const ir::Tensor out = run(batch.images);
      acc.add(out, batch.labels);
      if (!dump.empty()) {
        // In the file's layout, so that a peer runs the file on them as they are.
        inputs.add(file_layout == passes::InputLayout::NHWC ? model_input::nchw_to_nhwc(batch.images)
                                                            : batch.images);
        labels.add(batch.labels);
        logits.add(out);
      }
    }
    if (!dump.empty()) {
      std::filesystem::create_directories(dump);
      ir::save_npy(inputs.join(), dump + "/inputs.npy");
      ir::save_npy(labels.join(), dump + "/labels.npy");
      ir::save_npy(logits.join(), dump + "/logits.npy");
    }
    const double seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
    if (json) {
      nlohmann::json j = {
          {"model", model},     {"data", data_name},          {"split", split},
          {"backend", backend}, {"top1", acc.top1_percent()}, {"top5", acc.top5_percent()},
          {"loss", acc.loss()}, {"count", acc.count},         {"seconds", seconds}};
      fmt::print("{}\n", j.dump(2));
    } else {
      fmt::print(
          "{} on {}/{} ({} backend): top-1 {:.2f}%  top-5 {:.2f}%  loss {:.4f}  count {}  "
          "({:.1f} s)\n",
          model, data_name, split, backend, acc.top1_percent(), acc.top5_percent(), acc.loss(),
          acc.count, seconds);
    }
  });
}

}  // namespace qcv::cli
