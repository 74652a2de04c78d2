// One Session runs any batch size: each image of a batch of 3 or 16 gets the output it gets when
// run alone, whether the batch runs as one plan or as slices on separate threads, and the alone
// runs equal the reference kernels (FP32) or fake quantization (INT8). A graph that mixes the
// images of a batch is never sliced (checked against hand-computed numbers).
#include <cmath>

#include "runtime/batch_split.h"
#include "zoo_int8_util.h"

using namespace qcv;
using namespace qcv::testing;
using Ints = std::vector<int64_t>;

namespace {

constexpr int kRes = 32;

ir::Graph fp32_model() {
  models::ModelSpec spec;
  spec.name = "mobilenet_v3_small";  // squeeze-excite: a per-(image, channel) scale
  spec.resolution = kRes;
  spec.classes = 37;
  spec.width = 0.5f;
  return models::build(spec);
}

ir::Tensor image(const ir::Tensor& batch, int64_t i) { return runtime::batch_rows(batch, i, 1); }

// Row i of a batch output against the image's output run alone: relative to the alone output's
// largest magnitude (float kernels of another batch size may sum in another order).
double row_error(const ir::Tensor& out, int64_t i, const ir::Tensor& alone) {
  return relative_error(runtime::batch_rows(out, i, 1), alone);
}

// Runs batches of 1 (each image alone), 3 and 16 through one Session with 2 threads (batches
// sliced over them) and one that never slices; returns the outputs of the images alone.
std::vector<ir::Tensor> check_batches(const ir::Graph& g, double tolerance) {
  const ir::Tensor images = random_tensor({16, 3, kRes, kRes}, 42);
  const std::string in = g.inputs[0].name;
  EXPECT_TRUE(runtime::batch_is_independent(g)) << "the batch would not be sliced";
  runtime::Session sliced(g, {2, true});
  runtime::SessionOptions whole_options(2, true);
  whole_options.split_batch = false;
  runtime::Session whole(g, whole_options);
  std::vector<ir::Tensor> alone;
  for (int64_t i = 0; i < 16; ++i) alone.push_back(sliced.run({{in, image(images, i)}}).at(0));
  const ir::Tensor three = runtime::batch_rows(images, 0, 3);
  for (runtime::Session* s : {&sliced, &whole}) {
    const char* which = s == &sliced ? "sliced" : "whole";
    ir::Tensor out3 = s->run({{in, three}}).at(0), out16 = s->run({{in, images}}).at(0);
    EXPECT_EQ(out3.dim(0), 3);
    EXPECT_EQ(out16.dim(0), 16);
    if (out3.dim(0) != 3 || out16.dim(0) != 16) continue;
    for (int64_t i = 0; i < 3; ++i)
      EXPECT_LE(row_error(out3, i, alone[i]), tolerance) << which << " batch 3, image " << i;
    for (int64_t i = 0; i < 16; ++i)
      EXPECT_LE(row_error(out16, i, alone[i]), tolerance) << which << " batch 16, image " << i;
  }
  return alone;
}

}  // namespace

TEST(BatchSizes, Fp32EachImageAsAloneAndAsReference) {
  const ir::Graph g = fp32_model();
  std::vector<ir::Tensor> alone = check_batches(g, 1e-5);
  const ir::Tensor images = random_tensor({16, 3, kRes, kRes}, 42);
  for (int64_t i : {0, 7, 15}) {
    auto want = ref::run_graph(g, {{g.inputs[0].name, image(images, i)}}).at(0);
    EXPECT_LE(relative_error(alone[i], want), 1e-4) << "image " << i;
  }
}

TEST(BatchSizes, Int8EachImageAsAloneAndAsFakeQuant) {
  const ir::Graph g = quantized_zoo_model({"mobilenet_v3_small", "onnxruntime"}, kRes);
  // Integer kernels: the same numbers whatever the batch, up to float rounding in requantization.
  std::vector<ir::Tensor> alone = check_batches(g, 1e-5);
  const ir::Tensor images = random_tensor({16, 3, kRes, kRes}, 42);
  for (int64_t i : {0, 7, 15}) {
    auto want = ref::run_graph(g, {{g.inputs[0].name, image(images, i)}}).at(0);
    const float* a = alone[i].data<float>();
    const float* b = want.data<float>();
    const int64_t classes = want.numel();
    // The same top-1 as fake quantization, logits within 5% of their range (as test_int8_models).
    float lo = *std::min_element(b, b + classes), hi = *std::max_element(b, b + classes);
    double worst = 0;
    for (int64_t k = 0; k < classes; ++k) worst = std::max(worst, double(std::fabs(a[k] - b[k])));
    EXPECT_LE(worst, 0.05 * (hi - lo)) << "image " << i;
    EXPECT_EQ(std::max_element(a, a + classes) - a, std::max_element(b, b + classes) - b)
        << "image " << i;
  }
}

