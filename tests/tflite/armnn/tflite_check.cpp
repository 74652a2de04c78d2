#include "tflite_check.h"

#include <algorithm>
#include <cmath>
#include <random>

#include "armnn_runner.h"
#include "ir/top_k.h"
#include "runtime/session.h"

namespace qcv::test {

std::vector<float> to_nhwc(const ir::Tensor& input) {
  const int64_t b = input.dim(0), c = input.dim(1), h = input.dim(2), w = input.dim(3);
  std::vector<float> nhwc(static_cast<size_t>(input.numel()));
  const float* x = input.data<float>();
  for (int64_t n = 0; n < b; ++n)
    for (int64_t k = 0; k < c; ++k)
      for (int64_t y = 0; y < h; ++y)
        for (int64_t z = 0; z < w; ++z)
          nhwc[((n * h + y) * w + z) * c + k] = x[((n * c + k) * h + y) * w + z];
  return nhwc;
}

ir::Tensor normal_input(const ir::Graph& g, int64_t batch, uint32_t seed) {
  ir::Shape shape = g.inputs[0].shape;
  shape[0] = batch;
  ir::Tensor x(ir::DType::Float32, shape);
  std::mt19937 rng(seed);
  std::normal_distribution<float> normal(0.f, 1.f);
  for (int64_t i = 0; i < x.numel(); ++i) x.data<float>()[i] = normal(rng);
  return x;
}

std::pair<float, float> observed_output_range(const ir::Graph& qdq, int images, uint32_t seed) {
  runtime::Session session(qdq, {2, true});
  float lo = 0, hi = 0;
  for (int i = 0; i < images; ++i) {
    const ir::Tensor y = session.run({{qdq.inputs[0].name, normal_input(qdq, 1, seed + i)}})[0];
    for (int64_t k = 0; k < y.numel(); ++k) {
      lo = std::min(lo, y.data<float>()[k]);
      hi = std::max(hi, y.data<float>()[k]);
    }
  }
  return {lo, hi};
}

float on_output_grid(float logit, float step, int64_t zero_point) {
  const double q = std::nearbyint(double(logit) / step) + double(zero_point);
  return float((std::clamp(q, -128.0, 127.0) - double(zero_point)) * step);
}

CheckResult compare_with_armnn(const ir::Graph& qdq, const std::string& tflite_bytes,
                               const ir::Tensor& input, float step, int64_t zero_point,
                               int threads) {
  runtime::Session session(qdq, {threads, true});
  const ir::Tensor want = session.run({{qdq.inputs[0].name, input}})[0];

  const int64_t b = input.dim(0);
  ArmnnModel model(tflite_bytes);
  const std::vector<float> got = model.run(to_nhwc(input));
  if (static_cast<int64_t>(got.size()) != want.numel())
    fail("Arm NN gave {} outputs, qcv {}", got.size(), want.numel());

  CheckResult r;
  r.outputs = want.numel();
  r.step = step;
  int64_t within = 0;
  double sum = 0;
  std::vector<float> want_int8(static_cast<size_t>(r.outputs));
  for (int64_t i = 0; i < r.outputs; ++i) {
    want_int8[i] = on_output_grid(want.data<float>()[i], step, zero_point);
    const double d = std::fabs(double(got[i]) - double(want_int8[i])) / step;
    within += d <= 1.0 + 1e-3;
    sum += d;
    r.max_steps = std::max(r.max_steps, d);
  }
  r.within_one_step = double(within) / r.outputs;
  r.mean_steps = sum / r.outputs;
  const int64_t classes = want.numel() / b;
  int64_t same = 0;
  for (int64_t n = 0; n < b; ++n) {
    const float* a = got.data() + n * classes;
    const float* q = want_int8.data() + n * classes;
    same += ir::top1_index(a, classes) == ir::top1_index(q, classes);
  }
  r.top1_agreement = double(same) / b;
  return r;
}

DatasetResult evaluate_armnn(const std::string& tflite_bytes, const ir::Tensor& inputs,
                             const ir::Tensor& labels, const ir::Tensor& qcv_logits, float step,
                             int64_t zero_point) {
  ArmnnModel model(tflite_bytes);
  const int64_t batch = model.input_shape().at(0), images = inputs.dim(0);
  const int64_t per_image = inputs.numel() / images, classes = qcv_logits.numel() / images;
  if (labels.numel() != images || qcv_logits.dim(0) != images)
    fail("{} inputs, {} labels, {} logits rows", images, labels.numel(), qcv_logits.dim(0));
  DatasetResult r;
  r.images = images;
  int64_t armnn_right = 0, qcv_right = 0, qcv_int8_right = 0, same = 0, same_int8 = 0, within = 0;
  double steps = 0;
  std::vector<float> qcv_int8(static_cast<size_t>(classes));
  for (int64_t first = 0; first < images; first += batch) {
    // The last batch is padded with zero images whose outputs are not counted.
    ir::Shape shape = inputs.shape();
    shape[0] = batch;
    ir::Tensor x(ir::DType::Float32, shape);
    const int64_t n = std::min(batch, images - first);
    std::copy_n(inputs.data<float>() + first * per_image, n * per_image, x.data<float>());
    const std::vector<float> got = model.run(to_nhwc(x));
    if (static_cast<int64_t>(got.size()) != batch * classes)
      fail("Arm NN gave {} outputs for {} x {} classes", got.size(), batch, classes);
    for (int64_t i = 0; i < n; ++i) {
      const int64_t label = labels.data<int64_t>()[first + i];
      const int64_t a = ir::top1_index(got.data() + i * classes, classes);
      const float* logits = qcv_logits.data<float>() + (first + i) * classes;
      const int64_t q = ir::top1_index(logits, classes);
      armnn_right += a == label;
      qcv_right += q == label;
      same += a == q;
      if (step <= 0) continue;
      for (int64_t k = 0; k < classes; ++k) {
        qcv_int8[k] = on_output_grid(logits[k], step, zero_point);
        const double d = std::fabs(double(got[i * classes + k]) - double(qcv_int8[k])) / step;
        within += d <= 1.0 + 1e-3;
        steps += d;
        r.max_steps = std::max(r.max_steps, d);
      }
      const int64_t q8 = ir::top1_index(qcv_int8.data(), classes);
      qcv_int8_right += q8 == label;
      same_int8 += a == q8;
    }
  }
  r.armnn_top1 = 100.0 * armnn_right / images;
  r.qcv_top1 = 100.0 * qcv_right / images;
  r.top1_agreement = 100.0 * same / images;
  r.qcv_int8_top1 = 100.0 * qcv_int8_right / images;
  r.int8_top1_agreement = 100.0 * same_int8 / images;
  r.within_one_step = 100.0 * within / (images * classes);
  r.mean_steps = steps / (images * classes);
  return r;
}

}  // namespace qcv::test
