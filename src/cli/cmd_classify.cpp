// qcv classify: the top-5 classes of images, with names from --labels or the model's metadata.
#include <fmt/format.h>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "cli/model_input.h"
#include "onnx/onnx.h"
#include "runtime/session.h"

namespace qcv::cli {

void add_classify_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("classify", "Top-5 classes of images (JPEG/PNG)");
  static std::string model, labels_file;
  static std::vector<std::string> images;
  static model_input::InputFlags flags;
  static int top = 5, threads = 0;
  cmd->add_option("model", model, "Model .onnx file")->required();
  cmd->add_option("images", images, "Image files")->required();
  cmd->add_option("--labels", labels_file, "Class names, one per line (default: qcv.labels)");
  cmd->add_option("--top", top, "How many classes to print")->capture_default_str()->check(positive());
  model_input::add_input_options(cmd, flags);
  cmd->add_option("--threads", threads, "Threads (0: all cores)")->check(non_negative());
  cmd->callback([] {
    ir::Graph graph = onnx::load(model);
    model_input::adopt_nchw(graph, flags.layout);
    data::Preprocess pre =
        model_input::preprocessing(graph, model_input::meta(graph, "qcv.dataset"), flags);
    std::vector<std::string> names = model_input::labels(graph, labels_file);
    runtime::SessionOptions so;
    so.threads = threads;
    const std::string input_name = graph.inputs.at(0).name;
    runtime::Session session(graph, so);
    for (const std::string& path : images) {
      data::Image image = data::read_image(path, pre.channels);
      ir::Tensor x = data::preprocess(image, pre);
      ir::Shape s = x.shape();
      s.insert(s.begin(), 1);
      ir::Tensor logits = session.run({{input_name, x.reshaped(s)}}).at(0);
      std::vector<float> v = logits.to_float_vector();
      if (v.empty()) fail("model '{}' produced no output for '{}'", model, path);
      // Softmax probabilities, then the top classes.
      float mx = *std::max_element(v.begin(), v.end());
      double sum = 0;
      for (float& p : v) sum += std::exp(double(p - mx));
      std::vector<size_t> order(v.size());
      std::iota(order.begin(), order.end(), 0);
      const size_t k = std::min<size_t>(static_cast<size_t>(std::max(top, 1)), v.size());
      std::partial_sort(order.begin(), order.begin() + static_cast<long>(k), order.end(),
                        [&](size_t a, size_t b) { return v[a] > v[b]; });
      fmt::print("{}:\n", path);
      for (size_t i = 0; i < k; ++i) {
        const size_t c = order[i];
        const std::string name = c < names.size() ? names[c] : fmt::format("class {}", c);
        fmt::print("  {:6.2f}%  {:>4}  {}\n", 100.0 * std::exp(double(v[c] - mx)) / sum, c, name);
      }
    }
  });
}

}  // namespace qcv::cli
