#include "ir/graph.h"

#include <algorithm>
#include <set>
#include <unordered_map>
#include <unordered_set>

namespace qcv::ir {

namespace {
template <typename T>
const T& get_attr(const Node& n, const std::string& key, const char* type_name) {
  auto it = n.attrs.find(key);
  if (it == n.attrs.end()) fail("node '{}' ({}): missing attribute '{}'", n.name, n.op, key);
  const T* v = std::get_if<T>(&it->second);
  if (!v) fail("node '{}' ({}): attribute '{}' is not {}", n.name, n.op, key, type_name);
  return *v;
}
}  // namespace

int64_t Node::attr_int(const std::string& key, int64_t fallback) const {
  return has_attr(key) ? attr_int(key) : fallback;
}
int64_t Node::attr_int(const std::string& key) const {
  return get_attr<int64_t>(*this, key, "an int");
}
float Node::attr_float(const std::string& key, float fallback) const {
  if (!has_attr(key)) return fallback;
  if (auto* i = std::get_if<int64_t>(&attrs.at(key))) return static_cast<float>(*i);
  return get_attr<float>(*this, key, "a float");
}
std::string Node::attr_string(const std::string& key, const std::string& fallback) const {
  return has_attr(key) ? get_attr<std::string>(*this, key, "a string") : fallback;
}
std::vector<int64_t> Node::attr_ints(const std::string& key, std::vector<int64_t> fallback) const {
  return has_attr(key) ? attr_ints(key) : fallback;
}
std::vector<int64_t> Node::attr_ints(const std::string& key) const {
  return get_attr<std::vector<int64_t>>(*this, key, "a list of ints");
}
std::vector<float> Node::attr_floats(const std::string& key, std::vector<float> fallback) const {
  return has_attr(key) ? get_attr<std::vector<float>>(*this, key, "a list of floats") : fallback;
}
const Tensor& Node::attr_tensor(const std::string& key) const {
  return get_attr<Tensor>(*this, key, "a tensor");
}
const std::string& Node::input(size_t i) const {
  static const std::string none;
  return i < inputs.size() ? inputs[i] : none;
}

const Tensor* Graph::initializer(const std::string& name) const {
  auto it = initializers.find(name);
  return it == initializers.end() ? nullptr : &it->second;
}

const Value* Graph::input_value(const std::string& name) const {
  for (const Value& v : inputs)
    if (v.name == name) return &v;
  return nullptr;
}

bool Graph::is_graph_output(const std::string& name) const {
  return std::any_of(outputs.begin(), outputs.end(), [&](const Value& v) { return v.name == name; });
}

std::optional<Value> Graph::value_type(const std::string& name) const {
  if (const Tensor* t = initializer(name)) {
    Value v;
    v.name = name;
    v.dtype = t->dtype();
    v.shape = t->shape();
    v.has_shape = true;
    return v;
  }
  if (const Value* v = input_value(name)) return *v;
  auto it = value_info.find(name);
  if (it != value_info.end()) return it->second;
  for (const Value& v : outputs)
    if (v.name == name && v.dtype != DType::Undefined) return v;
  return std::nullopt;
}

struct Graph::Index {
  std::unordered_map<std::string, int> producer;
  std::unordered_map<std::string, std::vector<int>> consumers;
};

Graph::Frozen::Frozen(const Graph& g) : g_(g) {
  if (g.lookup_.index) return;
  auto index = std::make_shared<Index>();
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    for (const std::string& o : g.nodes[i].outputs) index->producer.emplace(o, static_cast<int>(i));
    const std::vector<std::string>& in = g.nodes[i].inputs;
    for (size_t k = 0; k < in.size(); ++k)  // a node reading a value twice is listed once
      if (std::find(in.begin(), in.begin() + k, in[k]) == in.begin() + k)
        index->consumers[in[k]].push_back(static_cast<int>(i));
  }
  g.lookup_.index = std::move(index);
  owner_ = true;
}

Graph::Frozen::~Frozen() {
  if (owner_) g_.lookup_.index.reset();
}

int Graph::producer(const std::string& value) const {
  if (const Index* index = lookup_.index.get()) {
    auto it = index->producer.find(value);
    return it == index->producer.end() ? -1 : it->second;
  }
  for (size_t i = 0; i < nodes.size(); ++i)
    for (const std::string& o : nodes[i].outputs)
      if (o == value) return static_cast<int>(i);
  return -1;
}

