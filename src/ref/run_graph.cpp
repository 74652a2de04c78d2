// run_graph: checks the feeds against the graph inputs, then runs the nodes in order.
#include <unordered_map>

#include "ref/ref.h"

namespace qcv::ref {
namespace {

void check_feed(const ir::Value& expected, const ir::Tensor& got) {
  if (got.empty()) fail("run_graph: input '{}' is an empty tensor", expected.name);
  if (expected.dtype != ir::DType::Undefined && got.dtype() != expected.dtype)
    fail("run_graph: input '{}' must be {}, got {}", expected.name, ir::dtype_name(expected.dtype),
         ir::dtype_name(got.dtype()));
  if (!expected.has_shape) return;
  if (got.rank() != expected.shape.size())
    fail("run_graph: input '{}' must have shape {} (rank {}), got {}", expected.name,
         ir::shape_str(expected.shape), expected.shape.size(), ir::shape_str(got.shape()));
  for (size_t d = 0; d < got.rank(); ++d)
    if (expected.shape[d] >= 0 && expected.shape[d] != got.dim(d))
      fail("run_graph: input '{}' must have shape {}, got {} (dimension {} differs)", expected.name,
           ir::shape_str(expected.shape), ir::shape_str(got.shape()), d);
}

}  // namespace

std::vector<ir::Tensor> run_graph(const ir::Graph& graph,
                                  const std::map<std::string, ir::Tensor>& feeds) {
  std::unordered_map<std::string, ir::Tensor> env;
  for (const auto& [name, tensor] : graph.initializers) env[name] = tensor;
  for (const auto& [name, tensor] : feeds)
    if (!graph.input_value(name))
      fail("run_graph: '{}' is not an input of graph '{}'", name, graph.name);
  for (const ir::Value& v : graph.inputs) {
    auto it = feeds.find(v.name);
    if (it == feeds.end())
      fail("run_graph: input '{}' of graph '{}' is not fed", v.name, graph.name);
    check_feed(v, it->second);
    env[v.name] = it->second;
  }

  for (const ir::Node& node : graph.nodes) {
    std::vector<const ir::Tensor*> inputs;
    for (const std::string& name : node.inputs) {
      if (name.empty()) {
        inputs.push_back(nullptr);
        continue;
      }
      auto it = env.find(name);
      if (it == env.end())
        fail("run_graph: node '{}' ({}) reads '{}', which no earlier node produces", node.name,
             node.op, name);
      inputs.push_back(&it->second);
    }
    std::vector<ir::Tensor> outs = run_node(node, inputs);
    for (size_t i = 0; i < node.outputs.size(); ++i)
      if (!node.outputs[i].empty()) env[node.outputs[i]] = std::move(outs[i]);
  }

  std::vector<ir::Tensor> results;
  for (const ir::Value& v : graph.outputs) {
    auto it = env.find(v.name);
    if (it == env.end() || it->second.empty())
      fail("run_graph: output '{}' of graph '{}' was not produced", v.name, graph.name);
    results.push_back(it->second.clone());  // a fed or initializer output must not alias
  }
  return results;
}

}  // namespace qcv::ref
