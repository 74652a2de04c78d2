// The workflow's ptq section carries qcv ptq's weight and advanced-PTQ settings; its tune
// section turns on the tune phase.
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

TEST(WorkflowPtqKeys, DefaultsAndValues) {
  const auto d = workflow("ptq: {scheme: tensorrt}\n");
  EXPECT_FALSE(d.per_tensor_weights || d.cle || d.bias_correction || d.high_bias_absorption);
  EXPECT_EQ(d.weight_bits, 8);
  EXPECT_EQ(d.cle_relu6, "clip");
  const auto w = workflow(
      "ptq: {per_tensor_weights: true, weight_bits: 4, cle: true, cle_relu6: relu, "
      "high_bias_absorption: true, bias_correction: yes}\n");
  EXPECT_TRUE(w.per_tensor_weights && w.cle && w.bias_correction && w.high_bias_absorption);
  EXPECT_EQ(w.weight_bits, 4);
  EXPECT_EQ(w.cle_relu6, "relu");
}

TEST(WorkflowPtqKeys, BadValuesAreErrorsNamingTheKey) {
  std::string e = error_of("ptq: {weight_bits: 6}\n");
  EXPECT_NE(e.find("weight_bits"), std::string::npos) << e;
  e = error_of("ptq: {cle_relu6: clamp}\n");
  EXPECT_NE(e.find("clamp"), std::string::npos) << e;
  e = error_of("ptq: {high_bias_absorption: 2}\n");
  EXPECT_NE(e.find("high_bias_absorption"), std::string::npos) << e;
  e = error_of("ptq: {cle: maybe}\n");
  EXPECT_NE(e.find("cle"), std::string::npos) << e;
  EXPECT_NE(e.find("w.yaml"), std::string::npos) << e;
}

TEST(WorkflowPtqKeys, AdaRound) {
  const auto d = workflow("ptq: {scheme: tensorrt}\n");
  EXPECT_FALSE(d.adaround);
  EXPECT_EQ(d.adaround_iters, 1000);
  const auto w = workflow("ptq: {adaround: true, adaround_iters: 300, weight_bits: 4}\n");
  EXPECT_TRUE(w.adaround);
  EXPECT_EQ(w.adaround_iters, 300);
  std::string e = error_of("ptq: {adaround: true, bias_correction: true}\n");
  EXPECT_NE(e.find("exclusive"), std::string::npos) << e;
  e = error_of("ptq: {adaround_iters: 0}\n");
  EXPECT_NE(e.find("adaround_iters"), std::string::npos) << e;
}

// The tune section: present -> a tune phase with qcv tune's settings.
TEST(WorkflowTuneKeys, AbsentMeansNoPhase) {
  EXPECT_FALSE(workflow("ptq: {scheme: tensorrt}\n").tune);
  const auto d = workflow("tune:\n");
  EXPECT_TRUE(d.tune);
  EXPECT_EQ(d.tune_max_drop, 0.5);
  EXPECT_FALSE(d.tune_relative);
  EXPECT_EQ(d.tune_fallback, "ladder");
  const auto w = workflow(
      "tune: {max_drop: 0.3, relative: true, max_trials: 7, timeout: 60, eval_images: 2000, "
      "fallback: fp32}\n");
  EXPECT_EQ(w.tune_fallback, "fp32");
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
  e = error_of("tune: {fallback: int8}\n");
  EXPECT_NE(e.find("int8"), std::string::npos) << e;
}

}  // namespace
