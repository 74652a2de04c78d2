// `qcv bench --batch`: a list of batch sizes swept by one Session, one JSON row per size.
#include <gtest/gtest.h>

#include <nlohmann/json.hpp>
#include <sstream>

#include "cli/cli_run.h"

using namespace qcv_cli_test;  // run_qcv, tmp, count_lines

#ifdef QCV_HAVE_RUNTIME_CLI
TEST(CliBench, BatchSweepPrintsOneJsonRowPerSize) {
  const std::string model = tmp("bench_tiny.onnx");
  ASSERT_EQ(run_qcv("export --model mobilenet_v3_small --width 0.35 --resolution 32 --classes 5 -o " + model).code, 0);
  // Out of order and repeated: run once each, in increasing order.
  Result r = run_qcv("bench " + model + " --batch 4,1,3,4 --iters 2 --warmup 0 --threads 2 --json");
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(count_lines(r.out), 3) << r.out;
  std::istringstream lines(r.out);
  std::vector<int> sizes;
  for (std::string line; std::getline(lines, line);) {
    nlohmann::json row = nlohmann::json::parse(line);
    sizes.push_back(row.at("batch").get<int>());
    EXPECT_EQ(row.at("iters").get<int>(), 2);
    EXPECT_EQ(row.at("threads").get<int>(), 2);
    for (const char* key : {"compile_ms", "first_run_ms", "median_ms", "p90_ms", "min_ms",
                            "throughput", "cpu_ms_per_image", "peak_rss_mb", "peak_activation_mb"})
      EXPECT_GT(row.at(key).get<double>(), 0) << key << " in " << line;
    EXPECT_LE(row["min_ms"].get<double>(), row["median_ms"].get<double>()) << line;
    EXPECT_LE(row["median_ms"].get<double>(), row["p90_ms"].get<double>()) << line;
  }
  EXPECT_EQ(sizes, (std::vector<int>{1, 3, 4}));

  // The table: a header line, a column line and one row per size, batch first.
  r = run_qcv("bench " + model + " --batch 2,1 --iters 1 --warmup 0 --threads 1");
  ASSERT_EQ(r.code, 0) << r.err;
  ASSERT_EQ(count_lines(r.out), 4) << r.out;
  EXPECT_NE(r.out.find("images/s"), std::string::npos) << r.out;
  std::istringstream table(r.out);
  std::string line;
  std::getline(table, line);
  std::getline(table, line);
  for (int want : {1, 2}) {
    std::getline(table, line);
    EXPECT_EQ(std::stoi(line), want) << r.out;
  }
}

TEST(CliBench, BatchListErrorsAreUsageErrors) {
  for (const char* bad : {"1,0", "1,,4", ",", "4,x", "1.5,2", "99999999999"}) {
    Result r = run_qcv(std::string("bench m.onnx --batch ") + bad);
    EXPECT_EQ(r.code, 2) << bad << ": " << r.err;
    EXPECT_EQ(count_lines(r.err), 1) << r.err;
    EXPECT_NE(r.err.find("--batch"), std::string::npos) << r.err;
  }
}
#endif
