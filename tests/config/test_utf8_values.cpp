// Config text must be valid UTF-8: yaml-cpp writes invalid bytes back as U+FFFD, so a trainer
// config that qcv writes (config_to_yaml) would not read back as the one it came from. The
// fuzz_config target found that with `init: bet\xe0\xd5 qltV\r\t`.
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "config/train_config.h"
#include "config/values.h"
#include "ir/error.h"

namespace qcv {
namespace {

bool utf8(const std::string& text) {
  try {
    config::require_utf8("k", text);
    return true;
  } catch (const Error&) {
    return false;
  }
}

TEST(Utf8Values, ValidSequencesOfEveryLengthPass) {
  EXPECT_TRUE(utf8(""));
  EXPECT_TRUE(utf8("runs/a b\t\r"));
  EXPECT_TRUE(utf8("caf\xc3\xa9"));                   // U+00E9
  EXPECT_TRUE(utf8("\xe2\x82\xac"));                  // U+20AC
  EXPECT_TRUE(utf8("\xed\x9f\xbf"));                  // U+D7FF, just below the surrogates
  EXPECT_TRUE(utf8("\xf0\x9f\x98\x80"));              // U+1F600
  EXPECT_TRUE(utf8("\xf4\x8f\xbf\xbf"));              // U+10FFFF, the last code point
}

TEST(Utf8Values, InvalidSequencesAreRefused) {
  EXPECT_FALSE(utf8("bet\xe0\xd5 qltV\r\t"));  // the fuzzer's: E0 needs A0..BF next
  EXPECT_FALSE(utf8("\x80"));                  // a continuation byte first
  EXPECT_FALSE(utf8("\xc0\xaf"));              // overlong '/'
  EXPECT_FALSE(utf8("\xc3"));                  // truncated
  EXPECT_FALSE(utf8("\xed\xa0\x80"));          // U+D800, a surrogate
  EXPECT_FALSE(utf8("\xf4\x90\x80\x80"));      // above U+10FFFF
  EXPECT_FALSE(utf8("\xff"));
}

TEST(Utf8Values, TrainerConfigNamesTheKeyAndAcceptedTextRoundTrips) {
  train::TrainConfig cfg;
  try {
    train::apply_config_node(YAML::Load("\n  init: bet\xe0\xd5 qltV\r\t"), cfg, "c.yaml");
    FAIL() << "invalid UTF-8 accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("c.yaml"), std::string::npos) << m;
    EXPECT_NE(m.find("'init'"), std::string::npos) << m;
  }
  train::apply_config_node(YAML::Load("init: \"caf\xc3\xa9 \\r\\t\""), cfg, "c.yaml");
  const std::string written = train::config_to_yaml(cfg);
  train::TrainConfig again;
  train::apply_config_node(YAML::Load(written), again, "written");
  EXPECT_EQ(train::config_to_yaml(again), written);
}

}  // namespace
}  // namespace qcv
