// QAT keeps the best of its PTQ initialization and its epochs: the best-epoch rule on scripted
// accuracies, the trainer evaluating the initialization as epoch 0, and `qcv qat` writing (and
// saying it wrote) the initialization when no epoch beats it.
#include <fmt/format.h>
#include <gtest/gtest.h>
#include <sys/wait.h>

#include <filesystem>
#include <fstream>

#include "models/models.h"
#include "onnx/onnx.h"
#include "quant/quant.h"
#include "train/best_epoch.h"
#include "train/qat.h"

using namespace qcv;
namespace fs = std::filesystem;

namespace {

TEST(BestEpoch, KeepsTheHighestAccuracyAndTheEarlierOfTies) {
  train::BestEpoch b;
  const std::vector<std::pair<int64_t, double>> run = {
      {0, 50.0}, {1, 48.0}, {2, 55.5}, {3, 55.5}, {4, 54.0}};
  std::vector<int64_t> saved;
  for (const auto& [epoch, top1] : run)
    if (b.offer(epoch, top1)) saved.push_back(epoch);
  EXPECT_EQ(b.epoch, 2);
  EXPECT_DOUBLE_EQ(b.top1, 55.5);
  EXPECT_EQ(saved, (std::vector<int64_t>{0, 2}));  // best.onnx written at these epochs only
  // A fine-tuning that only loses keeps its initialization (epoch 0).
  train::BestEpoch q;
  for (const auto& [epoch, top1] : std::vector<std::pair<int64_t, double>>{{0, 66.1}, {1, 62.7}})
    q.offer(epoch, top1);
  EXPECT_EQ(q.epoch, 0);
  // Resumed with a known best: a lower epoch does not replace it.
  train::BestEpoch r{3, 70.0};
  EXPECT_FALSE(r.offer(4, 69.9));
  EXPECT_TRUE(r.offer(5, 70.1));
}

std::string tiny_fp32(const std::string& dir) {
  models::ModelSpec spec;
  spec.name = "mobilenet_v2";
  spec.width = 0.25f;
  spec.resolution = 28;
  spec.classes = 10;
  spec.in_channels = 1;
  const std::string path = dir + "/fp32.onnx";
  onnx::save(models::build(spec), path);
  return path;
}

bool have_fashion_mnist() { return fs::exists("/usr/share/datasets/fashion-mnist"); }

// One calibration batch of 4 patterned images for `fp32`'s input.
std::unique_ptr<quant::CalibrationData> pattern_batch(const ir::Graph& fp32, int period) {
  ir::Tensor x(ir::DType::Float32, {4, 1, 28, 28});
  for (int64_t i = 0; i < x.numel(); ++i)
    x.data<float>()[i] = float(i % period) / float(period / 2) - 1.f;
  return quant::feeds_data({{{fp32.inputs[0].name, x}}});
}

// QAT of `init` on the first 64 training and test images, 32 per batch, one thread.
train::TrainConfig tiny_qat_config(const std::string& init, const std::string& run_dir) {
  train::TrainConfig cfg = train::qat_defaults();
  cfg.init = init;
  cfg.resolution = 28;
  cfg.limit_train = 64;
  cfg.limit_test = 64;
  cfg.batch_size = 32;
  cfg.workers = 1;
  cfg.threads = 1;
  cfg.run_dir = run_dir;
  return cfg;
}

// With lr 0 every epoch equals the initialization: the evaluation is controlled, and the tie
// keeps epoch 0.
TEST(QatBest, TheInitializationIsEpochZeroAndWinsTies) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "Fashion-MNIST is not installed";
  const std::string dir = std::string(QCV_BINARY_DIR) + "/test_qat_best";
  fs::remove_all(dir);
  fs::create_directories(dir);
  ir::Graph fp32 = onnx::load(tiny_fp32(dir));
  auto data = pattern_batch(fp32, 17);
  quant::PtqOptions o;
  o.calibration.show_progress = false;
  const std::string init = dir + "/qat_init.onnx";
  onnx::save(quant::prepare_qat(fp32, quant::reference_backend(), *data, o).graph, init);

  train::TrainConfig cfg = tiny_qat_config(init, dir + "/run");
  cfg.epochs = 2;
  cfg.lr = 0;
  cfg.lr_schedule = "constant";
  const train::TrainResult r = train::run_qat(cfg, train::QatOptions{});
  EXPECT_GE(r.init_top1, 0.0);
  EXPECT_EQ(r.best_epoch, 0);
  EXPECT_DOUBLE_EQ(r.best_top1, r.init_top1);
  EXPECT_NEAR(r.final_top1, r.init_top1, 1e-9);  // lr 0: nothing moved
  const ir::Graph best = onnx::load(cfg.run_dir + "/best.onnx");
  EXPECT_EQ(best.metadata.at("qcv.epoch"), "0");
  EXPECT_EQ(best.metadata.at("qcv.test_top1"), fmt::format("{:.2f}", r.init_top1));
}

