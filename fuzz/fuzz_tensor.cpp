// fuzz-libs: qcv_onnx
// One input, both tensor file readers: .npy (ir::load_npy) and a serialized TensorProto
// (onnx::load_tensor, the .pb files of ONNX's test data). qcv::Error is the expected answer.
#include <cstdint>
#include <string>

#include "fuzz_support.h"
#include "ir/ir.h"
#include "onnx/onnx.h"

extern "C" int LLVMFuzzerInitialize(int*, char***) {
  qcv::fuzz::set_small_limits();
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  {
    qcv::fuzz::TempFile f(data, size, ".npy");
    try {
      qcv::ir::Tensor t = qcv::ir::load_npy(f.path());
      (void)t.to_float_vector();  // every element readable (a bool byte other than 0/1 is UB)
    } catch (const qcv::Error&) {
    }
  }
  {
    qcv::fuzz::TempFile f(data, size, ".pb");
    try {
      qcv::ir::Tensor t = qcv::onnx::load_tensor(f.path());
      (void)t.to_float_vector();
    } catch (const qcv::Error&) {
    }
  }
  return 0;
}
