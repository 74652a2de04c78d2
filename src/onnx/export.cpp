// ir::Graph -> ONNX ModelProto (opset 13, or newer where an op form needs it), atomic writes.
#include <onnx/onnx_pb.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <set>
#include <type_traits>

#include "ir/atomic_file.h"
#include "onnx/onnx.h"
#include "onnx/tensor_proto.h"

namespace qcv::onnx {

namespace pb = ::onnx;

namespace {

constexpr int64_t kExportOpset = 13;
constexpr int64_t kExportIrVersion = 8;  // ONNX Runtime >= 1.10 reads it; covers opsets 13-17

// The opset in which node n's form (op and attributes) first exists, when that is after 13; the
// model then imports that opset. Every other op form in the IR table has the same semantics in
// opsets 13 to 17, so raising the number is safe.
int64_t first_opset(const ir::Node& n) {
  if (n.op == "LayerNormalization") return 17;
  if (n.op == "GridSample" || n.op == "RoiAlign") return 16;
  if ((n.op == "ScatterND" || n.op == "ScatterElements") &&
      n.attr_string("reduction", "none") != "none")
    return 16;
  if (n.op == "CastLike" || (n.op == "Shape" && (n.has_attr("start") || n.has_attr("end"))))
    return 15;
  if (n.op == "HardSwish" || n.op == "Trilu" ||
      (n.op == "Reshape" && n.attr_int("allowzero", 0) != 0) ||
      (n.op == "BatchNormalization" && n.attr_int("training_mode", 0) != 0))
    return 14;
  return kExportOpset;
}

int64_t required_opset(const ir::Graph& g) {
  int64_t opset = kExportOpset;
  for (const ir::Node& n : g.nodes) opset = std::max(opset, first_opset(n));
  return opset;
}

void write_value(const ir::Value& v, bool name_unknown_batch, pb::ValueInfoProto* vi) {
  vi->set_name(v.name);
  auto* tt = vi->mutable_type()->mutable_tensor_type();
  tt->set_elem_type(static_cast<int32_t>(v.dtype));
  if (!v.has_shape) return;
  auto* shape = tt->mutable_shape();
  for (size_t i = 0; i < v.shape.size(); ++i) {
    auto* d = shape->add_dim();
    std::string param = i < v.dim_names.size() ? v.dim_names[i] : "";
    if (!param.empty())
      d->set_dim_param(param);
    else if (v.shape[i] >= 0)
      d->set_dim_value(v.shape[i]);
    else if (i == 0 && name_unknown_batch)
      d->set_dim_param("N");
    // else: an unknown, unnamed dimension (neither field set), as ONNX allows
  }
}

void write_attribute(const std::string& key, const ir::Attribute& value, const std::string& node,
                     pb::AttributeProto* a) {
  a->set_name(key);
  std::visit(
      [&](const auto& v) {
        using T = std::decay_t<decltype(v)>;
        if constexpr (std::is_same_v<T, int64_t>) {
          a->set_type(pb::AttributeProto::INT);
          a->set_i(v);
        } else if constexpr (std::is_same_v<T, float>) {
          a->set_type(pb::AttributeProto::FLOAT);
          a->set_f(v);
        } else if constexpr (std::is_same_v<T, std::string>) {
          a->set_type(pb::AttributeProto::STRING);
          a->set_s(v);
        } else if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
          a->set_type(pb::AttributeProto::INTS);
          for (int64_t x : v) a->add_ints(x);
        } else if constexpr (std::is_same_v<T, std::vector<float>>) {
          a->set_type(pb::AttributeProto::FLOATS);
          for (float x : v) a->add_floats(x);
        } else {
          a->set_type(pb::AttributeProto::TENSOR);
          detail::tensor_to_proto(v, node + "." + key, a->mutable_t());
        }
      },
      value);
}

pb::ModelProto model_from_graph(const ir::Graph& source) {
  // Inference on a copy (tensors are shared, not copied) validates the graph and types every
  // value, so that the file carries complete input/output types and value_info.
  ir::Graph g = source;
  ir::infer_shapes(g);

  pb::ModelProto m;
  m.set_ir_version(kExportIrVersion);
  m.set_producer_name("qcv");
  m.set_producer_version("0.1.0");
  auto* opset = m.add_opset_import();
  opset->set_domain("");
  opset->set_version(required_opset(g));
  for (const auto& [k, v] : g.metadata) {
    auto* p = m.add_metadata_props();
    p->set_key(k);
    p->set_value(v);
  }

  pb::GraphProto* gp = m.mutable_graph();
  gp->set_name(g.name.empty() ? "qcv" : g.name);
  for (const auto& [name, t] : g.initializers)
    detail::tensor_to_proto(t, name, gp->add_initializer());
  for (const ir::Value& v : g.inputs) write_value(v, true, gp->add_input());
  for (const ir::Value& v : g.outputs) write_value(v, true, gp->add_output());
  std::set<std::string> listed;
  for (const ir::Value& v : g.inputs) listed.insert(v.name);
  for (const ir::Value& v : g.outputs) listed.insert(v.name);
  for (const auto& [name, v] : g.value_info)
    if (!listed.count(name) && !g.is_initializer(name) && v.dtype != ir::DType::Undefined)
      write_value(v, false, gp->add_value_info());

  for (const ir::Node& n : g.nodes) {
    pb::NodeProto* np = gp->add_node();
    np->set_name(n.name);
    np->set_op_type(n.op);
    for (const std::string& in : n.inputs) np->add_input(in);
    for (const std::string& out : n.outputs) np->add_output(out);
    for (const auto& [key, value] : n.attrs)
      write_attribute(key, value, n.name, np->add_attribute());
  }
  return m;
}

std::string serialize(const google::protobuf::MessageLite& msg, const std::string& what) {
  std::string bytes;
  if (msg.ByteSizeLong() > static_cast<size_t>(INT32_MAX))
    fail("{}: larger than 2 GiB, protobuf cannot serialize it", what);
  if (!msg.SerializeToString(&bytes)) fail("{}: protobuf serialization failed", what);
  return bytes;
}

}  // namespace

std::string save_to_bytes(const ir::Graph& g) {
  pb::ModelProto m;
  try {
    m = model_from_graph(g);
  } catch (const Error& e) {
    fail("exporting graph '{}': {}", g.name, e.what());
  }
  return serialize(m, fmt::format("graph '{}'", g.name));
}

void save(const ir::Graph& g, const std::string& path) {
  std::string bytes;
  try {
    bytes = save_to_bytes(g);
  } catch (const Error& e) {
    fail("file '{}': {}", path, e.what());
  }
  ir::write_file_atomically(path, bytes);
}

void save_tensor(const ir::Tensor& t, const std::string& path, const std::string& name) {
  pb::TensorProto proto;
  try {
    detail::tensor_to_proto(t, name, &proto);
  } catch (const Error& e) {
    fail("file '{}': {}", path, e.what());
  }
  ir::write_file_atomically(path, serialize(proto, fmt::format("file '{}'", path)));
}

}  // namespace qcv::onnx
