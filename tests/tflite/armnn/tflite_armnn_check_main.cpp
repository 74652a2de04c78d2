// tflite_armnn_check: the export check as a command, for bench/tflite_armnn_zoo.sh.
//   tflite_armnn_check --make-qdq MODEL WIDTH RESOLUTION OUT.qdq.onnx
//       a zoo model with trained-like BN parameters, PTQ'd with the tflite scheme on seeded
//       N(0,1) images (as the CTest does), written as a QDQ file;
//   tflite_armnn_check --output-range MODEL.qdq.onnx
//       "lo,hi" of the output over 8 seeded N(0,1) images (other seeds than the check's), through
//       qcv's INT8 runtime: export-tflite's --output-range for float logits;
//   tflite_armnn_check MODEL.qdq.onnx MODEL.tflite [LO,HI]
//       (LO,HI: the --output-range it was exported with) seeded N(0,1) images through qcv's INT8
//       runtime and through Arm NN (CpuRef); one JSON line;
//   tflite_armnn_check --eval MODEL.tflite DUMP_DIR [MODEL.qdq.onnx LO,HI]
//       the images of `qcv eval MODEL.qdq.onnx --dump DUMP_DIR` (inputs.npy, labels.npy,
//       logits.npy: qcv's INT8 runtime) through Arm NN: both top-1s and their agreement, and
//       with the QDQ file and the --output-range it was exported with, qcv's logits also on the
//       .tflite's int8 output grid (its top-1 and agreement from them) and the difference in
//       steps of that output; one JSON line;
//   tflite_armnn_check --run MODEL.tflite IN.npy OUT.npy
//       one NCHW float32 batch (the .tflite's batch) through Arm NN, its output as .npy: for
//       comparing with `qcv run` and with bench/tflite_cpuref_emulate.py.
#include <fmt/format.h>

#include <cstdio>
#include <fstream>
#include <iostream>
#include <sstream>
#include <stdexcept>

#include "armnn_runner.h"
#include "ir/npy.h"
#include "onnx/onnx.h"
#include "tflite/tflite.h"
#include "tflite/tflite_models.h"
#include "tflite_check.h"

