// The workflow's ptq section carries qcv ptq's weight and advanced-PTQ settings.
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
  EXPECT_FALSE(d.per_tensor_weights || d.cle || d.bias_correction);
  EXPECT_EQ(d.weight_bits, 8);
  EXPECT_EQ(d.cle_relu6, "clip");
  const auto w = workflow(
      "ptq: {per_tensor_weights: true, weight_bits: 4, cle: true, cle_relu6: relu, "
      "bias_correction: yes}\n");
  EXPECT_TRUE(w.per_tensor_weights && w.cle && w.bias_correction);
  EXPECT_EQ(w.weight_bits, 4);
  EXPECT_EQ(w.cle_relu6, "relu");
}

TEST(WorkflowPtqKeys, BadValuesAreErrorsNamingTheKey) {
  std::string e = error_of("ptq: {weight_bits: 6}\n");
  EXPECT_NE(e.find("weight_bits"), std::string::npos) << e;
  e = error_of("ptq: {cle_relu6: clamp}\n");
  EXPECT_NE(e.find("clamp"), std::string::npos) << e;
  e = error_of("ptq: {cle: maybe}\n");
  EXPECT_NE(e.find("cle"), std::string::npos) << e;
  EXPECT_NE(e.find("w.yaml"), std::string::npos) << e;
}

}  // namespace
