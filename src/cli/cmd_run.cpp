// qcv run: raw tensors in (.npy or ONNX TensorProto .pb), raw tensors out (.npy).
#include <fmt/format.h>
#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "cli/commands.h"
#include "cli/option_checks.h"
#include "ir/npy.h"
#include "ir/path_name.h"
#include "onnx/onnx.h"
#include "runtime/session.h"

namespace qcv::cli {

namespace {
bool ends_with(const std::string& s, const std::string& suffix) {
  return s.size() >= suffix.size() && s.compare(s.size() - suffix.size(), suffix.size(), suffix) == 0;
}
ir::Tensor load_any_tensor(const std::string& path) {
  return ends_with(path, ".pb") ? onnx::load_tensor(path) : ir::load_npy(path);
}
}  // namespace

void add_run_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("run", "Run a model on tensors from .npy/.pb files");
  static std::string model, output;
  static std::vector<std::string> inputs;
  static int threads = 0;
  cmd->add_option("model", model, "Model .onnx file")->required();
  // Optional: a model of constants alone has no inputs (the session names any missing one).
  cmd->add_option("-i,--input", inputs,
                  "[NAME=]FILE (.npy or .pb); NAME may be omitted for a single-input model");
  cmd->add_option("-o,--output", output,
                  "Output .npy file (single-output model) or directory (one NAME.npy per output)")
      ->required();
  cmd->add_option("--threads", threads, "Threads (0: all cores)")->capture_default_str()->check(non_negative());
  cmd->callback([] {
    runtime::SessionOptions options;
    options.threads = threads;
    runtime::Session session(onnx::load(model), options);
    std::map<std::string, ir::Tensor> feeds;
    std::map<std::string, std::string> file_of;  // input name -> the file that feeds it
    for (const std::string& arg : inputs) {
      size_t eq = arg.find('=');
      std::string name, file = arg;
      if (eq != std::string::npos) {
        name = arg.substr(0, eq);
        file = arg.substr(eq + 1);
        if (file.empty()) fail("--input '{}': no file after '='", arg);
      } else if (session.inputs().size() == 1) {
        name = session.inputs()[0].name;
      } else {
        fail("--input '{}': the model has {} inputs, name it as NAME=FILE", arg, session.inputs().size());
      }
      bool known = false;
      for (const ir::Value& in : session.inputs()) known = known || in.name == name;
      if (!known) fail("--input '{}': model '{}' has no input '{}'", arg, model, name);
      // Usage errors (exit 2): CLI11's exception type is how a callback reports one.
      if (file_of.count(name))
        throw CLI::ValidationError(fmt::format("--input: input '{}' given twice", name));
      file_of[name] = file;
      feeds[name] = load_any_tensor(file);
    }
    for (const ir::Value& in : session.inputs()) {
      if (!feeds.count(in.name))
        throw CLI::ValidationError(fmt::format("--input: the model's input '{}' is not given", in.name));
      const ir::Tensor& t = feeds.at(in.name);
      const std::string& file = file_of.at(in.name);
      if (t.dtype() != in.dtype)
        fail("file '{}': holds {}, input '{}' of model '{}' takes {}", file, ir::dtype_name(t.dtype()),
             in.name, model, ir::dtype_name(in.dtype));
      bool fits = !in.has_shape || in.shape.size() == t.shape().size();
      for (size_t d = 0; fits && in.has_shape && d < in.shape.size(); ++d)
        fits = in.shape[d] < 0 || in.shape[d] == t.shape()[d];
      if (!fits)
        fail("file '{}': shape {} does not fit input '{}' {} of model '{}'", file,
             ir::shape_str(t.shape()), in.name, ir::shape_str(in.shape), model);
    }
    std::vector<ir::Tensor> outs = session.run(feeds);
    const auto& names = session.outputs();
    if (outs.size() == 1 && ends_with(output, ".npy")) {
      ir::save_npy(outs[0], output);
      fmt::print("wrote {} {}\n", output, ir::shape_str(outs[0].shape()));
      return;
    }
    // Output names come from the model: each becomes one file name inside the folder, never a
    // path (no '/', no "..", no control bytes; two names that map to one file are refused).
    std::vector<std::string> raw_names;
    for (const auto& v : names) raw_names.push_back(v.name);
    const std::vector<std::string> files =
        ir::safe_file_names(raw_names, fmt::format("model '{}': output", model));
    if (::mkdir(output.c_str(), 0777) != 0 && errno != EEXIST)
      fail("cannot create the output folder '{}': {}", output, std::strerror(errno));
    for (size_t i = 0; i < outs.size(); ++i) {
      std::string path = output + "/" + files[i] + ".npy";
      ir::save_npy(outs[i], path);
      fmt::print("wrote {} {}\n", path, ir::shape_str(outs[i].shape()));
    }
  });
}

}  // namespace qcv::cli