namespace {

int make_qdq(char** argv) {
  const qcv::ir::Graph fp32 =
      qcv::test::zoo_model(argv[2], std::stof(argv[3]), std::stoi(argv[4]), 10);
  qcv::onnx::save(qcv::test::quantize_tflite(fp32, 8), argv[5]);
  return 0;
}

int check(char** argv, const char* range) {
  const qcv::ir::Graph qdq = qcv::onnx::load(argv[1]);
  std::ifstream f(argv[2], std::ios::binary);
  std::stringstream bytes;
  bytes << f.rdbuf();
  const auto batch = qcv::test::ArmnnModel(bytes.str()).input_shape().at(0);
  // The output step is the exporter's: re-derived from the QDQ file with the same options.
  qcv::tflite::ExportOptions options;
  options.batch = batch;
  if (range) {
    if (std::sscanf(range, "%f,%f", &options.output_lo, &options.output_hi) != 2)
      throw std::runtime_error(std::string("bad range ") + range);
  }
  const qcv::tflite::ExportResult exported = qcv::tflite::convert(qdq, options);
  const auto c = qcv::test::compare_with_armnn(
      qdq, bytes.str(), qcv::test::normal_input(qdq, batch, 5), exported.output_scales.at(0),
      exported.output_zero_points.at(0));
  fmt::print(
      "{{\"outputs\":{},\"step\":{},\"within_one_step\":{:.4f},\"max_steps\":{:.3f},"
      "\"mean_steps\":{:.4f},\"top1_agreement\":{:.4f}}}\n",
      c.outputs, c.step, c.within_one_step, c.max_steps, c.mean_steps, c.top1_agreement);
  return 0;
}

std::string read_bytes(const char* path) {
  std::ifstream f(path, std::ios::binary);
  if (!f) throw std::runtime_error(std::string("cannot read ") + path);
  std::stringstream bytes;
  bytes << f.rdbuf();
  return bytes.str();
}

int evaluate(char** argv, const char* qdq, const char* range) {
  const std::string dir = argv[3];
  float step = 0;
  int64_t zero_point = 0;
  if (range) {
    // The output step is the exporter's: re-derived from the QDQ file with the same range
    // (the range's when the logits are float there, else the logits' own parameters).
    qcv::tflite::ExportOptions options;
    if (std::sscanf(range, "%f,%f", &options.output_lo, &options.output_hi) != 2)
      throw std::runtime_error(std::string("bad range ") + range);
    const auto exported = qcv::tflite::convert(qcv::onnx::load(qdq), options);
    step = exported.output_scales.at(0);
    zero_point = exported.output_zero_points.at(0);
  }
  const auto r =
      qcv::test::evaluate_armnn(read_bytes(argv[2]), qcv::ir::load_npy(dir + "/inputs.npy"),
                                qcv::ir::load_npy(dir + "/labels.npy"),
                                qcv::ir::load_npy(dir + "/logits.npy"), step, zero_point);
  fmt::print("{{\"images\":{},\"armnn_top1\":{:.2f},\"qcv_top1\":{:.2f},\"top1_agreement\":{:.2f}",
             r.images, r.armnn_top1, r.qcv_top1, r.top1_agreement);
  if (range)
    fmt::print(
        ",\"qcv_int8_top1\":{:.2f},\"int8_top1_agreement\":{:.2f},\"within_one_step\":{:.2f},"
        "\"max_steps\":{:.3f},\"mean_steps\":{:.4f}",
        r.qcv_int8_top1, r.int8_top1_agreement, r.within_one_step, r.max_steps, r.mean_steps);
  fmt::print("}}\n");
  return 0;
}

int run(char** argv) {
  const qcv::ir::Tensor x = qcv::ir::load_npy(argv[3]);
  const qcv::test::ArmnnModel model(read_bytes(argv[2]));
  const std::vector<float> y = model.run(qcv::test::to_nhwc(x));
  const auto shape = model.output_shape();
  qcv::ir::Tensor out(qcv::ir::DType::Float32, qcv::ir::Shape(shape.begin(), shape.end()));
  std::copy(y.begin(), y.end(), out.data<float>());
  qcv::ir::save_npy(out, argv[4]);
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  try {
    if (argc == 6 && std::string(argv[1]) == "--make-qdq") return make_qdq(argv);
    if (argc == 3 && std::string(argv[1]) == "--output-range") {
      const auto r = qcv::test::observed_output_range(qcv::onnx::load(argv[2]), 8, 100);
      fmt::print("{},{}\n", r.first, r.second);
      return 0;
    }
    if ((argc == 4 || argc == 6) && std::string(argv[1]) == "--eval")
      return evaluate(argv, argc == 6 ? argv[4] : nullptr, argc == 6 ? argv[5] : nullptr);
    if (argc == 5 && std::string(argv[1]) == "--run") return run(argv);
    if (argc == 3 || argc == 4) return check(argv, argc == 4 ? argv[3] : nullptr);
  } catch (const std::exception& e) {
    fmt::print("{{\"error\":\"{}\"}}\n", e.what());
    return 1;
  }
  std::cerr << "usage: tflite_armnn_check --make-qdq MODEL WIDTH RESOLUTION OUT.qdq.onnx\n"
               "       tflite_armnn_check --output-range MODEL.qdq.onnx\n"
               "       tflite_armnn_check MODEL.qdq.onnx MODEL.tflite [LO,HI]\n"
               "       tflite_armnn_check --eval MODEL.tflite DUMP_DIR [MODEL.qdq.onnx LO,HI]\n"
               "       tflite_armnn_check --run MODEL.tflite IN.npy OUT.npy\n";
  return 2;
}
