#include "onnx/external_data.h"

#include <filesystem>
#include <fstream>
#include <limits>

#include "ir/error.h"
#include "ir/limits.h"
#include "onnx/tensor_proto.h"

namespace qcv::onnx::detail {

namespace fs = std::filesystem;

namespace {

int64_t parse_size(const std::string& text, const std::string& what) {
  size_t used = 0;
  long long v = -1;
  try {
    v = std::stoll(text, &used);
  } catch (const std::exception&) {
    used = 0;
  }
  if (used != text.size() || v < 0) fail("{} '{}' is not a non-negative integer", what, text);
  return v;
}

}  // namespace

void load_external_data(::onnx::TensorProto& t, const std::string& model_dir) {
  const std::string what = "initializer '" + t.name() + "'";
  std::string location;
  int64_t offset = 0, length = -1;
  for (const auto& kv : t.external_data()) {
    if (kv.key() == "location")
      location = kv.value();
    else if (kv.key() == "offset")
      offset = parse_size(kv.value(), what + ": external data offset");
    else if (kv.key() == "length")
      length = parse_size(kv.value(), what + ": external data length");
  }
  if (location.empty()) fail("{}: external data without a location", what);
  if (model_dir.empty())
    fail("{}: external data '{}' needs the model's folder (load the model from its file)", what,
         location);
  const fs::path rel(location);
  if (rel.is_absolute()) fail("{}: external data location '{}' is absolute", what, location);
  for (const fs::path& part : rel)
    if (part == "..") fail("{}: external data location '{}' leaves the model's folder", what, location);
  std::error_code ec;
  const fs::path dir = fs::weakly_canonical(fs::path(model_dir), ec);
  const fs::path file = fs::weakly_canonical(dir / rel, ec);
  if (ec) fail("{}: external data '{}': {}", what, location, ec.message());
  const std::string d = dir.string(), f = file.string();
  if (f.compare(0, d.size(), d) != 0 || (f.size() > d.size() && f[d.size()] != '/'))
    fail("{}: external data location '{}' leaves the model's folder", what, location);
  // The bytes the tensor needs, overflow-checked and within QCV_MAX_TENSOR_BYTES, before reading.
  const ir::DType dtype = ir::dtype_from_onnx(t.data_type());
  if (dtype == ir::DType::Undefined)
    fail("{}: unsupported data type {}", what, onnx_type_name(t.data_type()));
  const ir::Shape shape(t.dims().begin(), t.dims().end());
  const uint64_t want = limits::checked_tensor_bytes(shape, ir::dtype_size(dtype), what);
  const auto size = fs::file_size(file, ec);
  if (ec) fail("{}: cannot read external data file '{}'", what, location);
  if (offset > static_cast<int64_t>(size))
    fail("{}: external data offset {} is past the end of '{}' ({} bytes)", what, offset, location,
         size);
  if (length < 0) length = static_cast<int64_t>(want);  // absent: the tensor's own size
  if (length > static_cast<int64_t>(size) - offset)
    fail("{}: external data '{}' holds {} bytes from offset {}, {} wanted", what, location,
         static_cast<int64_t>(size) - offset, offset, length);
  if (static_cast<uint64_t>(length) != want)
    fail("{}: external data '{}' has {} bytes, shape {} of {} needs {}", what, location, length,
         ir::shape_str(shape), ir::dtype_name(dtype), want);
  if (length > std::numeric_limits<int>::max())
    fail("{}: external data of {} bytes is larger than qcv reads (2 GiB)", what, length);
  std::string bytes(static_cast<size_t>(length), '\0');
  std::ifstream in(file, std::ios::binary);
  in.seekg(offset);
  if (!in.read(bytes.data(), length)) fail("{}: read error in external data '{}'", what, location);
  t.clear_external_data();
  t.set_data_location(::onnx::TensorProto::DEFAULT);
  t.set_raw_data(std::move(bytes));
}

}  // namespace qcv::onnx::detail
