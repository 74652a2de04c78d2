// tflite_armnn_check MODEL.qdq.onnx MODEL.tflite: runs seeded N(0,1) images through qcv's INT8
// runtime and through Arm NN (CpuRef) and prints one JSON line (bench/tflite_zoo_armnn.sh).
#include <fmt/format.h>

#include <fstream>
#include <iostream>
#include <sstream>

#include "armnn_runner.h"
#include "onnx/onnx.h"
#include "tflite_check.h"

int main(int argc, char** argv) {
  if (argc != 3) {
    std::cerr << "usage: tflite_armnn_check MODEL.qdq.onnx MODEL.tflite\n";
    return 2;
  }
  try {
    const qcv::ir::Graph qdq = qcv::onnx::load(argv[1]);
    std::ifstream f(argv[2], std::ios::binary);
    std::stringstream bytes;
    bytes << f.rdbuf();
    const auto batch = qcv::test::ArmnnModel(bytes.str()).input_shape().at(0);
    const auto c = qcv::test::compare_with_armnn(qdq, bytes.str(),
                                                 qcv::test::normal_input(qdq, batch, 5));
    fmt::print(
        "{{\"outputs\":{},\"step\":{},\"within_one_step\":{:.4f},\"max_steps\":{:.3f},"
        "\"mean_steps\":{:.4f},\"top1_agreement\":{:.4f}}}\n",
        c.outputs, c.step, c.within_one_step, c.max_steps, c.mean_steps, c.top1_agreement);
  } catch (const std::exception& e) {
    fmt::print("{{\"error\":\"{}\"}}\n", e.what());
    return 1;
  }
  return 0;
}