std::vector<int> Graph::consumers(const std::string& value) const {
  if (const Index* index = lookup_.index.get()) {
    auto it = index->consumers.find(value);
    return it == index->consumers.end() ? std::vector<int>() : it->second;
  }
  std::vector<int> out;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (std::find(nodes[i].inputs.begin(), nodes[i].inputs.end(), value) != nodes[i].inputs.end())
      out.push_back(static_cast<int>(i));
  return out;
}

int Graph::find_node(const std::string& node_name) const {
  for (size_t i = 0; i < nodes.size(); ++i)
    if (nodes[i].name == node_name) return static_cast<int>(i);
  return -1;
}

std::string Graph::unique_name(const std::string& prefix) const {
  return NameGenerator(*this)(prefix);
}

NameGenerator::NameGenerator(const Graph& g) {
  for (const Value& v : g.inputs) used_.insert(v.name);
  for (const Value& v : g.outputs) used_.insert(v.name);
  for (const auto& [k, t] : g.initializers) used_.insert(k);
  for (const Node& n : g.nodes) {
    used_.insert(n.name);
    for (const std::string& o : n.outputs) used_.insert(o);
  }
}

std::string NameGenerator::operator()(const std::string& prefix) {
  std::string name = prefix;
  int& suffix = next_suffix_[prefix];  // many calls with one prefix stay linear
  while (used_.count(name)) name = prefix + "_" + std::to_string(++suffix);
  used_.insert(name);
  return name;
}

std::string Graph::add_initializer(const std::string& prefix, Tensor t) {
  std::string name = unique_name(prefix);
  initializers[name] = std::move(t);
  return name;
}

void Graph::sort() {
  std::unordered_set<std::string> available;
  for (const Value& v : inputs) available.insert(v.name);
  for (const auto& [k, t] : initializers) available.insert(k);
  std::unordered_map<std::string, int> producer_of;
  for (size_t i = 0; i < nodes.size(); ++i)
    for (const std::string& o : nodes[i].outputs) {
      if (o.empty()) continue;
      if (available.count(o))
        fail("graph '{}': node '{}' ({}) produces '{}', which is already a graph input or "
             "initializer", name, nodes[i].name, nodes[i].op, o);
      if (producer_of.count(o))
        fail("graph '{}': value '{}' is produced by both node '{}' and node '{}'", name, o,
             nodes[producer_of[o]].name, nodes[i].name);
      producer_of[o] = static_cast<int>(i);
    }

  // Kahn's algorithm keeping the original order among ready nodes (stable output).
  std::vector<int> pending(nodes.size(), 0);
  std::vector<std::vector<int>> users(nodes.size());
  for (size_t i = 0; i < nodes.size(); ++i) {
    std::set<int> deps;
    for (const std::string& in : nodes[i].inputs) {
      if (in.empty() || available.count(in)) continue;
      auto it = producer_of.find(in);
      if (it == producer_of.end())
        fail("node '{}' ({}): input '{}' is not a graph input, initializer or node output",
             nodes[i].name, nodes[i].op, in);
      deps.insert(it->second);
    }
    pending[i] = static_cast<int>(deps.size());
    for (int d : deps) users[d].push_back(static_cast<int>(i));
  }
  std::set<int> ready;
  for (size_t i = 0; i < nodes.size(); ++i)
    if (pending[i] == 0) ready.insert(static_cast<int>(i));
  std::vector<Node> sorted;
  sorted.reserve(nodes.size());
  while (!ready.empty()) {
    int i = *ready.begin();
    ready.erase(ready.begin());
    for (int u : users[i])
      if (--pending[u] == 0) ready.insert(u);
    sorted.push_back(std::move(nodes[i]));
  }
  if (sorted.size() != nodes.size()) {
    for (size_t i = 0; i < nodes.size(); ++i)
      if (pending[i] > 0) fail("graph '{}': cycle through node '{}' ({})", name, nodes[i].name, nodes[i].op);
  }
  nodes = std::move(sorted);
}

void Graph::prune_unused() {
  std::unordered_set<std::string> read;
  for (const Node& n : nodes)
    for (const std::string& in : n.inputs) read.insert(in);
  for (const Value& v : outputs) read.insert(v.name);
  for (auto it = initializers.begin(); it != initializers.end();)
    it = read.count(it->first) ? std::next(it) : initializers.erase(it);
  std::unordered_set<std::string> produced;
  for (const Node& n : nodes)
    for (const std::string& o : n.outputs) produced.insert(o);
  for (auto it = value_info.begin(); it != value_info.end();)
    it = produced.count(it->first) ? std::next(it) : value_info.erase(it);
}

}  // namespace qcv::ir
