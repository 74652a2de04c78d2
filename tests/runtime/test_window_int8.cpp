// The int8 pooling step (build_qpool) with the window attributes of the window family: it runs
// on int8 where oneDNN's result is ONNX's and refuses (the float path or the reference runs)
// where an include-padding average's divisor would differ. Against the FP32 fake-quant oracle.
#include "int8_test_util.h"

using namespace qcv;
using namespace qcv::testing;
using Ints = std::vector<int64_t>;

TEST(WindowInt8, PoolingAttributesOnInt8) {
  struct Case {
    const char* what;
    std::string op;
    std::map<std::string, ir::Attribute> attrs;
    bool int8_step;
  };
  const std::vector<Case> cases = {
      {"max dilations and ceil_mode",
       "MaxPool",
       {{"kernel_shape", Ints{2, 3}},
        {"dilations", Ints{2, 2}},
        {"strides", Ints{2, 2}},
        {"ceil_mode", int64_t{1}}},
       true},
      {"average ceil_mode",
       "AveragePool",
       {{"kernel_shape", Ints{3, 3}}, {"strides", Ints{2, 2}}, {"ceil_mode", int64_t{1}}},
       true},
      {"average ceil_mode with count_include_pad",
       "AveragePool",
       {{"kernel_shape", Ints{3, 3}},
        {"strides", Ints{2, 2}},
        {"pads", Ints{1, 0, 1, 0}},
        {"ceil_mode", int64_t{1}},
        {"count_include_pad", int64_t{1}}},
       false},
  };
  for (const Case& c : cases) {
    GraphMaker m;
    std::string x = m.input("x", {1, 16, 8, 7});
    Range r = range_params(-1.f, 1.f, ir::DType::Int8);  // zero point 0: include-pad may run
    std::string d = qdq(m, x, r.scale, r.zp, ir::DType::Int8);
    std::string y = m.node(c.op, {d}, c.attrs);
    m.output(quantize(m, y, r.scale, r.zp, ir::DType::Int8));
    std::map<std::string, ir::Tensor> feeds = {{"x", random_tensor({1, 16, 8, 7}, 5)}};
    runtime::Session s(m.g, {2, true});
    std::vector<ir::Tensor> got = s.run(feeds);
    std::vector<ir::Tensor> want = ref::run_graph(m.g, feeds);
    std::string plan = s.describe_plan();
    EXPECT_LE(max_step_diff(got.at(0), want.at(0)), c.op == "MaxPool" ? 0 : 1) << c.what << "\n"
                                                                               << plan;
    EXPECT_EQ(plan.find(c.op + " int8") != std::string::npos, c.int8_step) << c.what << "\n"
                                                                           << plan;
  }
}