// Regression: with BN in the QAT graph (fold-after, keep) and with EMA ranges, the initial
// evaluation ran before the epoch hooks had bound the BN folding to the module ("conv used before
// bind()"). Each mode now evaluates its initialization; all of them compute the same function
// there (BN with its running statistics, the calibrated ranges), so their epoch-0 accuracies
// agree with the folded graph's up to float rounding (at most one of 64 images).
TEST(QatBest, EveryBatchNormAndRangeModeEvaluatesItsInitialization) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "Fashion-MNIST is not installed";
  const std::string dir = std::string(QCV_BINARY_DIR) + "/test_qat_best_modes";
  fs::remove_all(dir);
  fs::create_directories(dir);
  ir::Graph fp32 = onnx::load(tiny_fp32(dir));
  double folded_top1 = -1;
  for (const std::string bn : {"fold", "fold-after", "keep"}) {
    for (const std::string ranges : {"fixed", "ema"}) {
      SCOPED_TRACE(bn + " " + ranges);
      auto data = pattern_batch(fp32, 13);
      quant::PtqOptions o;
      o.calibration.show_progress = false;
      const std::string init = dir + "/qat_init_" + bn + ".onnx";
      onnx::save(quant::prepare_qat(fp32, quant::reference_backend(), *data, o, bn).graph, init);
      train::TrainConfig cfg = tiny_qat_config(init, dir + "/run_" + bn + "_" + ranges);
      cfg.epochs = 1;
      train::QatOptions q;
      q.batch_norm = bn;
      q.ranges = ranges;
      train::TrainResult r;
      ASSERT_NO_THROW(r = train::run_qat(cfg, q));
      if (folded_top1 < 0) folded_top1 = r.init_top1;
      EXPECT_NEAR(r.init_top1, folded_top1, 100.0 / 64 + 1e-9);
      EXPECT_TRUE(fs::exists(cfg.run_dir + "/best.onnx"));
    }
  }
}

#ifdef QCV_CLI_PATH
std::string qcv_log(const std::string& args, const std::string& log, int* code) {
  const int status =
      std::system((std::string(QCV_CLI_PATH) + " " + args + " >" + log + " 2>&1").c_str());
  *code = WEXITSTATUS(status);
  std::ifstream in(log);
  return std::string((std::istreambuf_iterator<char>(in)), {});
}

TEST(QatBest, QcvQatWritesAndNamesTheInitializationWhenNoEpochBeatsIt) {
  if (!have_fashion_mnist()) GTEST_SKIP() << "Fashion-MNIST is not installed";
  const std::string dir = std::string(QCV_BINARY_DIR) + "/test_qat_best_cli";
  fs::remove_all(dir);
  fs::create_directories(dir);
  const std::string model = tiny_fp32(dir);
  const std::string common = " --data fashion-mnist --images 32 --epochs 1 --lr 0 --lr-schedule "
                             "constant --limit-train 64 --limit-test 64 --batch-size 32 "
                             "--threads 1 --workers 1 ";
  int code = 0;
  const std::string log =
      qcv_log("qat " + model + common + "-o " + dir + "/best.onnx", dir + "/best.log", &code);
  ASSERT_EQ(code, 0) << log;
  EXPECT_NE(log.find("no QAT epoch beat the PTQ initialization"), std::string::npos) << log;
  EXPECT_NE(log.find("the PTQ initialization (no epoch beat it)"), std::string::npos) << log;
  const ir::Graph written = onnx::load(dir + "/best.onnx");
  EXPECT_NE(written.metadata.at("qcv.quantization").find("written=ep0"), std::string::npos);

  // --export last writes epoch 1; with lr 0 it equals the init, so no warning is due.
  const std::string last = qcv_log("qat " + model + common + "--export last -o " + dir +
                                       "/last.onnx",
                                   dir + "/last.log", &code);
  ASSERT_EQ(code, 0) << last;
  EXPECT_EQ(last.find("BELOW"), std::string::npos) << last;
  EXPECT_NE(onnx::load(dir + "/last.onnx").metadata.at("qcv.quantization").find("written=ep1"),
            std::string::npos);
}
#endif

}  // namespace
