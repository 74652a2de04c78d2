// ONNX ModelProto -> ir::Graph. Every error is prefixed with the file it came from.
#include <google/protobuf/stubs/logging.h>
#include <onnx/onnx_pb.h>

#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <new>
#include <set>

#include "ir/input_file.h"
#include "ir/limits.h"
#include "onnx/external_data.h"
#include "onnx/legacy_ops.h"
#include "onnx/onnx.h"
#include "onnx/qoperator.h"
#include "onnx/tensor_proto.h"
#include "passes/passes.h"

namespace qcv::onnx {

namespace pb = ::onnx;
using detail::tensor_from_proto;

namespace {

constexpr int64_t kMinOpset = 1, kMaxOpset = 17;
constexpr int64_t kMaxIrVersion = 10;

bool is_default_domain(const std::string& d) { return d.empty() || d == "ai.onnx"; }

// Protobuf logs parse problems to stderr; qcv reports them through qcv::Error instead.
void silence_protobuf_logging() {
  static const bool once = [] {
    google::protobuf::SetLogHandler(nullptr);
    return true;
  }();
  (void)once;
}

ir::Value value_from_proto(const pb::ValueInfoProto& vi, const char* role) {
  if (vi.name().empty()) fail("{} with an empty name", role);
  if (!vi.has_type() || !vi.type().has_tensor_type())
    fail("{} '{}': only tensor types are supported", role, vi.name());
  const pb::TypeProto::Tensor& tt = vi.type().tensor_type();
  ir::Value v;
  v.name = vi.name();
  v.dtype = ir::dtype_from_onnx(tt.elem_type());
  if (v.dtype == ir::DType::Undefined && tt.elem_type() != 0)
    fail("{} '{}': unsupported data type {}", role, vi.name(),
         detail::onnx_type_name(tt.elem_type()));
  if (!tt.has_shape()) return v;
  v.has_shape = true;
  bool any_name = false;
  for (const auto& d : tt.shape().dim()) {
    if (d.has_dim_value()) {
      // paddle2onnx (and ORT, which accepts it) write -1 for a dynamic dimension.
      if (d.dim_value() < -1) fail("{} '{}': negative dimension {}", role, vi.name(), d.dim_value());
      v.shape.push_back(d.dim_value());
      v.dim_names.emplace_back();
    } else {
      v.shape.push_back(-1);
      v.dim_names.push_back(d.dim_param());
      any_name = any_name || !d.dim_param().empty();
    }
  }
  if (!any_name) v.dim_names.clear();
  // The known part of the shape must be a size qcv could allocate: a wrapped product would
  // otherwise reach the runtime as a request for exabytes.
  ir::Shape known;
  for (int64_t d : v.shape)
    if (d >= 0) known.push_back(d);
  limits::checked_tensor_bytes(known, std::max<size_t>(ir::dtype_size(v.dtype), 1),
                               fmt::format("{} '{}'", role, vi.name()));
  return v;
}

// AttributeProto -> ir::Attribute. Very old files leave `type` unset; then the filled field
// decides.
ir::Attribute attribute_from_proto(const pb::AttributeProto& a, const std::string& where) {
  if (!a.ref_attr_name().empty())
    fail("{}: attribute '{}' refers to a function attribute (unsupported)", where, a.name());
  auto type = a.type();
  if (type == pb::AttributeProto::UNDEFINED) {
    if (a.has_i())
      type = pb::AttributeProto::INT;
    else if (a.has_f())
      type = pb::AttributeProto::FLOAT;
    else if (a.has_s())
      type = pb::AttributeProto::STRING;
    else if (a.has_t())
      type = pb::AttributeProto::TENSOR;
    else if (a.ints_size())
      type = pb::AttributeProto::INTS;
    else if (a.floats_size())
      type = pb::AttributeProto::FLOATS;
  }
  switch (type) {
    case pb::AttributeProto::INT:
      return a.i();
    case pb::AttributeProto::FLOAT:
      return a.f();
    case pb::AttributeProto::STRING:
      return a.s();
    case pb::AttributeProto::INTS:
      return std::vector<int64_t>(a.ints().begin(), a.ints().end());
    case pb::AttributeProto::FLOATS:
      return std::vector<float>(a.floats().begin(), a.floats().end());
    case pb::AttributeProto::TENSOR:
      return tensor_from_proto(a.t(), fmt::format("{}: attribute '{}'", where, a.name()));
    default:
      break;
  }
  fail("{}: attribute '{}' has unsupported type {}", where, a.name(),
       pb::AttributeProto_AttributeType_Name(type));
}

// Constant's value in any of its forms (value, value_float(s), value_int(s)) as a tensor.
ir::Tensor constant_value(const ir::Node& n) {
  const std::string where = fmt::format("node '{}' (Constant)", n.name);
  if (n.attrs.size() != 1) fail("{}: expected exactly one value attribute", where);
  const auto& [key, value] = *n.attrs.begin();
  if (key == "value") return n.attr_tensor("value");
  if (key == "value_float") return ir::Tensor::scalar(n.attr_float("value_float", 0));
  if (key == "value_int") return ir::Tensor::scalar(n.attr_int("value_int"));
  if (key == "value_ints") {
    auto v = n.attr_ints("value_ints");
    return ir::Tensor::from_vector<int64_t>({static_cast<int64_t>(v.size())}, v);
  }
  if (key == "value_floats") {
    auto v = n.attr_floats("value_floats", {});
    return ir::Tensor::from_vector<float>({static_cast<int64_t>(v.size())}, v);
  }
  (void)value;
  fail("{}: unsupported value attribute '{}'", where, key);
}

int64_t default_opset(const pb::ModelProto& m) {
  int64_t opset = -1;
  for (const auto& o : m.opset_import())
    if (is_default_domain(o.domain())) opset = std::max<int64_t>(opset, o.version());
  if (opset < 0) fail("model imports no default-domain (ai.onnx) opset");
  if (opset < kMinOpset || opset > kMaxOpset)
    fail("opset {} is not supported (qcv imports opsets {} to {})", opset, kMinOpset, kMaxOpset);
  return opset;
}

void check_model_header(const pb::ModelProto& m) {
  if (!m.has_ir_version() || m.ir_version() <= 0 || m.ir_version() > kMaxIrVersion)
    fail("not an ONNX model: ir_version {} (expected 1 to {})", m.ir_version(), kMaxIrVersion);
  if (!m.has_graph()) fail("not an ONNX model: no graph");
  if (m.graph().node_size() == 0) fail("not an ONNX model: the graph has no nodes");
  if (static_cast<uint64_t>(m.graph().node_size()) > limits::max_graph_nodes())
    fail("the graph has {} nodes, more than the limit of {} (set QCV_MAX_GRAPH_NODES to raise it)",
         m.graph().node_size(), limits::max_graph_nodes());
  if (m.functions_size() > 0) fail("model-local functions are not supported");
}

ir::Node node_from_proto(const pb::NodeProto& np, size_t index, int64_t opset) {
  ir::Node n;
  n.name = np.name();
  n.op = np.op_type();
  std::string where = fmt::format(
      "node '{}' ({})", np.name().empty() ? "#" + std::to_string(index) : np.name(), n.op);
  // QOperator ops (some of com.microsoft) pass to rewrite_qoperator_ops; other domains stop here.
  const bool qoperator = detail::is_qoperator_op(np.domain(), n.op);
  if (!is_default_domain(np.domain()) && !qoperator)
    fail("{}: op '{}' of domain '{}' is not supported", where, n.op, np.domain());
  if (!ir::find_op(n.op) && !qoperator && !detail::rewritten_at_import(n.op))
    fail("{}: unsupported op '{}' (opset {})", where, n.op, opset);
  n.inputs.assign(np.input().begin(), np.input().end());
  n.outputs.assign(np.output().begin(), np.output().end());
  for (const auto& a : np.attribute()) {
    if (a.name().empty()) fail("{}: attribute with an empty name", where);
    n.attrs[a.name()] = attribute_from_proto(a, where);
  }
  return n;
}

// ONNX allows empty and repeated node names; qcv wants each node nameable in errors and passes.
void name_nodes_uniquely(ir::Graph& g) {
  std::set<std::string> used;
  for (const ir::Node& n : g.nodes)
    for (const std::string& o : n.outputs) used.insert(o);
  for (const auto& [k, t] : g.initializers) used.insert(k);
  for (const ir::Value& v : g.inputs) used.insert(v.name);
  std::set<std::string> seen;
  for (size_t i = 0; i < g.nodes.size(); ++i) {
    ir::Node& n = g.nodes[i];
    if (!n.name.empty() && seen.insert(n.name).second) continue;
    std::string base = fmt::format("{}_{}", n.op, i);
    std::string name = base;
    for (int k = 1; seen.count(name) || used.count(name); ++k) name = fmt::format("{}_{}", base, k);
    n.name = name;
    seen.insert(name);
  }
}

// Frees a converted initializer's payload at once, so that the proto and the IR never both hold
// every weight (ResNet-50: ~100 MB less peak memory while loading).
void release_payload(pb::TensorProto* t) {
  delete t->release_raw_data();
  google::protobuf::RepeatedField<float>().Swap(t->mutable_float_data());
  google::protobuf::RepeatedField<int32_t>().Swap(t->mutable_int32_data());
  google::protobuf::RepeatedField<int64_t>().Swap(t->mutable_int64_data());
  google::protobuf::RepeatedField<double>().Swap(t->mutable_double_data());
}

// Consumes the initializers' payloads of `m` (see release_payload).
ir::Graph graph_from_model(pb::ModelProto& m, const std::string& model_dir) {
  check_model_header(m);
  pb::GraphProto& gp = *m.mutable_graph();
  ir::Graph g;
  g.opset = default_opset(m);
  if (!gp.name().empty()) g.name = gp.name();
  for (const auto& p : m.metadata_props()) g.metadata[p.key()] = p.value();
  if (gp.sparse_initializer_size() > 0) fail("sparse initializers are not supported");

  for (pb::TensorProto& t : *gp.mutable_initializer()) {
    if (t.name().empty()) fail("initializer with an empty name");
    if (g.initializers.count(t.name())) fail("initializer '{}' appears twice", t.name());
    if (t.data_location() == pb::TensorProto::EXTERNAL) detail::load_external_data(t, model_dir);
    g.initializers[t.name()] = tensor_from_proto(&t, fmt::format("initializer '{}'", t.name()));
    release_payload(&t);
  }
  for (const auto& vi : gp.input()) {
    if (g.is_initializer(vi.name())) continue;  // old exporters list weights as inputs too
    if (g.input_value(vi.name())) fail("graph input '{}' appears twice", vi.name());
    g.inputs.push_back(value_from_proto(vi, "graph input"));
  }
  for (const auto& vi : gp.output()) g.outputs.push_back(value_from_proto(vi, "graph output"));
  if (g.outputs.empty()) fail("the graph has no outputs");

  for (int i = 0; i < gp.node_size(); ++i)
    g.nodes.push_back(node_from_proto(gp.node(i), static_cast<size_t>(i), g.opset));
  name_nodes_uniquely(g);

  // Constant nodes become initializers: passes and runtimes then see one kind of constant.
  std::vector<ir::Node> kept;
  for (ir::Node& n : g.nodes) {
    if (n.op != "Constant") {
      kept.push_back(std::move(n));
      continue;
    }
    if (n.outputs.size() != 1 || n.outputs[0].empty())
      fail("node '{}' (Constant): expected one named output", n.name);
    const std::string& out = n.outputs[0];
    if (g.initializers.count(out) || g.input_value(out))
      fail("node '{}' (Constant): output '{}' is already defined", n.name, out);
    g.initializers[out] = constant_value(n);
  }
  g.nodes = std::move(kept);

  detail::rewrite_qoperator_ops(g);
  detail::upgrade_node_forms(g, g.opset);
  ir::infer_shapes(g);
  if (detail::upgrade_softmax(g, g.opset)) ir::infer_shapes(g);
  // Exporters' constant chains (ConstantOfShape -> Cast zero points, Shape -> Slice -> Concat
  // Reshape targets) and layout leftovers go now, so that nothing downstream sees them.
  passes::canonicalize(g);
  return g;
}

// Runs `body`, turning any failure into one qcv::Error that names the origin.
template <typename F>
auto with_origin(const std::string& origin, F&& body) -> decltype(body()) {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    fail("file '{}': out of memory while reading (corrupt sizes?)", origin);
  } catch (const std::exception& e) {
    fail("file '{}': {}", origin, e.what());
  }
}

// Protobuf cannot parse a message over 2 GiB; larger models keep their weights as external data.
constexpr uint64_t kMaxModelFileBytes = std::numeric_limits<int>::max();

// The whole file; a directory or a file larger than protobuf parses is refused before allocating.
std::string read_file(const std::string& path) {
  return ir::read_input_file(path, kMaxModelFileBytes);
}

// Parses serialized ModelProto bytes; `release_bytes` runs once they are no longer needed.
template <typename Release>
ir::Graph parse_model(const char* bytes, size_t size, const std::string& origin,
                      const std::string& model_dir, Release release_bytes) {
  silence_protobuf_logging();
  return with_origin(origin, [&] {
    if (size == 0) fail("empty file");
    if (size > static_cast<size_t>(std::numeric_limits<int>::max()))
      fail("larger than 2 GiB (protobuf's limit): save the weights as external data");
    pb::ModelProto model;
    if (!model.ParseFromArray(bytes, static_cast<int>(size)))
      fail("not an ONNX model (protobuf parse failed)");
    release_bytes();
    return graph_from_model(model, model_dir);
  });
}

}  // namespace

ir::Graph load_from_bytes(const std::string& bytes, const std::string& origin) {
  return parse_model(bytes.data(), bytes.size(), origin, "", [] {});
}

ir::Graph load(const std::string& path) {
  ir::MappedInputFile file(path, kMaxModelFileBytes);
  const std::string dir = std::filesystem::path(path).parent_path().string();
  return parse_model(file.data(), file.size(), path, dir.empty() ? "." : dir,
                     [&file] { file.release(); });
}

ir::Tensor load_tensor(const std::string& path) {
  std::string bytes = read_file(path);
  silence_protobuf_logging();
  return with_origin(path, [&] {
    if (bytes.empty()) fail("empty file");
    pb::TensorProto proto;
    if (!proto.ParseFromString(bytes)) fail("not a serialized TensorProto (protobuf parse failed)");
    if (!proto.has_data_type()) fail("not a serialized TensorProto (no data_type)");
    return tensor_from_proto(proto, fmt::format("tensor '{}'", proto.name()));
  });
}

}  // namespace qcv::onnx
