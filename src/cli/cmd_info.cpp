// qcv info: what an ONNX file holds: inputs, outputs, ops, MACs, params, opset, quantization.
#include <fmt/format.h>

#include <nlohmann/json.hpp>

#include "cli/commands.h"
#include "cli/op_histogram.h"
#include "models/models.h"
#include "onnx/onnx.h"
#include "passes/passes.h"

namespace qcv::cli {

namespace {
nlohmann::json describe(const ir::Value& v) {
  std::vector<nlohmann::json> dims;
  for (size_t i = 0; i < v.shape.size(); ++i) {
    if (v.shape[i] >= 0) dims.emplace_back(v.shape[i]);
    else if (i < v.dim_names.size() && !v.dim_names[i].empty()) dims.emplace_back(v.dim_names[i]);
    else dims.emplace_back("?");
  }
  return {{"name", v.name}, {"dtype", ir::dtype_name(v.dtype)}, {"shape", dims}};
}
std::string describe_line(const ir::Value& v) {
  std::string dims;
  const nlohmann::json described = describe(v);  // named: the loop must not outlive it
  for (const auto& d : described["shape"]) dims += (dims.empty() ? "" : "x") + (d.is_string() ? d.get<std::string>() : d.dump());
  return fmt::format("{} {} [{}]", v.name, ir::dtype_name(v.dtype), dims);
}
}  // namespace

void add_info_command(CLI::App& app) {
  auto* cmd = app.add_subcommand("info", "Describe an ONNX model: I/O, ops, MACs, params");
  static std::string input;
  static bool json = false;
  cmd->add_option("input", input, "Input .onnx file")->required();
  cmd->add_flag("--json", json, "Print JSON");
  cmd->callback([] {
    ir::Graph g = onnx::load(input);
    auto hist = op_histogram(g);
    bool quantized = hist.count("QuantizeLinear") || hist.count("DequantizeLinear");
    models::Cost cost = models::count_cost(g);
    const char* layout = "none";  // not a 4-D image input
    if (!g.inputs.empty() && g.inputs[0].has_shape && g.inputs[0].shape.size() == 4)
      layout = passes::detect_input_layout(g.inputs[0]) == passes::InputLayout::NHWC ? "nhwc"
                                                                                     : "nchw";
    if (json) {
      nlohmann::json j;
      j["file"] = input;
      j["opset"] = g.opset;
      for (const auto& v : g.inputs) j["inputs"].push_back(describe(v));
      for (const auto& v : g.outputs) j["outputs"].push_back(describe(v));
      j["ops"] = hist;
      j["nodes"] = g.nodes.size();
      j["macs"] = cost.macs;
      j["params"] = cost.params;
      j["quantized"] = quantized;
      j["input_layout"] = layout;
      fmt::print("{}\n", j.dump(2));
      return;
    }
    fmt::print("file:      {}\nopset:     {}\n", input, g.opset);
    for (const auto& v : g.inputs) fmt::print("input:     {}\n", describe_line(v));
    fmt::print("layout:    {}\n", layout);
    for (const auto& v : g.outputs) fmt::print("output:    {}\n", describe_line(v));
    fmt::print("nodes:     {} ({})\n", g.nodes.size(), format_histogram(hist));
    fmt::print("MACs:      {:.2f} M\nparams:    {:.3f} M\nquantized: {}\n", cost.macs / 1e6,
               cost.params / 1e6, quantized ? "yes (QDQ)" : "no");
  });
}

}  // namespace qcv::cli
