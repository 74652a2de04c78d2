// The workflow's tune section: present -> a tune phase with qcv tune's settings.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include "config/workflow_config.h"
#include "ir/error.h"

namespace {

qcv::config::WorkflowConfig workflow(const std::string& yaml) {
  return qcv::config::parse_workflow(YAML::Load(yaml), "w.yaml");
}

std::string error_of(const std::string& yaml) {
  try {
    workflow(yaml);
  } catch (const qcv::Error& e) {
    return e.what();
  }
  return "";
}

TEST(WorkflowTuneKeys, AbsentMeansNoPhase) {
  EXPECT_FALSE(workflow("ptq: {scheme: tensorrt}\n").tune);
  const auto d = workflow("tune:\n");
  EXPECT_TRUE(d.tune);
  EXPECT_EQ(d.tune_max_drop, 0.5);
  EXPECT_FALSE(d.tune_relative);
  const auto w = workflow(
      "tune: {max_drop: 0.3, relative: true, max_trials: 7, timeout: 60, eval_images: 2000}\n");
  EXPECT_TRUE(w.tune && w.tune_relative);
  EXPECT_EQ(w.tune_max_drop, 0.3);
  EXPECT_EQ(w.tune_max_trials, 7);
  EXPECT_EQ(w.tune_timeout, 60);
  EXPECT_EQ(w.tune_eval_images, 2000);
}

TEST(WorkflowTuneKeys, BadValuesAreErrorsNamingTheKey) {
  std::string e = error_of("tune: {max_drop: -1}\n");
  EXPECT_NE(e.find("max_drop"), std::string::npos) << e;
  e = error_of("tune: {max_dorp: 1}\n");
  EXPECT_NE(e.find("max_dorp"), std::string::npos) << e;
  e = error_of("tune: {relative: sometimes}\n");
  EXPECT_NE(e.find("relative"), std::string::npos) << e;
}

}  // namespace