// Softmax over the batch axis mixes the images: the Session must not slice it, and the result is
// the softmax of each column over the 4 rows, computed here by hand.
TEST(BatchSizes, GraphMixingImagesIsNotSliced) {
  GraphMaker m;
  m.output(m.node("Softmax", {m.input("x", {-1, 3})}, {{"axis", int64_t{0}}}));
  EXPECT_FALSE(runtime::batch_is_independent(m.g));
  runtime::Session s(m.g, {2, true});
  ir::Tensor x = ir::Tensor::from_vector<float>({4, 3}, {0, 1, 2, 1, 1, 1, 2, 0, -1, 3, 2, 1});
  ir::Tensor y = s.run({{"x", x}}).at(0);
  for (int c = 0; c < 3; ++c) {
    double sum = 0;
    for (int r = 0; r < 4; ++r) sum += std::exp(x.data<float>()[r * 3 + c]);
    for (int r = 0; r < 4; ++r)
      EXPECT_NEAR(y.data<float>()[r * 3 + c], std::exp(x.data<float>()[r * 3 + c]) / sum, 1e-6);
  }
}

TEST(BatchSizes, IndependenceFollowsTheBatchAxis) {
  auto one_node = [](const std::string& op, std::map<std::string, ir::Attribute> attrs,
                     std::vector<int64_t> extra = {}) {
    GraphMaker m;
    std::vector<std::string> ins = {m.input("x", {-1, 4, 6})};
    for (int64_t rows : extra)
      ins.push_back(m.constant(ir::Tensor::from_vector<int64_t>({2}, {-1, rows})));
    m.output(m.node(op, ins, std::move(attrs)));
    return runtime::batch_is_independent(m.g);
  };
  EXPECT_TRUE(one_node("Softmax", {{"axis", int64_t{1}}}));
  EXPECT_TRUE(one_node("Softmax", {{"axis", int64_t{-1}}}));
  EXPECT_FALSE(one_node("Softmax", {{"axis", int64_t{-3}}}));  // -3 is dimension 0
  EXPECT_TRUE(one_node("ReduceMean", {{"axes", Ints{2}}}));
  EXPECT_FALSE(one_node("ReduceMean", {{"axes", Ints{0, 2}}}));
  EXPECT_FALSE(one_node("ReduceMean", {}));  // all axes
  EXPECT_TRUE(one_node("Flatten", {}));
  EXPECT_FALSE(one_node("Flatten", {{"axis", int64_t{0}}}));
  EXPECT_FALSE(one_node("Transpose", {{"perm", Ints{1, 0, 2}}}));
  EXPECT_TRUE(one_node("Reshape", {}, {24}));    // [N, 4, 6] -> [N, 24]: each image's row whole
  EXPECT_FALSE(one_node("Reshape", {}, {12}));   // [N, 4, 6] -> [2N, 12]
  // Split sizes fed as a second input (ONNX's test_split_variable_parts_2d): not images.
  GraphMaker m;
  ir::Node split;
  split.name = "split";
  split.op = "Split";
  split.inputs = {m.input("x", {2, 6}), "sizes"};
  split.outputs = {"a", "b"};
  split.attrs = {{"axis", int64_t{1}}};
  m.g.inputs.push_back(ir::make_value("sizes", ir::DType::Int64, {2}));
  m.g.nodes.push_back(split);
  m.output("a");
  m.output("b");
  EXPECT_FALSE(runtime::batch_is_independent(m.g));
  EXPECT_EQ(runtime::batch_slices(16, 2), 2);
  EXPECT_EQ(runtime::batch_slices(3, 4), 3);
  EXPECT_EQ(runtime::batch_slices(1, 8), 1);
  EXPECT_EQ(runtime::batch_slices(16, 1), 1);
}

// Slices read the caller's rows in place (no copy per run); the view holds the same numbers as
// a copy of the rows.
TEST(BatchSizes, RowViewsShareTheCallersBytes) {
  const ir::Tensor images = random_tensor({5, 3, 4, 4}, 7);
  const ir::Tensor view = runtime::batch_rows_view(images, 2, 3);
  const ir::Tensor copy = runtime::batch_rows(images, 2, 3);
  ASSERT_EQ(view.shape(), (ir::Shape{3, 3, 4, 4}));
  EXPECT_EQ(view.raw(), static_cast<const float*>(images.raw()) + 2 * 3 * 4 * 4);
  for (int64_t i = 0; i < copy.numel(); ++i) EXPECT_EQ(view.data<float>()[i], copy.data<float>()[i]);
}
