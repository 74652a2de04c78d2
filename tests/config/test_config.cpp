// Config values as qcv reads them from YAML and flags: whole numbers only, integers range-checked
// before narrowing, NaN/Inf refused, unknown keys refused in every section, and calibration
// settings a method cannot use refused. Each error names the key.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <cmath>
#include <string>

#include "config/calibration.h"
#include "config/train_config.h"
#include "config/workflow_config.h"
#include "ir/error.h"
#include "ir/parse_value.h"

namespace {

using qcv::Error;

// The message of the qcv::Error `f` throws ("" if none).
template <typename F>
std::string error_of(F f) {
  try {
    f();
  } catch (const Error& e) {
    return e.what();
  }
  return "";
}

bool has(const std::string& s, const std::string& part) { return s.find(part) != std::string::npos; }

qcv::config::WorkflowConfig workflow(const std::string& yaml) {
  return qcv::config::parse_workflow(YAML::Load(yaml), "w.yaml");
}

TEST(ParseValue, IntegersAreWholeAndInRange) {
  EXPECT_EQ(qcv::ir::parse_int("k", "42", 1, 100), 42);
  EXPECT_EQ(qcv::ir::parse_int("k", "-9223372036854775808"), INT64_MIN);
  // 2^32 + 1 truncated to int was 1: now out of range, with the bounds in plain digits.
  const std::string e = error_of([] { qcv::ir::parse_int("epochs", "4294967297", 1, 1000000); });
  EXPECT_TRUE(has(e, "'epochs'") && has(e, "from 1 to 1000000")) << e;
  EXPECT_TRUE(has(error_of([] { qcv::ir::parse_int("k", "99999999999999999999"); }), "out of range"));
  for (const char* bad : {"", " 1", "1 ", "1.5", "3x", "0.", "nan"})
    EXPECT_TRUE(has(error_of([&] { qcv::ir::parse_int("k", bad); }), "not an integer")) << bad;
}

TEST(ParseValue, NumbersAreFinite) {
  EXPECT_DOUBLE_EQ(qcv::ir::parse_number("lr", "1e-3", 0, 1), 1e-3);
  for (const char* bad : {"nan", "NaN", "inf", "-inf", "1e999"})
    EXPECT_TRUE(has(error_of([&] { qcv::ir::parse_number("lr", bad); }), "not a finite number"))
        << bad;
  const std::string e = error_of([] { qcv::ir::parse_number("lr", "-1", 0); });
  EXPECT_TRUE(has(e, ">= 0")) << e;
  EXPECT_FALSE(has(e, "179769")) << "DBL_MAX printed: " << e;
}

TEST(TrainConfig, RefusesOverflowNanAndUnknownKeys) {
  qcv::train::TrainConfig c;
  EXPECT_TRUE(has(error_of([&] { qcv::train::set_config_value(c, "epochs", "4294967297"); }),
                  "out of range"));
  EXPECT_EQ(c.epochs, qcv::train::TrainConfig().epochs) << "a refused value was stored";
  EXPECT_TRUE(has(error_of([&] { qcv::train::set_config_value(c, "lr", "nan"); }), "finite"));
  EXPECT_TRUE(has(error_of([&] { qcv::train::set_config_value(c, "batch_size", "0"); }), "range"));
  EXPECT_TRUE(has(error_of([&] { qcv::train::set_config_value(c, "master_port", "70000"); }), "65535"));
  const std::string e = error_of(
      [&] { qcv::train::apply_config_node(YAML::Load("epochs: 2\nepoch: 3\n"), c, "x.yaml"); });
  EXPECT_TRUE(has(e, "x.yaml") && has(e, "unknown key 'epoch'")) << e;
  qcv::train::apply_config_node(YAML::Load("epochs: 7\nlr: 0.01\n"), c, "x.yaml");
  EXPECT_EQ(c.epochs, 7);
  EXPECT_DOUBLE_EQ(c.lr, 0.01);
}

TEST(TrainConfig, WrittenConfigReadsBackTheSame) {
  qcv::train::TrainConfig c;
  c.lr = 0.1 + 0.2;  // not a short decimal: the text must carry every digit
  c.seed = INT64_MIN;
  c.model = "~";
  const std::string yaml = qcv::train::config_to_yaml(c);
  qcv::train::TrainConfig back;
  qcv::train::apply_config_node(YAML::Load(yaml), back, "config.yaml");
  EXPECT_EQ(qcv::train::config_to_yaml(back), yaml);
  EXPECT_EQ(back.lr, c.lr);
  EXPECT_EQ(back.seed, INT64_MIN);
}

TEST(WorkflowConfig, UnknownKeysAreErrorsInEverySection) {
  EXPECT_NO_THROW(workflow("title: t\nptq: {images: 8}\ndeploy: {latency_runs: 3}\n"));
  for (const char* yaml :
       {"titel: t\n", "ptq: {image: 8}\n", "qat: {init: max, rangs: lsq}\n", "deploy: {thread: 1}\n",
        "eval: {limit: 3}\n", "train: {epoch: 1}\n", "qat: {train: {lr_rate: 1}}\n"}) {
    const std::string e = error_of([&] { workflow(yaml); });
    EXPECT_TRUE(has(e, "w.yaml") && has(e, "unknown key")) << yaml << " -> " << e;
  }
}

TEST(WorkflowConfig, RefusesValuesThatCrashedOrWereIgnored) {
  // latency_runs 0 or negative took the median of no runs (a segfault).
  for (const char* runs : {"0", "-5", "2147483648"})
    EXPECT_TRUE(has(error_of([&] { workflow(std::string("deploy: {latency_runs: ") + runs + "}\n"); }),
                    "latency_runs"))
        << runs;
  EXPECT_TRUE(has(error_of([] { workflow("train: {epochs: 4294967297}\n"); }), "out of range"));
  EXPECT_TRUE(has(error_of([] { workflow("qat: {range_decay: .nan}\n"); }), "range_decay"));
  EXPECT_TRUE(has(error_of([] { workflow("qat: {range_decay: nan}\n"); }), "finite"));
  EXPECT_TRUE(has(error_of([] { workflow("ptq: {methods: [max, entropyy]}\n"); }), "entropyy"));
  EXPECT_TRUE(has(error_of([] { workflow("ptq: {methods: []}\n"); }), "empty"));
  EXPECT_TRUE(has(error_of([] { workflow("ptq: {images: [1, 2]}\n"); }), "single value"));
  EXPECT_TRUE(has(error_of([] { workflow("qat: {ranges: minmax}\n"); }), "minmax"));
  EXPECT_TRUE(has(error_of([] { workflow("- a\n- b\n"); }), "mapping"));
  const auto w = workflow("deploy: {latency_runs: 1}\neval: {limit_test: 5000000000}\n");
  EXPECT_EQ(w.latency_runs, 1);
  EXPECT_EQ(w.limit_test, 5000000000);
}

TEST(WorkflowConfig, ShippedConfigsLoad) {
  for (const char* name : {"workflow_default", "workflow_full", "workflow_resnet18"}) {
    const std::string path = std::string(QCV_SOURCE_DIR) + "/configs/" + name + ".yaml";
    EXPECT_NO_THROW(qcv::config::load_workflow(path)) << path;
  }
  qcv::train::TrainConfig c;
  EXPECT_NO_THROW(qcv::train::load_config_yaml(
      std::string(QCV_SOURCE_DIR) + "/configs/mobilenet_v2_fashion_mnist.yaml", c));
  const std::string e = error_of([] { qcv::config::load_workflow(QCV_SOURCE_DIR); });
  EXPECT_TRUE(has(e, "is a directory")) << e;
}

TEST(Calibration, EntropyNeedsMoreBinsThanLevels) {
  qcv::quant::CalibrationOptions o;
  o.method = qcv::quant::CalibrationMethod::Entropy;
  EXPECT_NO_THROW(qcv::config::check_calibration(o));  // the default 2048 bins
  for (int bins : {0, 1, 256}) {
    o.num_bins = bins;
    EXPECT_THROW(qcv::config::check_calibration(o), Error) << bins;
  }
  o.num_bins = 257;
  EXPECT_NO_THROW(qcv::config::check_calibration(o));
  o.method = qcv::quant::CalibrationMethod::Percentile;
  o.num_bins = 16;
  EXPECT_NO_THROW(qcv::config::check_calibration(o));
  for (double p : {0.0, -1.0, 100.5, std::nan("")}) {
    o.percentile = p;
    EXPECT_THROW(qcv::config::check_calibration(o), Error) << p;
  }
}

}  // namespace
