// Every zoo model through Session against ref::run_graph, batch 1 and 2, at a small resolution.
#include "models/models.h"
#include "runtime_test_util.h"

using namespace qcv;
using namespace qcv::testing;

namespace {

class ZooModel : public ::testing::TestWithParam<std::string> {};

TEST_P(ZooModel, MatchesReferenceAtBatch1And2) {
  models::ModelSpec spec;
  spec.name = GetParam();
  // The deep ResNets are slow in the reference kernels: they run at 32 pixels.
  bool deep =
      spec.name.find("101") != std::string::npos || spec.name.find("152") != std::string::npos;
  spec.resolution = deep ? 32 : 64;
  spec.classes = 37;
  spec.width = spec.name.rfind("mobilenet", 0) == 0 ? 0.75f : 1.f;
  ir::Graph g = models::build(spec);
  runtime::Session s(g, {2, true});
  for (int64_t batch : {1, 2}) {
    double err = compare_with_ref(g, s, {{batch, 3, spec.resolution, spec.resolution}});
    EXPECT_LT(err, 1e-4) << spec.name << " batch " << batch << "\n" << s.describe_plan();
  }
  if (getenv("QCV_SHOW_PLAN")) std::cout << s.describe_plan();
  EXPECT_GT(s.peak_activation_bytes(), 0u);
}

std::vector<std::string> zoo() { return models::model_names(); }

INSTANTIATE_TEST_SUITE_P(Zoo, ZooModel, ::testing::ValuesIn(zoo()),
                         [](const ::testing::TestParamInfo<std::string>& info) {
                           return info.param;
                         });

}  // namespace
