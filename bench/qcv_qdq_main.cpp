// qcv_qdq: QDQ files for the INT8 benchmarks and parity checks.
//   qcv_qdq NAME RES OUT.onnx [--scheme tensorrt|onnxruntime|tflite] [--images N] [--classes C]
//   qcv_qdq --plan MODEL.onnx [THREADS]   the steps qcv runs the model with (int8 kernels or not)
//   qcv_qdq --check MODEL.onnx [RES]      Session vs the reference kernels (fake quantization) on
//                                         one random image: max |diff| / output range, top-1
// builds zoo model NAME at resolution RES (seeded random weights), calibrates it with the max
// method on N random images (uniform [-1, 1]) with qcv's runtime as the calibration backend, and
// writes the QDQ graph of the scheme (int8 weights per channel) as ONNX.
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <random>
#include <string>

#include "models/models.h"
#include "onnx/onnx.h"
#include "quant/quant.h"
#include "ref/ref.h"
#include "runtime/calibration_backend.h"
#include "runtime/session.h"

using namespace qcv;

int main(int argc, char** argv) {
  try {
    if (argc >= 3 && !std::strcmp(argv[1], "--plan")) {
      runtime::Session s(onnx::load(argv[2]), {argc > 3 ? std::stoi(argv[3]) : 2, true});
      std::printf("%s", s.describe_plan().c_str());
      return 0;
    }
    if (argc >= 3 && !std::strcmp(argv[1], "--check")) {
      ir::Graph g = onnx::load(argv[2]);
      int64_t res = argc > 3 ? std::stoi(argv[3]) : 224;
      ir::Tensor x(ir::DType::Float32, {1, 3, res, res});
      std::mt19937 rng(5);
      std::normal_distribution<float> dist;
      for (int64_t j = 0; j < x.numel(); ++j) x.data<float>()[j] = dist(rng);
      std::map<std::string, ir::Tensor> feeds = {{g.inputs[0].name, x}};
      runtime::Session s(g, {2, true});
      ir::Tensor a = s.run(feeds)[0], b = ref::run_graph(g, feeds)[0];
      const float* pa = a.data<float>();
      const float* pb = b.data<float>();
      float lo = pb[0], hi = pb[0], diff = 0;
      for (int64_t j = 0; j < b.numel(); ++j) {
        lo = std::min(lo, pb[j]);
        hi = std::max(hi, pb[j]);
        diff = std::max(diff, std::fabs(pa[j] - pb[j]));
      }
      auto top = [&](const float* p) { return std::max_element(p, p + a.numel()) - p; };
      std::printf("max |qcv - ref| = %g, output range [%g, %g], top-1 qcv %td ref %td\n", diff, lo,
                  hi, top(pa), top(pb));
      return 0;
    }
    if (argc < 4) {
      std::fprintf(stderr,
                   "usage: qcv_qdq NAME RES OUT.onnx [--scheme S] [--images N] [--classes C]\n");
      return 2;
    }
    models::ModelSpec spec;
    spec.name = argv[1];
    spec.resolution = std::stoi(argv[2]);
    std::string out = argv[3], scheme = "tensorrt";
    int images = 8;
    for (int i = 4; i + 1 < argc; i += 2) {
      if (!std::strcmp(argv[i], "--scheme"))
        scheme = argv[i + 1];
      else if (!std::strcmp(argv[i], "--images"))
        images = std::stoi(argv[i + 1]);
      else if (!std::strcmp(argv[i], "--classes"))
        spec.classes = std::stoi(argv[i + 1]);
      else
        fail("qcv_qdq: unknown option '{}'", argv[i]);
    }
    // NAME may also be an FP32 .onnx file (e.g. bench/export_torchvision.py's).
    const std::string name = spec.name;
    ir::Graph g = name.size() > 5 && name.compare(name.size() - 5, 5, ".onnx") == 0
                      ? onnx::load(name)
                      : models::build(spec);
    std::vector<std::map<std::string, ir::Tensor>> batches;
    std::mt19937 rng(1);
    std::uniform_real_distribution<float> dist(-1.f, 1.f);
    for (int k = 0; k < images; ++k) {
      ir::Tensor x(ir::DType::Float32, {1, 3, spec.resolution, spec.resolution});
      for (int64_t j = 0; j < x.numel(); ++j) x.data<float>()[j] = dist(rng);
      batches.push_back({{g.inputs[0].name, x}});
    }
    auto data = quant::feeds_data(batches);
    quant::Backend backend = runtime::calibration_backend(2);
    quant::PtqOptions options;
    options.scheme = quant::scheme_by_name(scheme);
    options.calibration.show_progress = false;
    quant::PtqResult r = quant::quantize_ptq(g, backend, *data, options);
    onnx::save(r.graph, out);
    std::printf("%s: %s scheme, %zu quantized tensors\n", out.c_str(), scheme.c_str(),
                r.plan.targets.size());
    return 0;
  } catch (const std::exception& e) {
    std::fprintf(stderr, "qcv_qdq: %s\n", e.what());
    return 1;
  }
}
