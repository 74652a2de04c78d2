// The workflow's phase keys: a phase is reused only when everything that produced it is unchanged,
// and the reason for a rerun names what changed.
#include <gtest/gtest.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>

#ifdef QCV_HAVE_DATA
#include "cli/workflow_phase.h"

namespace qcv::cli {
namespace {
namespace fs = std::filesystem;

struct Dir {
  std::string path = ::testing::TempDir() + "qcv_phase_" + std::to_string(::getpid()) + "_" +
                     ::testing::UnitTest::GetInstance()->current_test_info()->name();
  Dir() {
    fs::remove_all(path);
    fs::create_directories(path);
  }
  ~Dir() { fs::remove_all(path); }
};

TEST(WorkflowPhase, FileDigestIsFnv1aOfTheBytes) {
  Dir d;
  // Published FNV-1a 64-bit test vectors: "" and "a".
  std::ofstream(d.path + "/empty");
  std::ofstream(d.path + "/a") << "a";
  EXPECT_EQ(file_digest(d.path + "/empty")["fnv1a64"], "cbf29ce484222325");
  EXPECT_EQ(file_digest(d.path + "/a")["fnv1a64"], "af63dc4c8601ec8c");
  EXPECT_EQ(file_digest(d.path + "/a")["bytes"], 1);
}

TEST(WorkflowPhase, ReuseResumeAndRerunWithAReason) {
  Dir d;
  const std::string key_file = d.path + "/ptq_max.key.json";
  const nlohmann::json key = {{"scheme", "tensorrt"}, {"calibration", {{"images", 512}}}};
  EXPECT_EQ(check_phase(key_file, key, false).state, PhaseCheck::Fresh);
  const PhaseCheck unknown = check_phase(key_file, key, true);  // an output nobody recorded
  EXPECT_EQ(unknown.state, PhaseCheck::Rerun);
  EXPECT_EQ(unknown.reason, "no record of what produced its output");

  record_phase(key_file, key, false);
  EXPECT_EQ(check_phase(key_file, key, true).state, PhaseCheck::Resume) << "started, not done";
  record_phase(key_file, key, true);
  EXPECT_EQ(check_phase(key_file, key, true).state, PhaseCheck::Reuse);
  EXPECT_EQ(check_phase(key_file, key, false).state, PhaseCheck::Resume) << "output removed";

  nlohmann::json changed = key;
  changed["scheme"] = "onnxruntime";
  changed["calibration"]["images"] = 64;
  const PhaseCheck c = check_phase(key_file, changed, true);
  EXPECT_EQ(c.state, PhaseCheck::Rerun);
  EXPECT_EQ(c.reason, "calibration.images: 512 -> 64; scheme: \"tensorrt\" -> \"onnxruntime\"");

  std::ofstream(key_file) << "{ torn";  // a damaged record is no record
  EXPECT_EQ(check_phase(key_file, key, true).state, PhaseCheck::Rerun);
}

TEST(WorkflowPhase, DescribeChangeListsAddedRemovedAndCapsAtThree) {
  EXPECT_EQ(describe_change({{"a", 1}}, {{"b", 2}}), "b: new (2); a: removed (was 1)");
  EXPECT_EQ(describe_change({{"a", 1}, {"b", 1}, {"c", 1}, {"d", 1}},
                            {{"a", 2}, {"b", 2}, {"c", 2}, {"d", 2}}),
            "a: 1 -> 2; b: 1 -> 2; c: 1 -> 2; and 1 more");
}

TEST(WorkflowPhase, DatasetStampFollowsFilesAddedToAFolder) {
  Dir d;
  fs::create_directories(d.path + "/data/cat");
  std::ofstream(d.path + "/data/cat/1.jpg") << "x";
  const nlohmann::json before = dataset_stamp(d.path + "/data");
  EXPECT_EQ(dataset_stamp(d.path + "/data"), before) << "stable when nothing changes";
  EXPECT_EQ(dataset_stamp("shards:" + d.path + "/data")["stamps_fnv1a64"],
            before["stamps_fnv1a64"]);
  std::ofstream(d.path + "/data/cat/2.jpg") << "y";
  EXPECT_NE(dataset_stamp(d.path + "/data"), before);
  EXPECT_EQ(dataset_stamp("fashion-mnist-by-name"),
            (nlohmann::json{{"name", "fashion-mnist-by-name"}}));
}

}  // namespace
}  // namespace qcv::cli
#endif
