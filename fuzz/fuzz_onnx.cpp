// fuzz-libs: qcv_onnx
// ONNX model bytes -> import (parse, QOperator rewrite, shape inference, canonicalize) ->
// validate -> optimize. qcv::Error is the expected answer to a bad model; anything else (a crash,
// another exception, a sanitizer report, > 10 s, > 2 GB) is a defect.
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "ir/ir.h"
#include "onnx/onnx.h"
#include "passes/passes.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  qcv::fuzz::set_small_limits();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  const std::string bytes(reinterpret_cast<const char*>(data), size);
  try {
    qcv::ir::Graph g = qcv::onnx::load_from_bytes(bytes, "fuzz.onnx");
    qcv::ir::validate(g);
    qcv::passes::optimize(g);
    qcv::ir::infer_shapes(g);
  } catch (const qcv::Error&) {
  }
  return 0;
}
