// ONNX external data: initializers whose bytes live in files beside the model (saved with
// save_as_external_data, as every model over 2 GiB must be). Private to qcv_onnx.
#pragma once
#include <onnx/onnx_pb.h>

#include <string>

namespace qcv::onnx::detail {

// Reads the external bytes of `t` into its raw_data and clears the external reference. The
// location is taken relative to `model_dir`; an absolute location, or one that leaves that folder
// (`..`, a symlink out of it), is refused, as is a range past the end of the file.
// `model_dir` empty (a model read from memory) refuses external data.
void load_external_data(::onnx::TensorProto& t, const std::string& model_dir);

}  // namespace qcv::onnx::detail
