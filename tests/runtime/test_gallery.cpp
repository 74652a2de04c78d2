// Small versions of the gallery's third-party-style files (tests/data/gallery/, made by
// bench/gallery/*.py --small; see tests/data/gallery/make.sh): each imports, runs in the runtime,
// matches the reference kernels on the imported graph, and matches ONNX Runtime on the original
// file where onnxruntime-node is installed (bench/node_modules). FP32 files: max relative
// difference <= 1e-4; INT8 (QDQ) files: top-1 on all but one of the images (an engine may round
// an activation one step differently, which can flip a near tie).
#include <gtest/gtest.h>

#include <algorithm>
#include <cctype>
#include <cmath>
#include <random>
#include <set>

#include "onnx/onnx.h"
#include "onnx/ort_peer.h"
#include "ref/ref.h"
#include "runtime/session.h"

namespace {

using namespace qcv;

struct GalleryFile {
  const char* name;
  bool int8;  // QDQ: engines may differ by a rounding step, so top-1 is compared
};

const GalleryFile kFiles[] = {
    {"keras_mobilenet_v2_small.onnx", false},
    {"paddle_mobilenet_v3_large_small.onnx", false},
    {"paddle_mobilenet_v3_large_small_cliphs.onnx", false},
    {"mobilenet_v2_small.torch_style.onnx", true},
    {"mobilenet_v2_small.torch_style_fp32.onnx", false},
    // A real PyTorch 1.13 export: torchvision's quantizable MobileNetV2 x0.25, eager-mode torch.ao
    // (qnnpack qconfig), torch.onnx.export opset 13 (bench/gallery/make_torch_ao.py --small).
    {"mobilenet_v2_small.torch_ao.onnx", true},
    // bench/make_qoperator.py's QOperator MobileNetV2 (its ResNet is left out: its top-1 is the
    // same class for every random image, so top-1 checks on it would test nothing).
    {"mobilenetv2_qop.onnx", true},
};

void PrintTo(const GalleryFile& f, std::ostream* os) { *os << f.name; }

std::string file_path(const GalleryFile& f) {
  return std::string(QCV_SOURCE_DIR) + "/tests/data/gallery/" + f.name;
}

// Random images as bench/gallery_vs_ort.js feeds: per image and channel a brightness and a
// contrast times a smooth pattern (an 8x8 grid, nearest-upsampled) plus pixel noise, so that
// images differ in large-scale content and top-1 varies between them.
ir::Tensor random_images(ir::Shape shape, unsigned seed) {
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal;
  std::uniform_real_distribution<float> contrast(0.2f, 1.5f);
  bool nhwc = shape.size() == 4 && shape[3] == 3 && shape[1] != 3;
  int64_t n = shape[0], res = nhwc ? shape[1] : shape[2];
  ir::Tensor t(ir::DType::Float32, shape);
  float* x = t.data<float>();
  for (int64_t i = 0; i < n; ++i)
    for (int64_t c = 0; c < 3; ++c) {
      float b = normal(rng), k = contrast(rng), grid[64];
      for (float& g : grid) g = normal(rng);
      for (int64_t p = 0; p < res * res; ++p) {
        float v = grid[(p / res) * 8 / res * 8 + (p % res) * 8 / res] + 0.5f * normal(rng);
        x[nhwc ? (i * res * res + p) * 3 + c : (i * 3 + c) * res * res + p] = b + k * v;
      }
    }
  return t;
}

float max_relative_diff(const float* got, const float* want, size_t n) {
  float diff = 0, scale = 1e-12f;
  for (size_t i = 0; i < n; ++i) {
    diff = std::max(diff, std::abs(got[i] - want[i]));
    scale = std::max(scale, std::abs(want[i]));
  }
  return diff / scale;
}

std::vector<int64_t> top1(const float* y, int64_t rows, int64_t classes) {
  std::vector<int64_t> out;
  for (int64_t r = 0; r < rows; ++r)
    out.push_back(std::max_element(y + r * classes, y + (r + 1) * classes) - (y + r * classes));
  return out;
}

int64_t same_count(const std::vector<int64_t>& a, const std::vector<int64_t>& b) {
  int64_t n = 0;
  for (size_t i = 0; i < a.size() && i < b.size(); ++i) n += a[i] == b[i];
  return n;
}

class Gallery : public ::testing::TestWithParam<GalleryFile> {};

TEST_P(Gallery, RuntimeMatchesReferenceAndOrt) {
  const GalleryFile& f = GetParam();
  const std::string path = file_path(f);
  ir::Graph g = onnx::load(path);  // an unsupported op fails here, naming op, node and opset
  ASSERT_EQ(g.inputs.size(), 1u);
  ir::Shape shape = g.inputs[0].shape;
  ASSERT_EQ(shape.size(), 4u);
  const int64_t batch = 16;
  shape[0] = batch;
  ir::Tensor x = random_images(shape, 3);
  std::map<std::string, ir::Tensor> feeds{{g.inputs[0].name, x}};

  std::vector<ir::Tensor> want = ref::run_graph(g, feeds);
  ASSERT_EQ(want.size(), 1u);
  ASSERT_EQ(want[0].shape().size(), 2u);
  ASSERT_EQ(want[0].shape()[0], batch);
  const int64_t classes = want[0].shape()[1];
  const float* w = want[0].data<float>();
  // The files' heads are fitted so that these images fall into different classes: a file whose
  // output ignored its input would pass every comparison below.
  std::vector<int64_t> ref_top = top1(w, batch, classes);
  EXPECT_GT(std::set<int64_t>(ref_top.begin(), ref_top.end()).size(), 1u);

  runtime::Session s(g, {1});
  std::vector<ir::Tensor> got = s.run(feeds);
  ASSERT_EQ(got.size(), 1u);
  ASSERT_EQ(got[0].shape(), want[0].shape());
  if (f.int8)
    EXPECT_GE(same_count(top1(got[0].data<float>(), batch, classes), ref_top), batch - 1);
  else
    EXPECT_LE(max_relative_diff(got[0].data<float>(), w, want[0].numel()), 1e-4f);

  if (!test::ort_available()) {
    std::printf("onnxruntime-node not available: the ORT comparison is skipped\n");
    return;
  }
  test::TempDir dir;
  std::vector<float> ort = test::run_ort(path, x, dir);
  ASSERT_EQ(static_cast<int64_t>(ort.size()), want[0].numel());
  if (f.int8) {
    EXPECT_GE(same_count(top1(ort.data(), batch, classes), ref_top), batch - 1);
  } else {
    EXPECT_LE(max_relative_diff(w, ort.data(), ort.size()), 1e-4f);
  }
}

INSTANTIATE_TEST_SUITE_P(Files, Gallery, ::testing::ValuesIn(kFiles),
                         [](const ::testing::TestParamInfo<GalleryFile>& info) {
                           std::string n = info.param.name;
                           n = n.substr(0, n.rfind('.'));  // drop ".onnx"
                           for (char& ch : n)
                             if (!std::isalnum(static_cast<unsigned char>(ch))) ch = '_';
                           return n;
                         });

}  // namespace
