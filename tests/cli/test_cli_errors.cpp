// Every way a user can get qcv's flags, configs or files wrong ends in ONE stderr line
// `qcv: error: ...` and exit 2 (usage) or 1 (input); --help still works on every command.
#include <gtest/gtest.h>

#include <filesystem>
#include <sstream>
#include <vector>

#include "cli/cli_run.h"

using namespace qcv_cli_test;

namespace {

// Asserts one stderr line, starting "qcv: error: " and containing `part`, and the exit code.
void expect_error(const std::string& args, int code, const std::string& part) {
  const Result r = run_qcv(args);
  EXPECT_EQ(r.code, code) << args << "\n" << r.err;
  EXPECT_EQ(count_lines(r.err), 1) << args << "\n" << r.err;
  EXPECT_EQ(r.err.rfind("qcv: error: ", 0), 0u) << args << "\n" << r.err;
  EXPECT_NE(r.err.find(part), std::string::npos) << args << ": wanted '" << part << "'\n" << r.err;
  EXPECT_LT(r.err.size(), 300u) << args << ": " << r.err;  // no 300-digit bounds, no traces
}

// The commands this qcv was built with, from its --help (asked once: a LibTorch build takes
// seconds to start).
std::vector<std::string> commands() {
  static std::vector<std::string> names;
  if (!names.empty()) return names;
  const Result r = run_qcv("--help");
  std::istringstream in(r.out.substr(r.out.find("Subcommands:")));
  std::string line;
  std::getline(in, line);
  while (std::getline(in, line)) {
    std::istringstream words(line);
    std::string name;
    if (words >> name) names.push_back(name);
  }
  return names;
}

bool has_command(const std::string& name) {
  const auto all = commands();
  return std::find(all.begin(), all.end(), name) != all.end();
}

std::string zoo_model() {
  const std::string path = tmp("errors_model.onnx");
  if (!std::filesystem::exists(path)) {
    EXPECT_EQ(run_qcv("export --model mobilenet_v2 --width 0.35 --resolution 32 --classes 10 "
                      "--channels 1 -o " + path).code, 0);
  }
  return path;
}

TEST(CliErrors, HelpWorksOnEveryCommand) {
  const auto names = commands();
  ASSERT_GE(names.size(), 4u);
  for (const std::string& sub : names) {
    const Result r = run_qcv(sub + " --help");
    EXPECT_EQ(r.code, 0) << sub << "\n" << r.err;
    EXPECT_NE(r.out.find("Usage"), std::string::npos) << sub;
    EXPECT_EQ(r.err, "") << sub;
  }
  EXPECT_EQ(run_qcv("--version").code, 0);
}

TEST(CliErrors, UsageErrorsAreOneLineExit2) {
  expect_error("no-such-command", 2, "unknown command 'no-such-command'");
  expect_error("", 2, "no command given");
  expect_error("info", 2, "input is required");
  expect_error("info a.onnx b.onnx", 2, "not expected");
  expect_error("models --no-such-flag", 2, "--no-such-flag");
  expect_error("export --model resnet18", 2, "--output");
  expect_error("export --model resnet18 --classes 4294967297 -o x.onnx", 2,
               "expected an integer from 1 to 16777216");
  expect_error("export --model resnet18 --width nan -o x.onnx", 2, "--width: nan is not a finite");
  expect_error("export --model resnet18 --dropout inf -o x.onnx", 2, "--dropout");
  expect_error("export --model resnet18 --resolution 0 -o x.onnx", 2, "--resolution");
  expect_error("export --model resnet18 --seed -1 -o x.onnx", 2, "--seed");
}

TEST(CliErrors, NumericFlagsHaveReadableBounds) {
  if (has_command("bench")) {
    expect_error("bench m.onnx --batch 0", 2, "--batch: 0 is out of range (expected an integer from 1 to 2147483647)");
    expect_error("bench m.onnx --batch abc", 2, "--batch: 'abc' is not an integer");
    expect_error("bench m.onnx --iters -3", 2, "--iters");
    expect_error("bench m.onnx --threads -1", 2, "--threads");
  }
  if (has_command("run")) expect_error("run m.onnx -o y.npy --threads 1.5", 2, "--threads");
  if (has_command("eval")) {
    expect_error("eval m.onnx --batch-size 0", 2, "--batch-size");
    expect_error("eval m.onnx --limit -1", 2, "--limit");
    expect_error("eval m.onnx --channels 4", 2, "--channels: 4 is out of range");
  }
  if (has_command("classify")) expect_error("classify m.onnx a.png --top 0", 2, "--top");
  if (has_command("shards")) expect_error("shards in -o out --shard-size 0", 2, "--shard-size");
}

TEST(CliErrors, CalibrationSettingsAreChecked) {
  if (!has_command("ptq")) GTEST_SKIP() << "built without the data layer";
  const std::string base = "ptq " + zoo_model() + " --calib fashion-mnist -o " + tmp("never.onnx");
  expect_error(base + " --method entropy --bins 0", 2, "--bins: 0 is out of range");
  // 100 bins cannot hold entropy's 128/256 candidate levels: it used to fall back to max.
  expect_error(base + " --method entropy --bins 100", 1, "entropy needs more than 256");
  expect_error(base + " --percentile nan", 2, "--percentile: nan is not a finite");
  expect_error(base + " --percentile 0", 1, "percentile 0");
  expect_error(base + " --images 0", 2, "--images");
  expect_error(base + " --batch 0", 2, "--batch");
  EXPECT_FALSE(std::filesystem::exists(tmp("never.onnx")));
}

TEST(CliErrors, InputErrorsAreOneLineExit1) {
  const std::string dir = tmp("a_directory");
  std::filesystem::create_directories(dir);
  expect_error("info " + dir, 1, "is a directory");
  expect_error("optimize " + dir + " -o " + tmp("never.onnx"), 1, "is a directory");
  expect_error("info " + tmp("missing.onnx"), 1, "no such file");
  if (has_command("run")) {
    expect_error("run " + zoo_model() + " -i " + dir + " -o " + tmp("y.npy"), 1, "is a directory");
  }
  if (has_command("classify")) {
    expect_error("classify " + zoo_model() + " x.png --labels " + dir, 1, "labels file");
  }
  EXPECT_FALSE(std::filesystem::exists(tmp("never.onnx")));
}

// Trainer and workflow configs (only in a qcv built with LibTorch).
TEST(CliErrors, TrainerFlagsAndConfigsAreChecked) {
  if (!has_command("train")) GTEST_SKIP() << "built without LibTorch";
  const std::string run = " -o " + tmp("never.run");
  // A bad flag value is a usage error (2), checked by the config key's own rule.
  expect_error("train --epochs 4294967297" + run, 2, "'epochs': 4294967297 is out of range");
  expect_error("train --lr nan" + run, 2, "'lr': nan is not a finite number");
  expect_error("train --batch-size 0" + run, 2, "batch_size");
  expect_error("train --optimizer lion" + run, 2, "'lion' is not one of sgd | rmsprop");
  write(tmp("bad_train.yaml"), "epochs: 1\nlearning_rate: 0.1\n");
  expect_error("train --config " + tmp("bad_train.yaml") + run, 1, "unknown key 'learning_rate'");
  std::filesystem::create_directories(tmp("config_dir"));
  expect_error("train --config " + tmp("config_dir") + run, 1, "is a directory");
  EXPECT_FALSE(std::filesystem::exists(tmp("never.run")));
}

TEST(CliErrors, WorkflowConfigsAreChecked) {
  if (!has_command("workflow")) GTEST_SKIP() << "built without LibTorch";
  const std::string out = " -o " + tmp("never.workflow");
  const std::pair<const char*, const char*> cases[] = {
      {"deploy: {latency_runs: 0}\n", "latency_runs"},  // was a segfault (median of nothing)
      {"deploy: {latency_runs: -3}\n", "latency_runs"},
      {"train: {epochs: 4294967297}\n", "out of range"},
      {"train: {lr: nan}\n", "finite"},
      {"ptq: {methods: [max], bins: 0}\n", "unknown key 'bins'"},
      {"qat: {init: max, rangez: lsq}\n", "unknown key 'rangez'"},
      {"deploi: {threads: 1}\n", "unknown key 'deploi'"},
  };
  for (const auto& [yaml, part] : cases) {
    write(tmp("wf.yaml"), yaml);
    expect_error("workflow --config " + tmp("wf.yaml") + out, 1, part);
  }
  EXPECT_FALSE(std::filesystem::exists(tmp("never.workflow")));
}

}  // namespace
