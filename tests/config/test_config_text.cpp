// Config text must be valid UTF-8 without control characters: yaml-cpp writes invalid bytes back
// as U+FFFD and a trailing CR unquoted, so a trainer config that qcv writes (config_to_yaml) would
// not read back as the one it came from. fuzz_config found both (`init: bet\xe0\xd5 qltV`,
// `dataset: f?as\xc8\x8748 c48 ca=\r`).
#include <gtest/gtest.h>
#include <yaml-cpp/yaml.h>

#include <string>

#include "config/train_config.h"
#include "config/values.h"
#include "ir/error.h"

namespace qcv {
namespace {

bool text_ok(const std::string& text) {
  try {
    config::require_text("k", text);
    return true;
  } catch (const Error&) {
    return false;
  }
}

TEST(ConfigText, ValidSequencesOfEveryLengthPass) {
  EXPECT_TRUE(text_ok(""));
  EXPECT_TRUE(text_ok("runs/a b\tc"));
  EXPECT_TRUE(text_ok("caf\xc3\xa9"));                   // U+00E9
  EXPECT_TRUE(text_ok("\xe2\x82\xac"));                  // U+20AC
  EXPECT_TRUE(text_ok("\xed\x9f\xbf"));                  // U+D7FF, just below the surrogates
  EXPECT_TRUE(text_ok("\xf0\x9f\x98\x80"));              // U+1F600
  EXPECT_TRUE(text_ok("\xf4\x8f\xbf\xbf"));              // U+10FFFF, the last code point
}

TEST(ConfigText, InvalidSequencesAndControlCharactersAreRefused) {
  EXPECT_FALSE(text_ok("bet\xe0\xd5 qltV"));  // the first finding: E0 needs A0..BF next
  EXPECT_FALSE(text_ok("\x80"));                  // a continuation byte first
  EXPECT_FALSE(text_ok("\xc0\xaf"));              // overlong '/'
  EXPECT_FALSE(text_ok("\xc3"));                  // truncated
  EXPECT_FALSE(text_ok("\xed\xa0\x80"));          // U+D800, a surrogate
  EXPECT_FALSE(text_ok("\xf4\x90\x80\x80"));      // above U+10FFFF
  EXPECT_FALSE(text_ok("\xff"));
  EXPECT_FALSE(text_ok("ca=\r"));            // the second finding: read back without the CR
  EXPECT_FALSE(text_ok(std::string("a\0b", 3)));
  EXPECT_FALSE(text_ok("\x1b[31m"));
  EXPECT_FALSE(text_ok("\x7f"));
}

TEST(ConfigText, TrainerConfigNamesTheKeyAndAcceptedTextRoundTrips) {
  train::TrainConfig cfg;
  try {
    train::apply_config_node(YAML::Load("\n  init: bet\xe0\xd5 qltV\r\t"), cfg, "c.yaml");
    FAIL() << "invalid UTF-8 accepted";
  } catch (const Error& e) {
    const std::string m = e.what();
    EXPECT_NE(m.find("c.yaml"), std::string::npos) << m;
    EXPECT_NE(m.find("'init'"), std::string::npos) << m;
  }
  train::apply_config_node(YAML::Load("init: \"caf\xc3\xa9 \\t x\""), cfg, "c.yaml");
  const std::string written = train::config_to_yaml(cfg);
  train::TrainConfig again;
  train::apply_config_node(YAML::Load(written), again, "written");
  EXPECT_EQ(train::config_to_yaml(again), written);
}

}  // namespace
}  // namespace qcv
